"""GET /healthz: for load balancers and uptime checks; no login."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint

from ..services import pages

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Any:
    if not pages.database_reachable():
        log.warning("health check: database unreachable")
        return {"status": "error", "database": "error"}, 503
    return {"status": "ok", "database": "ok"}
