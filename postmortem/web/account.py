"""The signed-in user's own page: API tokens and password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.security import check_password_hash

from ..errors import DomainError
from ..forms import ConfirmForm, PasswordChangeForm, TokenForm
from ..services import accounts

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(token_form: TokenForm, password_form: PasswordChangeForm, new_token: str | None = None,
          status: int = 200) -> Any:
    return render_template(
        "account/index.html",
        token_form=token_form,
        password_form=password_form,
        confirm=ConfirmForm(),
        new_token=new_token,
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
