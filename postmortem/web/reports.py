"""Insights in the browser and the stakeholder digest PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required
from markupsafe import Markup

from ..errors import ValidationError
from ..models import today
from ..services import exchange, figures, insights
from ..services.figures import figure_key
from .page_cache import shared_page

bp = Blueprint("reports", __name__)


@bp.get("/insights")
@login_required
@shared_page
def index() -> Any:
    error = None
    try:
        since, until = insights.parse_period(request.args.to_dict())
    except ValidationError as exc:
        error = exc
        since, until = insights.parse_period({})
    # The body is the same for everyone until the next write: rendered once, shared by every
    # worker (the whole digest reads much of the archive).
    # A period ending now is keyed to the minute (writes invalidate it anyway).
    period = (since.replace(second=0, microsecond=0), until.replace(second=0, microsecond=0))
    body = figures.cached(figure_key("insights-page", *period, today()), lambda: render_template(
        "reports/_digest_body.html", d=insights.build_digest(since, until)))
    return render_template("reports/index.html", body=Markup(body), error=error,
                           since_value=since.date().isoformat(), until_value=until.date().isoformat())


@bp.get("/reports/digest.pdf")
@login_required
@shared_page
def digest_pdf() -> Any:
    try:
        since, until = insights.parse_period(request.args.to_dict())
    except ValidationError as error:
        abort(400, description=error.message + " " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in (error.fields or {}).items()))
    name = f"digest-{since.date().isoformat()}-{until.date().isoformat()}.pdf"
    return Response(exchange.render_digest_pdf_apart(since, until), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
