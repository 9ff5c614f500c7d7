"""An interchange document's front matter, checked with the same field types as the API."""

from __future__ import annotations

from datetime import datetime

from .base import TIMESTAMPS, Schema, order_problems
from .types import (
    Boolean,
    Email,
    Emails,
    IncidentRef,
    IncidentStatusValue,
    Key,
    ServiceNames,
    SeverityValue,
    Tags,
    Timestamp,
    Title,
)


class ImportOptions(Schema):
    """The import's query string: replace an existing post-mortem, allow a duplicate, only
    show what would be made (dry_run), or import as published (publish, reviewer)."""

    failure = "Invalid import options."
    into: IncidentRef = None
    allow_duplicate: Boolean = None
    dry_run: Boolean = None
    publish: Boolean = None


class FrontMatter(Schema):
    failure = "The document's front matter is invalid."
    title: Title = None
    severity: SeverityValue = None
    status: IncidentStatusValue = None
    started_at: Timestamp = None
    detected_at: Timestamp = None
    mitigated_at: Timestamp = None
    resolved_at: Timestamp = None
    template: Key = None
    services: ServiceNames = None
    tags: Tags = None
    commander: Email = None
    # A restricted post-mortem stays restricted through an export and an import.
    restricted: Boolean = None
    readers: Emails = None

    def timestamps(self) -> dict[str, datetime | None]:
        return {name: getattr(self, name) for name in TIMESTAMPS}

    def problems(self) -> dict[str, list[str]]:
        problems = {name: ["is required"] for name in ("title", "severity", "started_at")
                    if getattr(self, name) is None}
        if self.severity is None:
            problems["severity"] = ["is required; must be one of SEV1, SEV2, SEV3, SEV4"]
        return problems or order_problems(self.timestamps())
