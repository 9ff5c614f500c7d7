"""Recurring themes in the browser: what keeps breaking, and whether the fixes held."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..errors import ValidationError
from ..services import insights

bp = Blueprint("themes", __name__)


@bp.get("/themes")
@login_required
def index() -> Any:
    error = None
    try:
        since, until = insights.parse_period({"since": request.args.get("since") or "2000-01-01",
                                            "until": request.args.get("until")})
    except ValidationError as exc:
        error = exc
        since, until = insights.parse_period({"since": "2000-01-01"})
    found = insights.all_themes(since, until, min_incidents=1)
    return render_template("themes/index.html", themes=found, error=error, args=request.args)
