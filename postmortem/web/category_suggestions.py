"""'Use this category' on the review page: a factor takes the category suggested for it, in one
click (the editor's factor rows do the same through their own form)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..errors import DomainError
from ..models import Role
from ..schemas import FactorChanges, parse
from ..services import incidents
from .incidents import load_incident

bp = Blueprint("category_suggestions", __name__)


@bp.post("/incidents/<key>/factors/<int:factor_id>/use-category")
@role_required(Role.AUTHOR)
def use(key: str, factor_id: int) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    data = {"category": request.form.get("category") or None,
            "version": request.form.get("version")}
    try:
        factor = incidents.update_factor(incident, current_user, factor_id,
                                         parse(FactorChanges, data))
    except DomainError as error:
        flash(f"The category was not changed: {error}", "error")
    else:
        flash(f"Category set for “{factor.text[:80]}”.", "success")
    return redirect(url_for("review.review_page", key=incident.key) + "#factors")
