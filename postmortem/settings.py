"""Configuration layering helpers used by create_app: environment, database URL, secret key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ENV_PREFIX = "POSTMORTEM"


def load_environment(app: Flask) -> None:
    """Apply POSTMORTEM_* variables (JSON-parsed where they parse) and DATABASE_URL."""
    app.config.from_prefixed_env(ENV_PREFIX)
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    # Values that must stay strings even when they look like JSON numbers.
    for key in ("SECRET_KEY", "ADMIN_PASSWORD", "MAIL_PASSWORD"):
        if key in app.config and app.config[key] is not None:
            app.config[key] = str(app.config[key])


def normalise_database_url(url: str) -> str:
    """Map the usual PostgreSQL spellings onto the psycopg 3 driver; leave others alone."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def finalise_config(app: Flask) -> None:
    """Fill in what depends on the instance folder: database location and secret key."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = f"sqlite:///{instance / 'postmortem.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(str(uri))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret(instance / "secret_key")


def load_or_create_secret(path: Path) -> str:
    """Return the secret stored at path, creating it (mode 0600) exactly once."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text().strip()
        if secret:
            return secret
        # An empty file left by a crash: replace it.
        path.unlink(missing_ok=True)
        return load_or_create_secret(path)
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret
