"""Recurring themes in the browser: what keeps breaking, and whether the fixes held."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from ..errors import NotFound, ValidationError
from ..models import Role, today
from ..services import deployments, incidents, insights
from ..services.kept import CATALOG, INCIDENTS, PEOPLE, THEMES, keep, versions
from ..services.pages import ListPage
from .helpers import display_key, rendered_with_mark, with_token

bp = Blueprint("themes", __name__)
THEMES_PER_PAGE = 15


def _months(theme: dict[str, Any], count: int = 24) -> list[dict[str, Any]]:
    """The theme's last `count` months with incidents, oldest first, for the small chart."""
    months = theme.get("incidents_by_month") or []
    return months[-count:]


@bp.get("/themes")
@login_required
def index() -> Any:
    error = None
    service = (request.args.get("service") or "").strip() or None
    try:
        since, until = (None, None)
        if request.args.get("since") or request.args.get("until"):
            since, until = insights.parse_period({"since": request.args.get("since") or "1900-01-01",
                                                "until": request.args.get("until")})
    except ValidationError as exc:
        error, since, until = exc, None, None
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    seen = incidents.sight(current_user)
    # The ranked cards come from the stored themes alone, unless a period or a service
    # filters them by their post-mortems' dates and services (which any write may move), or
    # some are worked out on read for this reader.
    filtered = ((since, until, service) != (None, None, None)
                or bool(insights.worked_out_on_read(seen)))
    ranked = keep("theme-cards", (str(since), str(until), service, seen,
                                  *versions(THEMES, *([INCIDENTS] if filtered else []))),
                  lambda: insights.theme_cards(since, until, min_incidents=2, service=service,
                                               seen=seen))
    page = ListPage(ranked[(page_number - 1) * THEMES_PER_PAGE:page_number * THEMES_PER_PAGE],
                    page_number, THEMES_PER_PAGE, len(ranked))
    keys = [key for theme in page.items for key in theme["recent"]]
    keys += [r["key"] for theme in page.items for r in theme["recurrences_recent"]]

    def cards() -> str:
        return render_template("themes/_cards.html", themes=page.items, page=page,
                               incidents=insights.incidents_by_key(keys, seen=seen),
                               computed=insights.computed(), months=_months)

    # The cards are the same for everyone who reads dates the same way and sees the same
    # post-mortems: kept by the page's arguments, the reader's zone and clock, the restricted
    # post-mortems the reader may read, the themes' version and the stamps of the
    # post-mortems the cards name (a draft saved elsewhere leaves the page kept).
    body = keep("themes-page", (sorted(request.args.items(multi=True)), today(), *display_key(),
                                seen, insights.stamps_of_keys(keys, seen=seen),
                                *versions(THEMES, *([INCIDENTS] if filtered else []))), cards)
    return render_template("themes/index.html", body=Markup(body), error=error,
                           args=request.args, services=deployments.service_names())


@bp.get("/themes/<theme_id>")
@login_required
def show(theme_id: str) -> Any:
    seen = incidents.sight(current_user)
    can_correct = current_user.can(Role.REVIEWER)

    # The theme from its stored document (kept by the themes' version), or worked out from
    # its members for this reader (the post-mortems' version too).
    on_read = theme_id[:80] in insights.worked_out_on_read(seen)
    reads = (THEMES, INCIDENTS) if on_read else (THEMES,)
    found = keep("theme", (theme_id[:80], seen, *versions(*reads)),
                 lambda: _theme(theme_id, seen))
    if found is None:
        abort(404)
    theme, recurrences = found
    card = insights.theme_card(theme, 50)
    keys = card["recent"] + [r["key"] for r in recurrences]
    corrects = theme["source"] == "detected" and can_correct

    def page() -> tuple[str, str]:
        others = ([t for t in insights.detected_theme_names() if t["id"] != theme["id"]]
                  if corrects else [])
        return card["name"], rendered_with_mark(
            "themes/_show_body.html", theme=card, recurrences=recurrences,
            incidents=insights.incidents_by_key(keys, seen=seen), months=_months,
            can_correct=corrects, others=others)

    # Kept by what it shows: the theme, the versions of the themes, the taxonomy and the
    # people (and of the post-mortems, for a theme worked out on read), the stamps of the
    # post-mortems it names, the day, and the reader's sight, role (corrections), clock and
    # zone; its correction forms get this sign-in's CSRF token when served.
    title, body = keep("theme-page", (
        theme_id[:80], seen, can_correct, today(), *display_key(),
        insights.stamps_of_keys(keys, seen=seen),
        *versions(*reads, CATALOG, PEOPLE)), page)
    return render_template("themes/show.html", title=title, body=with_token(body))


def _theme(theme_id: str, seen: Any) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The theme as the reader who sees `seen` may read it, and its last 20 recurrences; None
    when there is no such theme for them."""
    try:
        theme = insights.get_theme(theme_id[:80], seen=seen)
    except NotFound:
        return None
    return theme, theme["recurrences"][-20:]
