"""/api/v1/themes: the failure themes that keep coming back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from ..schemas import ThemeQuery, parse
from ..services import insights

bp = Blueprint("themes", __name__)

@bp.get("/themes")
def list_themes() -> Any:
    query = parse(ThemeQuery, request.args.to_dict())
    found = insights.all_themes(query.since, query.until, query.min_incidents or 2)
    return [theme.as_dict() for theme in found]
