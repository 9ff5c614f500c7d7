"""/api/v1/themes: the failure themes that keep coming back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from ..services import insights
from ..validation import Fields

bp = Blueprint("themes", __name__)

@bp.get("/themes")
def list_themes() -> Any:
    fields = Fields(request.args.to_dict())
    since = fields.timestamp("since")
    until = fields.timestamp("until")
    minimum = fields.integer("min_incidents")
    if minimum is not None and minimum < 1:
        fields.error("min_incidents", "must be at least 1")
    fields.raise_if_errors("Invalid parameters.")
    found = insights.all_themes(since, until, minimum or 2)
    return [theme.as_dict() for theme in found]
