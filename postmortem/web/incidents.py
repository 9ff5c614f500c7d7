"""Post-mortems in the browser: the list, the read view and the editor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from ..extensions import db
from ..models import Incident

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


@bp.get("")
@login_required
def index() -> Any:
    stmt = select(Incident).order_by(Incident.started_at.desc())
    page = db.paginate(stmt, per_page=25, error_out=False)
    return render_template("incidents/index.html", page=page)
