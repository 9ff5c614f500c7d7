"""Insights in the browser and the stakeholder digest PDF."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from ..errors import ValidationError
from ..models import today
from ..services import digest

bp = Blueprint("reports", __name__)


@bp.get("/insights")
@login_required
def index() -> Any:
    error = None
    try:
        since, until = digest.parse_period(request.args.to_dict())
    except ValidationError as exc:
        error = exc
        since, until = digest.parse_period({})
    return render_template("reports/index.html", d=digest.build_digest(since, until), error=error,
                           since_value=since.date().isoformat(), until_value=until.date().isoformat())


@bp.get("/reports/digest.pdf")
@login_required
def digest_pdf() -> Any:
    from ..services import pdf

    try:
        since, until = digest.parse_period(request.args.to_dict())
    except ValidationError as error:
        abort(400, description=error.message + " " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in (error.fields or {}).items()))
    html = render_template("pdf/digest.html", d=digest.build_digest(since, until), today=today())
    name = f"digest-{since.date().isoformat()}-{until.date().isoformat()}.pdf"
    return Response(pdf.html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
