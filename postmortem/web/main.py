"""The home page and site-wide odds and ends."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..services import accounts, insights, setup

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    """Per person: my due action items, drafts and reviews waiting, post-mortems owed, themes
    that came back, recent changes and 'on this day'; on a new install, the first steps."""
    steps = setup.first_run_steps()
    user = accounts.get_user(current_user.id)
    return render_template(
        "main/home.html", home=insights.home_for(user, setup.owed_after_days()),
        steps=steps, steps_done=all(step.done for step in steps),
        base_url=(current_app.config.get("BASE_URL") or request.host_url).rstrip("/"))


@bp.get("/favicon.ico")
def favicon() -> Response:
    return redirect(url_for("static", filename="favicon.svg"), code=301)
