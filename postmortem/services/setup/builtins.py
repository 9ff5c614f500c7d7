"""Installing and upgrading: schema migrations, built-in data, the first admin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ...errors import ValidationError
from ...extensions import db
from ...models import ApiToken, Incident, Role, Setting, Template, User
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


@dataclass
class FirstRunStep:
    key: str
    done: bool


def first_run_steps() -> list[FirstRunStep]:
    """The first steps of a new install, each ticked by what exists: people invited, a deployer
    token for CI, templates chosen (one added or edited), a first post-mortem."""
    users = db.session.scalar(select(func.count(User.id))) or 0
    ci_tokens = db.session.scalar(
        select(func.count(ApiToken.id)).join(User, User.id == ApiToken.user_id)
        .where(User.role == Role.DEPLOYER, ApiToken.revoked_at.is_(None))) or 0
    templates_chosen = sum(  # a template added, or a built-in one edited after it was seeded
        1 for t in db.session.scalars(select(Template))
        if not t.builtin or (t.updated_at - t.created_at).total_seconds() > 1)
    incidents = db.session.scalar(select(func.count(Incident.id))) or 0
    return [FirstRunStep("invite", users > 1), FirstRunStep("ci_token", ci_tokens > 0),
            FirstRunStep("templates", templates_chosen > 0),
            FirstRunStep("first_post_mortem", incidents > 0)]


OWED_AFTER_DAYS = "owed_after_days"
DEFAULT_OWED_AFTER_DAYS = {"SEV1": 5, "SEV2": 10}
MAX_OWED_DAYS = 365


def owed_after_days() -> dict[str, int]:
    """{severity: days}: how long after resolution a SEV1/SEV2 without a published post-mortem
    counts as owed (an admin's setting, else 5 and 10 days)."""
    setting = db.session.get(Setting, OWED_AFTER_DAYS)
    value = setting.value if setting is not None and isinstance(setting.value, dict) else {}
    return {severity: int(value.get(severity, default))
            for severity, default in DEFAULT_OWED_AFTER_DAYS.items()}


def save_owed_after_days(values: Mapping[str, object]) -> dict[str, int]:
    """Store the days per severity; ValidationError naming each bad one (whole days,
    1 to MAX_OWED_DAYS)."""
    days: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for severity in DEFAULT_OWED_AFTER_DAYS:
        raw = values.get(severity)
        text = str(raw).strip() if raw is not None else ""
        if not text.isdigit() or not 1 <= int(text) <= MAX_OWED_DAYS:
            errors[severity] = [f"must be a whole number of days from 1 to {MAX_OWED_DAYS}"]
        else:
            days[severity] = int(text)
    if errors:
        raise ValidationError("The settings could not be saved.", fields=errors)
    setting = db.session.get(Setting, OWED_AFTER_DAYS) or Setting(key=OWED_AFTER_DAYS)
    setting.value = days
    db.session.add(setting)
    db.session.commit()
    return days
