"""The service catalogue in the browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from ..auth import role_required
from ..errors import DomainError
from ..extensions import db
from ..forms import ServiceForm
from ..models import Role
from ..services import catalog

bp = Blueprint("services", __name__, url_prefix="/services")


@bp.get("")
@login_required
def index() -> Any:
    services = list(db.session.scalars(catalog.services_query()))
    services.sort(key=lambda s: s.name)
    counts = {s.id: catalog.service_counts(s) for s in services}
    return render_template(
        "services/index.html", services=services, counts=counts, form=ServiceForm(formdata=None)
    )


@bp.post("")
@role_required(Role.AUTHOR)
def create() -> Any:
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            service = catalog.create_service(
                name=form.name.data, team=form.team.data or None,
                description=form.description.data or None,
            )
        except DomainError as error:
            form.name.errors = list((error.fields or {}).get("name", [error.message]))
        else:
            flash(f"Service {service.name} created.", "success")
            return redirect(url_for("services.show", name=service.name))
    services = sorted(db.session.scalars(catalog.services_query()), key=lambda s: s.name)
    counts = {s.id: catalog.service_counts(s) for s in services}
    return render_template(
        "services/index.html", services=services, counts=counts, form=form
    ), 422


@bp.get("/<name>")
@login_required
def show(name: str) -> Any:
    service = catalog.get_service(name)
    return render_template(
        "services/show.html",
        service=service,
        counts=catalog.service_counts(service),
        lkg=catalog.last_known_good_by_environment(service),
    )
