"""Administration: users and their roles."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..auth import role_required
from ..errors import DomainError
from ..forms import ConfirmForm, UserCreateForm, UserEditForm
from ..models import Role
from ..services import accounts, incidents, setup

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _apply_errors(form: Any, error: DomainError) -> None:
    for field, messages in (error.fields or {}).items():
        if hasattr(form, field):
            getattr(form, field).errors = list(messages)
        else:
            form.form_errors.extend(messages)
    if not error.fields:
        form.form_errors.append(error.message)


@bp.get("/archive")
@role_required(Role.ADMIN)
def archive() -> Any:
    """The archived post-mortems, to restore one."""
    rows, total = incidents.archived_incidents()
    return render_template("admin/archive.html", incidents=rows, total=total)


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> Any:
    return render_template(
        "admin/users.html", users=accounts.list_users(), form=UserCreateForm(formdata=None)
    )


@bp.post("/users")
@role_required(Role.ADMIN)
def create_user() -> Any:
    form = UserCreateForm()
    if form.validate_on_submit():
        password = form.password.data or accounts.generate_password()
        try:
            user = accounts.create_user(
                email=form.email.data or "", name=form.name.data or "",
                role=form.role.data or "", password=password,
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            generated = None if form.password.data else password
            return render_template(
                "admin/user_created.html", user=user, password=generated
            ), 201
    return render_template("admin/users.html", users=accounts.list_users(), form=form), 422


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    user = accounts.get_user(user_id)
    form = UserEditForm(obj=user)
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user, role=form.role.data or "", active=bool(form.active.data),
                name=form.name.data,
            )
        except DomainError as error:
            _apply_errors(form, error)
            status = 422
        else:
            flash(f"{user.name} updated.", "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_edit.html", user=user, form=form, confirm=ConfirmForm()
    ), status


@bp.post("/users/<int:user_id>/reset-password")
@role_required(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    user = accounts.get_user(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.edit_user", user_id=user.id))
    password = accounts.generate_password()
    accounts.set_password(user, password)
    return render_template("admin/user_created.html", user=user, password=password, reset=True)


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings() -> Any:
    """Install-wide settings: when a SEV1 or SEV2 post-mortem counts as owed on the home page."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = dict(setup.owed_after_days())
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            setup.save_owed_after_days(values)
        except DomainError as error:
            errors = error.fields or {}
        else:
            flash("Settings saved.", "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", values=values, errors=errors), (422 if errors else 200)
