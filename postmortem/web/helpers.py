"""Template filters and globals shared by every page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timezone
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import Environment
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from ..markup import render_markdown
from ..models import ReviewComment, Role
from ..services import accounts, incidents, kept
from ..timeutil import humanize_duration, isoformat
from .timezones import zone

_env = Environment()


def preferences() -> accounts.Preferences:
    """The signed-in person's clock and zone (the defaults, 24-hour UTC, for anyone else),
    read once per request."""
    if not has_request_context():
        return accounts.preferences_of(None)
    # Kept on the request itself: an application context may outlive one request (tests hold
    # one across several), and a person's settings may change between two requests.
    stored = request.environ.get("postmortem.preferences")
    if stored is None:
        stored = accounts.preferences_of(getattr(current_user, "id", None))
        request.environ["postmortem.preferences"] = stored
    return stored


def display_zone() -> ZoneInfo | timezone:
    try:
        return zone(preferences().time_zone)
    except ValueError:
        return UTC


def clock(value: datetime, seconds: bool = False) -> str:
    """The time of day on the person's clock: '14:05' or '2:05 PM' (with ':09' seconds)."""
    if preferences().clock == "12h":
        hour = value.hour % 12 or 12
        rest = value.strftime(":%M:%S" if seconds else ":%M")
        return f"{hour}{rest} {'AM' if value.hour < 12 else 'PM'}"
    return value.strftime("%H:%M:%S" if seconds else "%H:%M")


def zone_name(value: datetime) -> str:
    """The zone's short name at that moment ('UTC', 'CET', 'EDT', or '+03')."""
    return value.tzname() or "UTC"


def format_datetime(value: datetime | None, style: str = "long") -> str:
    """A moment in the person's zone and clock. 'long': '14 Mar 2026, 14:05 UTC' (the zone
    named); 'short': '14 Mar 14:05' (where a heading names the zone); 'time': '14:05';
    'date': '14 Mar 2026'."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(display_zone())
    if style == "date":
        return value.strftime("%d %b %Y")
    if style == "short":
        return f"{value.strftime('%d %b')} {clock(value)}"
    if style == "time":
        return clock(value)
    return f"{value.strftime('%d %b %Y')}, {clock(value)} {zone_name(value)}"


# Stands for this sign-in's CSRF token in a kept rendering: put in when the page is served.
CSRF_MARK = "csrf-token-of-this-sign-in"


def rendered_with_mark(template: str, **context: Any) -> str:
    """template rendered with a mark where this sign-in's CSRF token goes (for keeping; see
    with_token). A rendering that would hold the real token is refused loudly."""
    rendered = render_template(template, csrf_token=lambda: CSRF_MARK, **context)
    if generate_csrf() in rendered:
        raise RuntimeError(f"a kept {template} would carry this sign-in's CSRF token")
    return rendered


def with_token(rendered: str) -> Markup:
    """A kept rendering with this sign-in's own CSRF token in place of the mark."""
    return Markup(rendered.replace(CSRF_MARK, generate_csrf()))


def kept_rendering(name: str, key: tuple[Any, ...], template: str,
                   context: Callable[[], dict[str, Any]]) -> Markup:
    """template rendered with context(), kept under name and key (services.kept), whose
    forms carry this sign-in's own CSRF token: rendered with a mark in its place, which the
    token replaces when served."""
    return with_token(kept.keep(name, key, lambda: rendered_with_mark(template, **context())))


def display_key() -> tuple[Any, ...]:
    """What a shared rendering's look depends on for this reader: their clock and zone (and
    the editor's zone of the session)."""
    chosen = preferences()
    return (session.get("timezone"), chosen.clock, chosen.time_zone)


def zone_label() -> str:
    """The zone times are shown in, for headings: 'UTC', 'Europe/Berlin'."""
    return preferences().time_zone or "UTC"


def truncate(text: object, length: int = 255, killwords: bool = False, end: str = "…",
             leeway: int = 0) -> str:
    """Jinja's truncate, ending a cut text with '…' (not '...') and cutting at a word."""
    return do_truncate(_env, str(text or ""), length, killwords, end, leeway)


def format_date(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    query = urlencode(args, doseq=True)
    return request.path + ("?" + query if query else "")


def has_endpoint(endpoint: str) -> bool:
    """True when the app has this view: navigation shows only what is installed."""
    return endpoint in current_app.view_functions


def review_queue_count() -> int:
    """Post-mortems in review that name the signed-in person as a reviewer (for the nav)."""
    if not current_user.is_authenticated:
        return 0
    return incidents.review_queue_count(current_user)


NAV_SECTIONS = ("incidents.", "actions.", "services.", "themes.", "reports.")


def topbar() -> Markup:
    """The signed-in person's bar: kept by what it shows (who they are, the section of the
    page, the search made, how many post-mortems await their review, and where the app is
    mounted); its sign-out form gets this sign-in's own CSRF token."""
    endpoint = request.endpoint or ""
    section = next((prefix for prefix in NAV_SECTIONS if endpoint.startswith(prefix)), "")
    query = request.args.get("q", "") if endpoint == "incidents.search" else ""
    to_review = review_queue_count()
    user = current_user
    return kept_rendering(
        "topbar", (user.id, user.name, user.email, str(user.role), section, query, to_review,
                   request.script_root),
        "_partials/topbar.html",
        lambda: {"section": section, "query": query, "to_review": to_review})


def readable(incident: Any) -> bool:
    """True when the signed-in person may read this post-mortem (for a template listing other
    post-mortems, such as a deployment's links); the rule is services.incidents.visibility."""
    if incident is None or not current_user.is_authenticated:
        return False
    seen = incidents.sight(current_user)
    return seen == "all" or not incident.restricted or incident.id in seen


def comment_html(comment: ReviewComment) -> Markup:
    """A review comment's Markdown, with each @mention of a person picked out."""
    people = {key: user for user in comment.mentioned for key in incidents.mention_keys(user)}

    def mark(match: re.Match[str]) -> str:
        handle = match.group(1).rstrip(".")
        user = people.get(handle.lower())
        if user is None:
            return match.group(0)
        rest = match.group(1)[len(handle):]
        return f'<strong class="mention" title="{escape(user.name)}">@{escape(handle)}</strong>{rest}'

    return Markup(incidents.MENTION.sub(mark, render_markdown(comment.body)))


def init_template_helpers(app: Flask) -> None:
    from .http_cache import init_http_cache

    init_http_cache(app)
    app.jinja_env.globals["has_endpoint"] = has_endpoint
    app.jinja_env.globals["review_queue_count"] = review_queue_count
    app.jinja_env.globals["topbar"] = topbar
    app.jinja_env.globals["comment_html"] = comment_html
    app.jinja_env.globals["readable"] = readable
    from ..markup import render_inline
    from .labels import field_label, label
    from .timezones import to_local_input

    app.jinja_env.filters["localinput"] = lambda value, tz: to_local_input(
        value, tz, preferences().clock)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_inline"] = render_inline
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["utcdate"] = lambda value: (
        value.astimezone(UTC).strftime("%d %b %Y") if value else "—")
    app.jinja_env.filters["iso"] = isoformat
    app.jinja_env.filters["duration"] = humanize_duration
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["truncate"] = truncate
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["preferences"] = preferences
    app.jinja_env.globals["zone_label"] = zone_label
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
