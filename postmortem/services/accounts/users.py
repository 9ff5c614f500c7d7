"""Accounts: creating users, changing roles, logging in with throttling."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ...errors import NotFound, Throttled, ValidationError
from ...extensions import db
from ...models import LoginFailure, Role, User, utcnow
from ...schemas.types import EMAIL_RE

MIN_PASSWORD_LENGTH = 10


class InvalidCredentials(Exception):
    """Wrong email or password (deliberately not saying which)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """The stored form of a password, with the configured method (scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def generate_password() -> str:
    """A random password that is easy to copy: 20 URL-safe characters."""
    return secrets.token_urlsafe(15)


def _validate_user_fields(email: str, name: str, role: str, password: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if not EMAIL_RE.match(email):
        errors["email"] = ["must be a valid email address"]
    elif db.session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = ["a user with this email already exists"]
    if not name.strip():
        errors["name"] = ["is required"]
    if role not in {r.value for r in Role}:
        errors["role"] = ["must be one of " + ", ".join(r.value for r in Role)]
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"must be at least {MIN_PASSWORD_LENGTH} characters"]
    if errors:
        raise ValidationError("The user could not be created.", fields=errors)


def create_user(*, email: str, name: str, role: str, password: str) -> User:
    """Create an active user; raises ValidationError for a bad or taken email, role or password."""
    email = normalise_email(email)
    _validate_user_fields(email, name, role, password)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.commit()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def require_user(email: str | None, *, field: str, failure: str) -> User | None:
    """The user with this email (None for none); ValidationError naming the field when no user
    has it."""
    if email is None:
        return None
    user = find_user_by_email(email)
    if user is None:
        raise ValidationError(failure, fields={field: [f"no user with email {email}"]})
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name, User.email)))


def list_active_users() -> list[User]:
    """Everyone active, by name (who can be mentioned or asked to review)."""
    return [user for user in list_users() if user.active]


def list_owners() -> list[User]:
    """Everyone who can own work (an action item, a post-mortem): active authors and above,
    by name; never a viewer or a pipeline's deployer account."""
    return [user for user in list_active_users() if user.can(Role.AUTHOR)]


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


def _active_admins_other_than(user: User) -> int:
    stmt = select(func.count(User.id)).where(
        User.role == Role.ADMIN.value, User.active.is_(True), User.id != user.id
    )
    return db.session.scalar(stmt) or 0


def update_user(user: User, *, role: str, active: bool, name: str | None = None) -> User:
    """Change a user's role, name or active flag; the last active admin cannot be demoted."""
    if role not in {r.value for r in Role}:
        raise ValidationError("Unknown role.", fields={"role": ["unknown role"]})
    losing_admin = user.role == Role.ADMIN.value and (role != Role.ADMIN.value or not active)
    if losing_admin and _active_admins_other_than(user) == 0:
        raise ValidationError(
            "Postmortem needs at least one active admin.",
            fields={"role": ["the last active admin cannot be demoted or deactivated"]},
        )
    user.role = Role(role)
    user.active = active
    if name is not None and name.strip():
        user.name = name.strip()
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "The password is too short.",
            fields={"password": [f"must be at least {MIN_PASSWORD_LENGTH} characters"]},
        )
    user.password_hash = hash_password(password)
    db.session.commit()


def authenticate(email: str, password: str, ip: str) -> User:
    """Return the user for these credentials.

    Raises Throttled after too many recent failures for the email or the address, and
    InvalidCredentials otherwise; every failure is recorded, a success clears the email's.
    """
    email = normalise_email(email)
    config = current_app.config
    window_start = utcnow() - config["LOGIN_FAILURE_WINDOW"]
    recent = select(func.count(LoginFailure.id)).where(LoginFailure.at >= window_start)
    by_email = db.session.scalar(recent.where(LoginFailure.email == email)) or 0
    by_ip = db.session.scalar(recent.where(LoginFailure.ip == ip)) or 0
    if by_email >= config["LOGIN_MAX_FAILURES"] or by_ip >= config["LOGIN_MAX_FAILURES_PER_IP"]:
        minutes = int(config["LOGIN_FAILURE_WINDOW"].total_seconds() // 60)
        raise Throttled(
            f"Too many failed logins. Wait {minutes} minutes, or ask an admin to reset "
            "your password."
        )
    user = find_user_by_email(email)
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        db.session.add(LoginFailure(email=email[:254], ip=ip[:64]))
        db.session.commit()
        raise InvalidCredentials()
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = utcnow()
    db.session.commit()
    return user
