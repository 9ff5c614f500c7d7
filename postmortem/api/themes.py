"""/api/v1/themes: the failure themes that keep coming back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from ..models import ListView, Role
from ..schemas import ThemeChanges, ThemeMerge, ThemeQuery, parse
from ..services import incidents, insights
from .auth import api_user, requires
from .common import json_body

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


@bp.patch("/themes/<theme_id>")
@requires(Role.REVIEWER)
def correct_theme(theme_id: str) -> Any:
    changes = parse(ThemeChanges, json_body())
    insights.correct_theme(theme_id[:80], api_user(), changes.changes())
    return insights.get_theme(theme_id[:80], seen=incidents.sight(api_user()))


@bp.post("/themes/<theme_id>/merge")
@requires(Role.REVIEWER)
def merge_theme(theme_id: str) -> Any:
    body = parse(ThemeMerge, json_body())
    insights.merge_themes(theme_id[:80], str(body.into), api_user())
    return insights.get_theme(str(body.into)[:80], seen=incidents.sight(api_user()))


@bp.delete("/themes/<theme_id>/incidents/<key>")
@requires(Role.REVIEWER)
def remove_incident(theme_id: str, key: str) -> Any:
    incidents.get_incident(key[:30], whole=False, reader=api_user())  # 404 unless they may read it
    insights.remove_from_theme(theme_id[:80], key[:30], api_user())
    return insights.get_theme(theme_id[:80], seen=incidents.sight(api_user()))
