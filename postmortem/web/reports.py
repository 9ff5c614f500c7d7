"""Insights in the browser and the stakeholder digest PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required
from markupsafe import Markup

from ..errors import ValidationError
from ..models import today
from ..services import exchange, insights, kept

bp = Blueprint("reports", __name__)


@bp.get("/insights")
@login_required
def index() -> Any:
    error = None
    try:
        since, until = insights.parse_period(request.args.to_dict())
    except ValidationError as exc:
        error = exc
        since, until = insights.parse_period({})
    # The body is the same for everyone: kept by its period (one ending now, to the minute),
    # the day, and the versions of what it counts (published post-mortems, action items, the
    # taxonomy, the themes); a draft's text saved meanwhile leaves it kept.
    period = (since.replace(second=0, microsecond=0), until.replace(second=0, microsecond=0))
    shows = kept.versions(kept.PUBLISHED, kept.ACTION_ITEMS, kept.CATALOG, kept.PEOPLE)
    body = kept.keep("insights-page", (*period, today(), *shows), lambda: render_template(
        "reports/_digest_body.html", d=insights.build_digest(since, until)))
    return render_template("reports/index.html", body=Markup(body), error=error,
                           since_value=since.date().isoformat(), until_value=until.date().isoformat())


@bp.get("/reports/digest.pdf")
@login_required
def digest_pdf() -> Any:
    try:
        since, until = insights.parse_period(request.args.to_dict())
    except ValidationError as error:
        abort(400, description=error.message + " " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in (error.fields or {}).items()))
    name = f"digest-{since.date().isoformat()}-{until.date().isoformat()}.pdf"
    return Response(exchange.render_digest_pdf_apart(since, until), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
