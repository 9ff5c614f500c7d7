"""A reviewer's corrections of a detected theme in the browser: rename, describe, hide or
show, merge into another, take a post-mortem out. Plain forms (CSRF-checked); each calls one
service and goes back to the theme."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..errors import DomainError, NotFound
from ..models import Role
from ..schemas import ThemeChanges, ThemeMerge, parse
from ..services import insights

bp = Blueprint("theme_edits", __name__)


def _failed(error: DomainError) -> None:
    fields = getattr(error, "fields", None) or {}
    detail = "; ".join(f"{name}: {', '.join(reasons)}" for name, reasons in fields.items())
    flash(f"{error}{' (' + detail + ')' if detail else ''}", "error")


@bp.post("/themes/<theme_id>/correct")
@role_required(Role.REVIEWER)
def correct(theme_id: str) -> Any:
    form = request.form
    data: dict[str, Any] = {}
    if "name" in form:
        data["name"] = form.get("name", "")
    if "description" in form:
        data["description"] = form.get("description", "")
    if "hidden" in form:
        data["hidden"] = form.get("hidden", "")
    try:
        changes = parse(ThemeChanges, data)
        theme = insights.correct_theme(theme_id[:80], current_user, changes.changes())
    except NotFound:
        flash("That theme is gone: the insight job recomputed the themes.", "error")
        return redirect(url_for("themes.index"))
    except DomainError as error:
        _failed(error)
    else:
        flash("Theme hidden." if theme.get("hidden") and "hidden" in data else "Theme saved.",
              "success")
    return redirect(url_for("themes.show", theme_id=theme_id[:80]))


@bp.post("/themes/<theme_id>/merge")
@role_required(Role.REVIEWER)
def merge(theme_id: str) -> Any:
    try:
        body = parse(ThemeMerge, {"into": request.form.get("into", "")})
        theme = insights.merge_themes(theme_id[:80], str(body.into), current_user)
    except NotFound:
        flash("That theme is gone: the insight job recomputed the themes.", "error")
        return redirect(url_for("themes.index"))
    except DomainError as error:
        _failed(error)
        return redirect(url_for("themes.show", theme_id=theme_id[:80]))
    flash(f"Merged into “{theme['name']}”.", "success")
    return redirect(url_for("themes.show", theme_id=theme["id"]))


@bp.post("/themes/<theme_id>/incidents/<key>/remove")
@role_required(Role.REVIEWER)
def remove(theme_id: str, key: str) -> Any:
    try:
        insights.remove_from_theme(theme_id[:80], key[:30], current_user)
    except NotFound:
        flash(f"{key[:30]} is not in that theme.", "error")
    except DomainError as error:
        _failed(error)
    else:
        flash(f"{key[:30]} taken out of the theme.", "success")
    return redirect(url_for("themes.show", theme_id=theme_id[:80]))
