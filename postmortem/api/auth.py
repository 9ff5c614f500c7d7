"""API authentication: a bearer token or the browser session (with its CSRF token)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..auth import bearer_token
from ..extensions import csrf
from ..handlers import json_error
from ..models import Role, User
from ..services import accounts

F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _unauthorized(message: str) -> Any:
    response = json_error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="postmortem"'
    return response


def authenticate() -> Any:
    """Set g.api_user, or answer 401; a session caller must send the CSRF token to write."""
    if request.headers.get("Authorization"):
        token = bearer_token(request)
        user = accounts.user_for_token(token) if token else None
        if user is None:
            return _unauthorized("Unknown, revoked or malformed token.")
        g.api_user = user
        return None
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            try:
                csrf.protect()
            except CSRFError as error:
                return json_error(400, f"CSRF check failed: {error.description}")
        g.api_user = accounts.get_user(current_user.id)
        return None
    return _unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")


def api_user() -> User:
    return g.api_user


def requires(role: Role) -> Callable[[F], F]:
    """A route decorator: 403 unless the caller holds `role` or higher."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not api_user().can(role):
                abort(403, description=f"This needs the '{role.value}' role or higher.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
