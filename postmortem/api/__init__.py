"""The JSON API under /api/v1, one blueprint per resource, all thin adapters over services."""

from __future__ import annotations

from flask import Blueprint, Flask

from ..extensions import csrf
from . import action_items, deployments, incidents, services, taxonomy, themes
from .auth import authenticate


def register_api(app: Flask) -> None:
    """Mount every resource's blueprint under one /api/v1 parent that authenticates each call."""
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.before_request(authenticate)
    # Bearer-token calls carry no CSRF token; session calls are checked in auth.authenticate.
    csrf.exempt(api)
    for module in (action_items, deployments, incidents, services, taxonomy, themes):
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)
    app.register_blueprint(api)
