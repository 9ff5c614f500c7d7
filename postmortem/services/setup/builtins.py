"""Installing and upgrading: schema migrations, built-in data, the first admin."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.engine import make_url

from ...extensions import db
from ..accounts import users as accounts
from . import templates

DEFAULT_ADMIN_EMAIL = "admin@example.com"


def upgrade_database() -> None:
    """Run every pending Alembic migration, then make sure the built-in data exists."""
    from flask_migrate import upgrade

    upgrade()
    seed_builtins()


def seed_builtins() -> None:
    """Built-in templates and the contributing-factor taxonomy (idempotent)."""
    templates.ensure_builtins()


def describe_database() -> str:
    """The database URL with any password masked."""
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
        hide_password=True
    )


def ensure_admin(email: str | None = None, password: str | None = None) -> tuple[str, str] | None:
    """Create an admin when there are no users; returns (email, password) when one was made."""
    if accounts.count_users() > 0:
        return None
    email = email or DEFAULT_ADMIN_EMAIL
    password = password or accounts.generate_password()
    accounts.create_user(email=email, name="Administrator", role="admin", password=password)
    db.session.commit()
    return email, password
