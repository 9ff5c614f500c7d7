"""Logging in and out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..auth import is_safe_next
from ..errors import Throttled
from ..forms import ConfirmForm, LoginForm
from ..services import accounts, incidents

bp = Blueprint("auth", __name__)


def _next_url() -> str:
    target = request.values.get("next")
    return target if target and is_safe_next(target) else url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data or "", form.password.data or "", request.remote_addr or "unknown"
            )
        except Throttled as error:
            form.form_errors.append(error.message)
            status = 429
        except accounts.InvalidCredentials:
            form.form_errors.append("Wrong email or password.")
            status = 401
        else:
            login_user(user, remember=bool(form.remember.data))
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(_next_url())
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, next=request.values.get("next")), status


@bp.post("/logout")
def logout() -> Any:
    form = ConfirmForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            incidents.leave(None, current_user)  # no longer "editing" anything
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
