"""The JSON API under /api/v1, one module per resource, all thin adapters over services."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register_api(app: Flask) -> None:
    from . import (  # noqa: F401  (routes register on import)
        action_items,
        auth,
        deployments,
        incidents,
        services,
        taxonomy,
        themes,
    )

    # Bearer-token calls carry no CSRF token; session calls are checked in auth.authenticate.
    csrf.exempt(bp)
    app.register_blueprint(bp)
