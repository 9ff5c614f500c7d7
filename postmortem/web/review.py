"""Review, publishing, comments and revision history in the browser."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..auth import is_safe_next, role_required
from ..errors import Conflict, Forbidden, ValidationError
from ..models import Incident, IncidentStatus, ReviewComment, Role, today
from ..schemas import CommentIn, TransitionIn, parse
from ..services import deployments, incidents, insights, kept, setup
from ..services.accounts import list_active_users
from .helpers import display_key
from .incidents import load_incident
from .labels import field_label

bp = Blueprint("review", __name__, url_prefix="/incidents")

TRANSITION_MESSAGES = {
    "in_review": "Submitted for review.",
    "published": "Published. The post-mortem is now frozen; action items stay editable.",
    "draft": "Back to draft.",
}


@bp.get("/<key>/review")
@login_required
def review_page(key: str) -> Any:
    """The post-mortem itself, with the reviewers' comments in place beside its sections (and
    on the passages they quote), the checklist and the workflow."""
    return render_review(load_incident(key))


def render_review(incident: Incident, draft: dict[str, str] | None = None) -> str:
    """The review page; `draft` is a comment that was refused, put back in its form."""
    by_section: dict[str, list[ReviewComment]] = defaultdict(list)
    for comment in incident.comments:
        by_section[comment.section_key or ""].append(comment)
    people = [{"handle": incidents.mention_handle(user), "name": user.name}
              for user in list_active_users()]
    document = render_template(
        "incidents/_show_body.html", incident=incident, review=True,
        can_edit=current_user.can(Role.AUTHOR), today=today(),
        checklist=[], findings=[], similar=[],
        categories={c.key: c for c in setup.list_categories(include_inactive=True)},
        suggest_category=insights.suggested_category,
        timeline_entries=deployments.incident_timeline(incident),
        comments_by_section=by_section, passages=incidents.passages_found(incident),
        can_comment=current_user.can(Role.AUTHOR), people=people, draft=draft or {},
    )
    return render_template(
        "incidents/review.html",
        incident=incident,
        document=Markup(document),
        general_comments=by_section.get("", []),
        people=people,
        draft=draft or {},
        can_comment=current_user.can(Role.AUTHOR),
        checklist=incidents.checklist_items(incident),
        unmet=incidents.checklist(incident),
        findings=incidents.findings_of(incident),
        today=today(),
    )


@bp.post("/<key>/transition")
@role_required(Role.AUTHOR)
def transition(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    to = request.form.get("to", "")
    was = incident.status
    try:
        move = parse(TransitionIn, request.form.to_dict())
        incidents.transition_incident(incident, current_user, move.to or "", move.comment)
    except ValidationError as error:
        unmet = (error.fields or {}).get("checklist")
        if unmet:
            flash(("Not submitted for review:" if to == "in_review" else
                   "Not published — the review checklist is not met:"), "error")
            for item in unmet:
                flash(item, "error")
        else:
            flash(error.message, "error")
        return redirect(url_for("review.review_page", key=incident.key)), 303
    except (Conflict, Forbidden) as error:
        flash(error.message, "error")
        return redirect(url_for("review.review_page", key=incident.key)), 303
    if to == "draft" and was == IncidentStatus.IN_REVIEW.value:
        flash(f"Changes requested: {incident.key} is back with its author as a draft, and "
              "their home page says so.", "success")
    else:
        flash(TRANSITION_MESSAGES.get(to, "Done."), "success")
    # A reviewer who asks for changes stays where the review happened (the author is told on
    # their home page); reopening a published one is done to edit it.
    target = "editor.edit" if to == "draft" else "incidents.show"
    if to == "in_review" or (to == "draft" and was == IncidentStatus.IN_REVIEW.value):
        target = "review.review_page"
    return redirect(url_for(target, key=incident.key))


@bp.post("/<key>/comments")
@role_required(Role.AUTHOR)
def add_comment(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    form = request.form.to_dict()
    try:
        comment = incidents.add_comment(incident, current_user, parse(CommentIn, form))
    except ValidationError as error:
        # Nothing is lost: the text goes back into a form above the comments.
        flash(error.message, "error")
        for field, messages in (error.fields or {}).items():
            for message in messages:
                if field != "body":
                    flash(f"{field_label(field)}: {message}", "error")
        return render_review(incident, form), 422
    named = ", ".join(user.name for user in comment.mentioned if user.id != current_user.id)
    flash(f"Comment added; {named} will be told." if named else "Comment added.", "success")
    return redirect(url_for("review.review_page", key=incident.key) + f"#comment-{comment.id}")


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
    incident = load_incident(key, whole=False)
    # Every save adds a revision and bumps the post-mortem's stamp; the authors' names and the
    # reader's clock and zone are the rest of what the list shows.
    body = kept.keep("history", (incident.id, incident.stamp, *display_key(),
                                 *kept.versions(kept.PEOPLE)), lambda: render_template(
        "incidents/_history_body.html", incident=incident,
        revisions=list(reversed(incidents.list_revisions(incident)))))
    return render_template("incidents/history.html", incident=incident, body=Markup(body))


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
    blocks = incidents.diff_snapshots(incidents.snapshot_for(old, current_user),
                                      incidents.snapshot_for(new, current_user))
    return render_template("incidents/diff.html", incident=incident, old=old, new=new,
                           blocks=blocks, revisions=all_revisions)


@bp.post("/<key>/presence")
@login_required
def presence(key: str) -> Any:
    """A ping from an open editor or review page; answers with who else is there."""
    incident = load_incident(key, whole=False)
    activity = request.form.get("activity", "reading")
    if activity == "editing" and not current_user.can(Role.AUTHOR):
        activity = "reading"
    others = incidents.ping(incident, current_user, activity, request.form.get("page", "")[:40])
    return render_template("_partials/presence.html", others=others, activity=activity)


@bp.post("/<key>/presence/leave")
@login_required
def presence_leave(key: str) -> Any:
    incidents.leave(load_incident(key, whole=False), current_user,
                    request.form.get("page", "")[:40])
    return "", 204


@bp.post("/<key>/archive")
@role_required(Role.ADMIN)
def archive(key: str) -> Any:
    """Take a post-mortem out of lists, search, themes and digests (admin; kept in history)."""
    incident = load_incident(key, Role.ADMIN, whole=False)
    incidents.archive_incident(incident, current_user)
    flash(f"{incident.key} is archived: it no longer appears in lists, search, themes or "
          "digests. Restore it here or from Administration → Archived post-mortems.", "success")
    return redirect(url_for("incidents.show", key=incident.key))


@bp.post("/<key>/restore")
@role_required(Role.ADMIN)
def restore(key: str) -> Any:
    incident = load_incident(key, Role.ADMIN, whole=False)
    incidents.restore_incident(incident, current_user)
    flash(f"{incident.key} is restored.", "success")
    target = request.form.get("next") or ""
    return redirect(target if is_safe_next(target) else url_for("incidents.show", key=incident.key))
