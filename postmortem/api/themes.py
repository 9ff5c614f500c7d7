"""/api/v1/themes: the failure themes that keep coming back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from ..models import ListView
from ..schemas import ThemeQuery, parse
from ..services import incidents, insights
from .auth import api_user

bp = Blueprint("themes", __name__)

@bp.get("/themes")
def list_themes() -> Any:
    query = parse(ThemeQuery, request.args.to_dict())
    insights.wait_until_fresh(current_app)
    full = query.view is ListView.FULL
    if query.since is None and query.until is None and query.service is None:
        return Response(insights.themes_document(query.min_incidents or 2, full,
                                                 seen=incidents.sight(api_user())),
                        mimetype="application/json")
    return insights.list_themes(query.since, query.until, query.min_incidents or 2,
                                query.service, full, seen=incidents.sight(api_user()))


@bp.get("/themes/<theme_id>")
def get_theme(theme_id: str) -> Any:
    insights.wait_until_fresh(current_app)
    return insights.get_theme(theme_id[:80], seen=incidents.sight(api_user()))
