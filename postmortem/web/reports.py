"""Insights in the browser and the stakeholder digest PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from ..errors import ValidationError
from ..services import exchange, insights

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
    return render_template("reports/index.html", d=insights.build_digest(since, until), error=error,
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
    return Response(exchange.render_digest_pdf(since, until), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
