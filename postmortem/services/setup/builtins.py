"""Installing and upgrading: schema migrations, built-in data, the first admin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, or_, select
from sqlalchemy.engine import make_url

from ...errors import ValidationError
from ...extensions import db
from ...models import (
    ApiToken,
    Deployment,
    Incident,
    Role,
    Setting,
    Template,
    User,
    incident_reviewers,
)
from .. import accounts
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


def first_run_steps(user: User | None = None) -> list[FirstRunStep]:
    """The getting-started steps that are this person's, each ticked by what has happened.
    An admin sets the install up: people invited, deployments recorded from CI (any recorded,
    or a deployer's token made), templates chosen (one added or edited), a first post-mortem.
    An author or reviewer writes one (commands or started one); a reviewer reviews one
    (is named a reviewer). Everyone chooses how times are shown. Without a person: the admin's."""
    role = user.role_enum if user is not None else Role.ADMIN
    steps: list[FirstRunStep] = []
    if role.allows(Role.ADMIN):
        invited = _any(select(User.id).offset(1))  # someone besides the first admin
        deployed = _any(select(Deployment.id)) or _any(
            select(ApiToken.id).join(User, User.id == ApiToken.user_id)
            .where(User.role == Role.DEPLOYER, ApiToken.revoked_at.is_(None)))
        templates_chosen = any(  # a template added, or a built-in one edited after it was seeded
            not t.builtin or (t.updated_at - t.created_at).total_seconds() > 1
            for t in db.session.scalars(select(Template)))
        steps += [FirstRunStep("invite", invited), FirstRunStep("ci_token", deployed),
                  FirstRunStep("templates", templates_chosen)]
    if role.allows(Role.AUTHOR):
        mine = select(Incident.id)
        if user is not None and not role.allows(Role.ADMIN):
            mine = mine.where(or_(Incident.commander_id == user.id,
                                  Incident.created_by_id == user.id))
        steps.append(FirstRunStep("first_post_mortem", _any(mine)))
    if user is not None and role == Role.REVIEWER:
        steps.append(FirstRunStep("review", _any(select(incident_reviewers.c.incident_id)
                                                 .where(incident_reviewers.c.user_id == user.id))))
    if user is not None:
        steps.append(FirstRunStep("clock", accounts.preferences_of(user.id).saved))
    return steps


def _any(stmt: Select[Any]) -> bool:
    """Whether stmt finds a row: the first one is enough (a count would read them all)."""
    return db.session.execute(stmt.limit(1)).first() is not None


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
