"""Backups: `postmortem backup FILE` and `postmortem restore FILE`.

SQLite: the online backup API copies a consistent snapshot while the app keeps serving, and the
copy is checked (`PRAGMA integrity_check`) before it is called done. PostgreSQL: `pg_dump` in
its custom format, restored by `pg_restore --clean`. Restoring replaces everything in the
database: stop the app (every instance) first.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from ...errors import ValidationError
from ...extensions import db


def _url():  # noqa: ANN202
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path() -> Path:
    database = _url().database
    if not database or database == ":memory:":
        raise ValidationError("An in-memory database cannot be backed up.")
    return Path(database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)),
        None)
    if found is None:
        raise ValidationError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _pg_args() -> tuple[list[str], dict[str, str]]:
    url = _url()
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["--dbname", str(url.database or "postgres"), "--host", url.host or "localhost",
            "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    return args, env


def _integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def backup(target: str) -> str:
    """Write a backup of the whole database to target; a line saying what was written."""
    path = Path(target)
    db.session.remove()
    if _url().get_backend_name() == "sqlite":
        partial = path.with_name(path.name + ".partial")
        source = sqlite3.connect(_sqlite_path())
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
        verdict = _integrity(partial)
        if verdict != "ok":
            partial.unlink(missing_ok=True)
            raise ValidationError(f"The copy failed its integrity check: {verdict}")
        partial.replace(path)
    else:
        args, env = _pg_args()
        done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner",
                               "--file", str(path), *args], env=env, capture_output=True, text=True)
        if done.returncode:
            raise ValidationError(f"pg_dump failed: {done.stderr.strip()}")
    return f"Backed up to {path} ({path.stat().st_size // 1024} KB)."


def restore(source: str) -> str:
    """Replace the whole database with the backup in source."""
    path = Path(source)
    if not path.is_file():
        raise ValidationError(f"No backup at {path}.")
    db.session.remove()
    db.engine.dispose()
    if _url().get_backend_name() == "sqlite":
        try:
            verdict = _integrity(path)
            tables = {row[0] for row in sqlite3.connect(path).execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise ValidationError(f"{path} is not a SQLite backup: {error}") from None
        if verdict != "ok" or "incidents" not in tables:
            raise ValidationError(f"{path} is not a sound Postmortem backup ({verdict}).")
        backup_connection = sqlite3.connect(path)
        live = sqlite3.connect(_sqlite_path())
        try:
            backup_connection.backup(live)
        finally:
            live.close()
            backup_connection.close()
    else:
        args, env = _pg_args()
        done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                               "--single-transaction", *args, str(path)], env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise ValidationError(f"pg_restore failed: {done.stderr.strip()}")
    return f"Restored from {path}."
