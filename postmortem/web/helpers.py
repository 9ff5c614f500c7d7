"""Template filters and globals shared by every page."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request, session
from flask_login import current_user
from markupsafe import Markup, escape

from ..markup import render_markdown
from ..models import ReviewComment, Role
from ..services import incidents
from ..timeutil import humanize_duration, isoformat


def format_datetime(value: datetime | None, style: str = "long") -> str:
    if value is None:
        return "—"
    if style == "date":
        return value.strftime("%d %b %Y")
    if style == "short":
        return value.strftime("%d %b %H:%M")
    return value.strftime("%d %b %Y, %H:%M UTC")


def display_key() -> tuple[Any, ...]:
    """What a kept page's look depends on for this reader: their time zone and clock."""
    return (session.get("timezone"),)


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
    app.jinja_env.globals["comment_html"] = comment_html
    from ..markup import render_inline
    from .labels import field_label, label
    from .timezones import to_local_input

    app.jinja_env.filters["localinput"] = to_local_input
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_inline"] = render_inline
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["iso"] = isoformat
    app.jinja_env.filters["duration"] = humanize_duration
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
