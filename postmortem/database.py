"""Database wiring: Flask-SQLAlchemy binding and the SQLite pragmas we rely on."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
# POSTMORTEM_SQLITE_SYNCHRONOUS may lower it to NORMAL (faster saves; the last commits may be
# lost in a power cut) for a machine on a UPS; FULL is the default.
SYNCHRONOUS = ("FULL", "EXTRA", "NORMAL")
# While a process's insight worker checkpoints the WAL in the background (checkpoint), a commit
# no longer does it itself past 1,000 pages (SQLite's default): a save that landed on the
# checkpoint waited for it (a quarter of a second at 10,000, one save in 300). The higher bound
# stays as a safety net should the worker stop.
BACKGROUND_AUTOCHECKPOINT_PAGES = 20_000
_background = {"checkpoints": False}


def use_background_checkpoints() -> None:
    """This process checkpoints SQLite's WAL from its worker thread (connections made from now
    on leave it to it)."""
    _background["checkpoints"] = True


def checkpoint() -> None:
    """Copy what the WAL holds into the database without waiting for anyone (SQLite only)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, enforced foreign keys, and waiting instead of 'database is
    locked'. synchronous = FULL: an acknowledged save survives a power cut too (NORMAL may roll
    the last commits back after one; its cost is in docs/benchmarks.md)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    level = os.environ.get("POSTMORTEM_SQLITE_SYNCHRONOUS", "FULL").upper()
    cursor.execute(f"PRAGMA synchronous = {level if level in SYNCHRONOUS else 'FULL'}")
    if _background["checkpoints"]:
        cursor.execute(f"PRAGMA wal_autocheckpoint = {BACKGROUND_AUTOCHECKPOINT_PAGES}")
    cursor.close()


def init_database(app: Flask) -> None:
    """Bind db to app, with engine options suited to the configured backend."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    db.init_app(app)
    # Import the models so every table is known to the metadata (and to Alembic).
    from . import models  # noqa: F401


def child_environment(app: Flask) -> dict[str, str]:
    """The environment for a `python -m postmortem …` child process (the insight job, the
    digest PDF) that works on this app's database and instance folder."""
    return {**os.environ, "POSTMORTEM_INSTANCE_PATH": app.instance_path,
            "DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}
