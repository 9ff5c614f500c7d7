"""Administration of post-mortem templates and of the contributing-factor taxonomy."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..auth import role_required
from ..errors import DomainError, NotFound
from ..models import Role
from ..schemas import CategoryIn, parse
from ..services import setup

bp = Blueprint("admin_templates", __name__, url_prefix="/admin")

EMPTY_ROWS = 3


def _sections_from_form() -> list[dict[str, Any]]:
    """Rows of the section table: key[], title[], guidance[], required[] (by row index)."""
    keys = request.form.getlist("section_key")
    titles = request.form.getlist("section_title")
    guidance = request.form.getlist("section_guidance")
    required = set(request.form.getlist("section_required"))
    rows = []
    for index, title in enumerate(titles):
        rows.append({
            "key": keys[index] if index < len(keys) else "",
            "title": title,
            "guidance": guidance[index] if index < len(guidance) else "",
            "required": str(index) in required,
        })
    return rows


@bp.get("/templates")
@role_required(Role.ADMIN)
def template_list() -> Any:
    return render_template("admin/templates.html", templates=setup.list_templates())


@bp.route("/templates/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def template_new() -> Any:
    return _template_form(None)


@bp.route("/templates/<key>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def template_edit(key: str) -> Any:
    try:
        template = setup.get_template(key)
    except NotFound:
        abort(404)
    return _template_form(template)


def _template_form(template: Any) -> Any:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        rows = _sections_from_form()
        values = {"key": request.form.get("key", ""), "name": request.form.get("name", ""),
                  "description": request.form.get("description", "")}
        try:
            saved = setup.save_template(
                key=template.key if template else values["key"], name=values["name"],
                description=values["description"], sections=rows, template=template)
        except DomainError as error:
            errors = error.fields or {"name": [error.message]}
        else:
            flash(f"Template '{saved.name}' saved. Existing post-mortems keep their sections.",
                  "success")
            return redirect(url_for("admin_templates.template_list"))
    else:
        rows = [
            {"key": s.key, "title": s.title, "guidance": s.guidance or "", "required": s.required}
            for s in (template.sections if template else [])
        ]
        values = {"key": template.key if template else "", "name": template.name if template else "",
                  "description": (template.description or "") if template else ""}
    rows = rows + [{"key": "", "title": "", "guidance": "", "required": False}] * EMPTY_ROWS
    return render_template("admin/template_form.html", template=template, values=values,
                           rows=rows, errors=errors), (422 if errors else 200)


@bp.route("/taxonomy", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def taxonomy() -> Any:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            category = setup.save_category(parse(CategoryIn, {
                **request.form.to_dict(), "active": request.form.get("active") is not None}))
        except DomainError as error:
            errors = error.fields or {"key": [error.message]}
        else:
            flash(f"Category '{category.name}' saved.", "success")
            return redirect(url_for("admin_templates.taxonomy"))
    return render_template(
        "admin/taxonomy.html", categories=setup.list_categories(include_inactive=True),
        errors=errors, form=request.form,
    ), (422 if errors else 200)
