"""The `postmortem` console script: Flask's CLI over create_app, with our commands."""

from __future__ import annotations

from flask.cli import FlaskGroup

from . import create_app


def main() -> None:
    """Entry point of the `postmortem` console script."""
    cli = FlaskGroup(create_app=create_app, help="Postmortem: blameless post-mortems.")
    cli.main(prog_name="postmortem")
