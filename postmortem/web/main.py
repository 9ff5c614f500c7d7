"""The home page and site-wide odds and ends."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..models import today
from ..services import accounts, incidents, insights, kept, setup
from .helpers import display_key, kept_rendering

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    """Per person: my due action items, drafts and reviews waiting, post-mortems owed, themes
    that came back, recent changes and 'on this day'; on a new install, the first steps."""
    user = accounts.get_user(current_user.id)
    owed_after = setup.owed_after_days()
    steps = [] if accounts.preferences_of(user.id).steps_hidden else setup.first_run_steps(user)
    base_url = (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")

    def context() -> dict[str, Any]:
        home = insights.home_for(user, owed_after)
        # Which of my drafts a reviewer sent back, and who: the home page says so by name.
        requested = incidents.changes_requested_of(home.drafts)
        return {"home": home, "requested": requested, "steps": steps,
                "steps_done": all(step.done for step in steps),
                "steps_met": sum(1 for step in steps if step.done), "base_url": base_url}

    # Kept by what it shows this person: the ids and stamps of every list's post-mortems and
    # items (read without loading them), the getting-started steps, the day, the themes and
    # the people, and the reader's role, sight, clock, zone and address.
    body = kept_rendering("home", (
        user.id, user.role, today(), incidents.sight(user), insights.home_shows(user, owed_after),
        [(step.key, step.done) for step in steps], base_url, *display_key(),
        *kept.versions(kept.THEMES, kept.PEOPLE)), "main/_home_body.html", context)
    return render_template("main/home.html", body=body)


@bp.get("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="favicon.svg"), code=301)
