"""The `postmortem` console script: Flask's CLI over create_app, with our commands."""

from __future__ import annotations

from flask.cli import FlaskGroup, routes_command, shell_command

from . import create_app
from .serving import run_command, serve_command


def main() -> None:
    """Entry point of the `postmortem` console script: Flask's shell and routes, our run
    (development server) and serve (gunicorn), and the commands of cli.py."""
    cli = FlaskGroup(create_app=create_app, add_default_commands=False,
                     help="Postmortem: blameless post-mortems.")
    for command in (run_command, serve_command, shell_command, routes_command):
        cli.add_command(command)
    cli.main(prog_name="postmortem")
