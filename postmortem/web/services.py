"""The service catalogue in the browser: deployments, versions and incidents per service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..auth import role_required
from ..errors import DomainError, NotFound
from ..forms import ServiceForm
from ..models import Role, today
from ..schemas import ServiceIn, parse
from ..services import deployments, incidents, insights, kept
from ..services.insights.knowledge import NO_KNOWLEDGE
from .helpers import display_key

bp = Blueprint("services", __name__, url_prefix="/services")
PERIODS = (30, 90, 180, 365)


def _index(form: ServiceForm, status: int = 200) -> Any:
    services = deployments.list_services()
    # Every service's figures from the whole archive's grouped counts (kept), not a few
    # queries per service; a service page works out its own.
    by_service, spread = deployments.counts_by_service(), insights.knowledge_by_service()
    counts = {s.id: by_service.get(s.id, {"incidents": 0, "deployments": 0}) for s in services}
    knowledge = {s.id: spread.get(str(s.id)) or dict(NO_KNOWLEDGE) for s in services}
    return render_template("services/index.html", services=services, counts=counts,
                           knowledge=knowledge, concentrated=insights.concentrated,
                           form=form), status


@bp.get("")
@login_required
def index() -> Any:
    return _index(ServiceForm(formdata=None))


@bp.post("")
@role_required(Role.AUTHOR)
def create() -> Any:
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            service = deployments.create_service(parse(ServiceIn, form.data))
        except DomainError as error:
            form.name.errors = list((error.fields or {}).get("name", [error.message]))
        else:
            flash(f"Service {service.name} created.", "success")
            return redirect(url_for("services.show", name=service.name))
    return _index(form, 422)


@bp.get("/<name>")
@login_required
def show(name: str) -> Any:
    try:
        service = deployments.get_service(name)
    except NotFound:
        return render_template("errors/404.html", status=404, error=None), 404
    days = request.args.get("days", 90, type=int)
    if days not in PERIODS:
        days = 90
    environment = request.args.get("environment")

    seen = incidents.sight(current_user)

    def body() -> str:
        data = deployments.service_overview(service, environment, days, seen=seen)
        knowledge = insights.knowledge_of(service.id)
        return render_template("services/_show_body.html", service=service, periods=PERIODS,
                               counts=deployments.service_counts(service), knowledge=knowledge,
                               concentrated=insights.concentrated(knowledge), **data)

    # Kept by what it shows: the service, its deployments (their version), the post-mortems
    # that name it (how many, and their stamps), the people, the day (a period ends today),
    # and which restricted post-mortems the reader may read (the page names them).
    page = kept.keep("service-page", (
        service.id, environment, days, today(), *display_key(), seen,
        *kept.versions(kept.DEPLOYMENTS, kept.PEOPLE), *incidents.stamps_of_service(service.id)),
        body)
    return render_template("services/show.html", service=service, body=Markup(page))
