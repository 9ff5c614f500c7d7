"""Review, publishing, comments and revision history in the browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import role_required
from ..errors import Conflict, Forbidden, ValidationError
from ..models import Role, today
from ..schemas import CommentIn, TransitionIn, parse
from ..services import incidents
from .incidents import load_incident

bp = Blueprint("review", __name__, url_prefix="/incidents")

TRANSITION_MESSAGES = {
    "in_review": "Submitted for review.",
    "published": "Published. The post-mortem is now frozen; action items stay editable.",
    "draft": "Back to draft.",
}


@bp.get("/<key>/review")
@login_required
def review_page(key: str) -> Any:
    incident = load_incident(key)
    return render_template(
        "incidents/review.html",
        incident=incident,
        checklist=incidents.checklist_items(incident),
        unmet=incidents.checklist(incident),
        findings=incidents.check_incident(incident),
        today=today(),
    )


@bp.post("/<key>/transition")
@role_required(Role.AUTHOR)
def transition(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    to = request.form.get("to", "")
    try:
        move = parse(TransitionIn, request.form.to_dict())
        incidents.transition_incident(incident, current_user, move.to or "", move.comment)
    except ValidationError as error:
        unmet = (error.fields or {}).get("checklist")
        if unmet:
            flash("Not published — the review checklist is not met:", "error")
            for item in unmet:
                flash(item, "error")
        else:
            flash(error.message, "error")
        return redirect(url_for("review.review_page", key=incident.key)), 303
    except (Conflict, Forbidden) as error:
        flash(error.message, "error")
        return redirect(url_for("review.review_page", key=incident.key)), 303
    flash(TRANSITION_MESSAGES.get(to, "Done."), "success")
    target = "editor.edit" if to == "draft" else "incidents.show"
    if to == "in_review":
        target = "review.review_page"
    return redirect(url_for(target, key=incident.key))


@bp.post("/<key>/comments")
@role_required(Role.AUTHOR)
def add_comment(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    try:
        incidents.add_comment(incident, current_user, parse(CommentIn, request.form.to_dict()))
    except ValidationError as error:
        flash(error.message, "error")
    return redirect(url_for("review.review_page", key=incident.key) + "#comments")


@bp.post("/<key>/comments/<int:comment_id>/resolve")
@role_required(Role.AUTHOR)
def resolve_comment(key: str, comment_id: int) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    incidents.resolve_comment(incident, current_user, comment_id,
                           resolved=request.form.get("reopen") is None)
    return redirect(url_for("review.review_page", key=incident.key) + "#comments")


@bp.get("/<key>/history")
@login_required
def history(key: str) -> Any:
    incident = load_incident(key)
    return render_template("incidents/history.html", incident=incident,
                           revisions=list(reversed(incidents.list_revisions(incident))))


@bp.get("/<key>/history/diff")
@login_required
def diff(key: str) -> Any:
    incident = load_incident(key)
    all_revisions = incidents.list_revisions(incident)
    numbers = [r.number for r in all_revisions]
    a = request.args.get("a", type=int) or (numbers[-2] if len(numbers) > 1 else numbers[0])
    b = request.args.get("b", type=int) or numbers[-1]
    if a not in numbers or b not in numbers:
        abort(404)
    if a > b:
        a, b = b, a
    old, new = incidents.get_revision(incident, a), incidents.get_revision(incident, b)
    blocks = incidents.diff_snapshots(old.snapshot, new.snapshot)
    return render_template("incidents/diff.html", incident=incident, old=old, new=new,
                           blocks=blocks, revisions=all_revisions)
