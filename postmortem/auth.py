"""Who is asking: session users (Flask-Login), bearer tokens, and role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, abort
from flask_login import current_user, login_required

from .extensions import db, login_manager
from .models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token(request: Request) -> str | None:
    """The token of an 'Authorization: Bearer …' header, or None when there is no such header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def init_auth(app: Flask) -> None:
    from .services import accounts

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        number, _, stamp = session_id.partition("-")
        if not number.isdigit() or len(number) > 18:
            return None
        user = db.session.get(User, int(number))
        if user is None or not user.active or user.get_id() != session_id:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(request: Request) -> User | None:
        # Lets the PDF and Markdown exports be fetched with a token as well as a session.
        token = bearer_token(request)
        return accounts.user_for_token(token) if token else None


def role_required(role: Role) -> Callable[[F], F]:
    """A view decorator: log in first, then 403 unless the user holds `role` or higher."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def is_safe_next(target: str | None) -> bool:
    """True for a local path such as '/incidents?x=1'; false for anything that leaves the site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
