"""Use cases: verb-first functions, one transaction each, shared by the web, API and CLI."""
