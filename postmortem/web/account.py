"""The signed-in user's own page: API tokens and password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash

from ..auth import is_safe_next
from ..errors import DomainError, ValidationError
from ..forms import ConfirmForm, PasswordChangeForm, TokenForm
from ..services import accounts
from .timezones import KNOWN, TIMEZONES

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(token_form: TokenForm, password_form: PasswordChangeForm, new_token: str | None = None,
          status: int = 200) -> Any:
    return render_template(
        "account/index.html",
        token_form=token_form,
        password_form=password_form,
        confirm=ConfirmForm(),
        new_token=new_token,
        prefs=accounts.preferences_of(current_user.id),
        timezones=TIMEZONES,
    ), status


@bp.get("/")
@login_required
def index() -> Any:
    return _page(TokenForm(formdata=None), PasswordChangeForm(formdata=None))


@bp.post("/tokens")
@login_required
def create_token() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, PasswordChangeForm(formdata=None), status=422)
    try:
        _, clear = accounts.create_token(current_user, form.label.data or "")
    except DomainError as error:
        form.label.errors = list((error.fields or {}).get("label", [error.message]))
        return _page(form, PasswordChangeForm(formdata=None), status=422)
    # Rendered, not redirected: the clear token exists only in this response.
    flash("Token created. Copy it now: it will not be shown again.", "success")
    return _page(TokenForm(formdata=None), PasswordChangeForm(formdata=None), new_token=clear,
                 status=201)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    if ConfirmForm().validate_on_submit():
        token = accounts.revoke_token(current_user, token_id)
        flash(f"Token '{token.label}' revoked.", "info")
    return redirect(url_for("account.index"))


@bp.post("/password")
@login_required
def change_password() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current.data or ""):
            form.current.errors = ["This is not your current password."]
        else:
            user = accounts.get_user(current_user.id)
            accounts.set_password(user, form.new.data or "")
            login_user(user)  # this session stays; every other one ends
            flash("Password changed. Your other sessions were logged out.", "success")
            return redirect(url_for("account.index"))
    return _page(TokenForm(formdata=None), form, status=422)


@bp.post("/preferences")
@login_required
def save_preferences() -> Any:
    """How times are shown (clock and zone), and the getting-started list shown or hidden."""
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("account.index"))
    hidden = request.form.get("steps_hidden")
    try:
        accounts.save_preferences(
            accounts.get_user(current_user.id),
            clock=request.form.get("clock") or None,
            time_zone=request.form.get("time_zone") or None,
            steps_hidden=None if hidden is None else hidden == "1",
            known_zones=KNOWN)
    except ValidationError as error:
        words = {"clock": "Clock", "time_zone": "Time zone"}
        for field, messages in (error.fields or {}).items():
            flash(f"{words.get(field, field)} {', '.join(messages)}.", "error")
        return redirect(url_for("account.index"))
    if request.form.get("time_zone"):
        session.pop("timezone", None)  # the editor's own choice gives way to the new setting
    if hidden is not None:
        flash("The getting-started list is hidden; it stays under Your account."
              if hidden == "1" else "The getting-started list is back on your home page.", "info")
    else:
        flash("Saved: times are shown your way everywhere.", "success")
    target = request.form.get("next") or ""
    return redirect(target if is_safe_next(target) else url_for("account.index"))
