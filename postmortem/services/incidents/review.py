"""Review and publishing: the workflow, the review checklist, and comments on sections."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from ...errors import Conflict, Forbidden, NotFound, ValidationError
from ...extensions import db
from ...models import (
    Incident,
    IncidentStatus,
    ReviewComment,
    Revision,
    Role,
    User,
    incident_reviewers,
    utcnow,
)
from ...schemas import CommentIn
from ...wording import shorten
from ..accounts import list_active_users
from ..outbox import post_webhook, try_mail
from ..transaction import use_case
from . import revisions
from .guard import lock
from .visibility import may_read

DRAFT, IN_REVIEW, PUBLISHED = (
    IncidentStatus.DRAFT.value, IncidentStatus.IN_REVIEW.value, IncidentStatus.PUBLISHED.value,
)

# (from, to): (role needed, what the revision says)
TRANSITIONS: dict[tuple[str, str], tuple[Role, str]] = {
    (DRAFT, IN_REVIEW): (Role.AUTHOR, "Submitted for review"),
    (IN_REVIEW, PUBLISHED): (Role.REVIEWER, "Published"),
    (IN_REVIEW, DRAFT): (Role.REVIEWER, "Changes requested"),
    (PUBLISHED, DRAFT): (Role.REVIEWER, "Reopened"),
}


# What the workflow's states are called on the screen (its messages name them so).
STATUS_WORDS = {"draft": "a draft", "in_review": "in review", "published": "published"}


def checklist(incident: Incident) -> list[str]:
    """Every unmet item of the review checklist, in reading order (empty when it passes)."""
    unmet: list[str] = []
    for section in incident.sections:
        if section.required and not section.markdown.strip():
            unmet.append(f"The required section '{section.title}' is empty.")
    for name, label in (("detected_at", "detected"), ("mitigated_at", "mitigated"),
                        ("resolved_at", "resolved")):
        if getattr(incident, name) is None:
            unmet.append(f"The {label} time is missing.")
    if not incident.factors:
        unmet.append("There is no contributing factor.")
    if not incident.action_items:
        unmet.append("There is no action item: add at least one follow-up.")
    for item in incident.action_items:
        if item.is_finished:
            continue
        if not item.owner_id and not item.team:
            unmet.append(f"The action item '{item.title}' has neither an owner nor a team.")
        if item.due_on is None:
            unmet.append(f"The action item '{item.title}' has no due date.")
    titles = {section.key: section.title for section in incident.sections}
    for comment in open_comments(incident):
        where = (f" on '{titles.get(comment.section_key, comment.section_key)}'"
                 if comment.section_key else "")
        unmet.append(f"A review comment{where} is not resolved: \"{shorten(comment.body, 80)}\"")
    return unmet


TAG = re.compile(r"<[^>]+>")


def plain_text(fragment: str) -> str:
    """The words of an HTML fragment, spaces collapsed: what a reader selects on the page."""
    return " ".join(html.unescape(TAG.sub("", fragment)).split())


def passages_found(incident: Incident) -> dict[int, bool]:
    """For each comment on a passage: is that passage still in its section's text?"""
    texts = {section.key: plain_text(section.rendered) for section in incident.sections}
    return {comment.id: comment.quote in texts.get(comment.section_key or "", "")
            for comment in incident.comments if comment.quote}


def open_comments(incident: Incident) -> list[ReviewComment]:
    """The review comments nobody has resolved yet."""
    return [comment for comment in incident.comments if comment.resolved_at is None]


def is_empty(incident: Incident) -> bool:
    """True while every section of the post-mortem is blank: nothing to review yet."""
    return not any(section.markdown.strip() for section in incident.sections)


def checklist_items(incident: Incident) -> list[dict[str, Any]]:
    """The checklist as a list of {label, ok, detail} for the review page."""
    unmet = checklist(incident)
    required_empty = [s.title for s in incident.sections if s.required and not s.markdown.strip()]
    missing_times = [label for name, label in (("detected_at", "detected"),
                                                ("mitigated_at", "mitigated"),
                                                ("resolved_at", "resolved"))
                     if getattr(incident, name) is None]
    item_problems = [u for u in unmet if u.startswith("The action item")]
    return [
        {"label": "Every required section is written", "ok": not required_empty,
         "detail": ", ".join(required_empty)},
        {"label": "Detected, mitigated and resolved times are set", "ok": not missing_times,
         "detail": ", ".join(missing_times)},
        {"label": "At least one contributing factor", "ok": bool(incident.factors), "detail": ""},
        {"label": "At least one action item", "ok": bool(incident.action_items), "detail": ""},
        {"label": "Every open action item has an owner or team, and a due date",
         "ok": not item_problems, "detail": " ".join(item_problems)},
        {"label": "Every review comment is resolved", "ok": not open_comments(incident),
         "detail": _count(len(open_comments(incident)), "comment") + " open"},
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@use_case
def transition_incident(incident: Incident, actor: User, to: str,
                        comment: str | None = None) -> Incident:
    """Move the post-mortem through draft → in_review → published (and back).

    Raises ValidationError for a failing checklist (fields.checklist), Forbidden when the
    actor's role is too low, Conflict for a move the workflow does not have.
    """

    lock(incident)
    rule = TRANSITIONS.get((incident.status, to))
    if rule is None:
        now = STATUS_WORDS.get(incident.status, incident.status)
        raise Conflict(f"{incident.key} is {now} already." if to == incident.status else
                       f"{incident.key} is {now}; it cannot become {STATUS_WORDS.get(to, 'that')}.")
    role, summary = rule
    if not actor.can(role):
        raise Forbidden(f"Only a {role.value} or above can move a post-mortem from "
                        f"{STATUS_WORDS.get(incident.status, incident.status)} to "
                        f"{STATUS_WORDS.get(to, to)}.")
    if to == IN_REVIEW and is_empty(incident):
        message = "Every section is empty: write the post-mortem before asking for a review."
        raise ValidationError(message, fields={"checklist": [message]})
    if to == PUBLISHED:
        unmet = checklist(incident)
        if unmet:
            raise ValidationError(
                "The review checklist is not met: " + " ".join(unmet),
                fields={"checklist": unmet},
            )
        incident.published_at = utcnow()
    elif incident.status == PUBLISHED:
        incident.published_at = None
    incident.status = IncidentStatus(to)
    incident.updated_at = utcnow()
    if comment and comment.strip():
        # The message that goes with a move is history, not an open question: it is kept
        # resolved, so only comments left on the review page hold back publishing.
        db.session.add(ReviewComment(incident=incident, author=actor, body=comment.strip(),
                                     resolved_at=utcnow(), resolved_by=actor))
        summary += f": {comment.strip()}"
    db.session.flush()
    revisions.record_revision(incident, actor, summary)
    db.session.commit()
    return incident


# "@priya" (the first part of an address) or "@priya@example.com"; not the middle of an address.
MENTION = re.compile(r"(?<![\w.@/+-])@([a-z0-9][a-z0-9._%+-]*(?:@[a-z0-9-]+(?:\.[a-z0-9-]+)+)?)",
                     re.IGNORECASE)


def mention_handle(user: User) -> str:
    """What to type after '@' to mention this person: the first part of their address."""
    return user.email.split("@", 1)[0]


def mention_keys(user: User) -> tuple[str, str]:
    """What may follow '@' to mention this person, lower-cased: their address, or its first part."""
    return user.email.lower(), mention_handle(user).lower()


def mentioned_users(text: str) -> list[User]:
    """The active users a comment mentions, by '@' and their address or its first part."""
    handles = {match.group(1).rstrip(".").lower() for match in MENTION.finditer(text or "")}
    if not handles:
        return []
    return [user for user in list_active_users() if handles.intersection(mention_keys(user))]


@use_case
def add_comment(incident: Incident, actor: User, data: CommentIn) -> ReviewComment:
    """A review comment on the whole post-mortem, on one of its sections, or on a passage of
    one (`quote`); the people it @mentions are told by e-mail and the webhook."""
    section = incident.section(data.section) if data.section else None
    if data.section and section is None:
        raise ValidationError("Unknown section.", fields={"section": ["unknown section"]})
    quote = " ".join((data.quote or "").split()) or None
    if quote and section is None:
        raise ValidationError("A quoted passage belongs to a section.",
                              fields={"section": ["choose the section the passage is in"]})
    comment = ReviewComment(incident=incident, author=actor, body=data.body,
                            section_key=data.section, quote=quote,
                            mentioned=mentioned_users(data.body or ""))
    db.session.add(comment)
    db.session.commit()
    tell_mentioned(incident, comment, actor)
    return comment


def tell_mentioned(incident: Incident, comment: ReviewComment, actor: User) -> None:
    """An e-mail to each person the comment mentions (when mail is set up), and the webhook."""
    # On a restricted post-mortem only those who may read it are told (a mention names it).
    people = [user for user in comment.mentioned
              if user.id != actor.id and may_read(incident, user)]
    if not people:
        return
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    link = f"{base}/incidents/{incident.key}/review#comment-{comment.id}"
    where = ""
    if comment.section_key and incident.section(comment.section_key):
        where = f" on \"{incident.section(comment.section_key).title}\""  # type: ignore[union-attr]
    quoted = f"> {comment.quote}\n\n" if comment.quote else ""
    for person in people:
        try_mail(person.email, f"{actor.name} mentioned you on {incident.key}: {incident.title}",
                 f"Hello {person.name},\n\n{actor.name} mentioned you in a review comment"
                 f"{where} of {incident.key}, \"{incident.title}\":\n\n{quoted}{comment.body}"
                 f"\n\n{link}\n")
    if incident.restricted:
        return  # a webhook's channel is read by everyone
    post_webhook("comment.mentioned", {
        "incident": {"key": incident.key, "title": incident.title, "url": link},
        "comment": {"id": comment.id, "section": comment.section_key, "quote": comment.quote,
                    "body": comment.body},
        "mentioned": [person.email for person in people],
        "actor": actor.email,
    })


@use_case
def resolve_comment(incident: Incident, actor: User, comment_id: int, resolved: bool = True) -> None:
    comment = db.session.get(ReviewComment, comment_id)
    if comment is None or comment.incident_id != incident.id:
        raise NotFound("No such comment.")
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by = actor if resolved else None
    db.session.commit()


def submit_for_review(incident: Incident, actor: User, comment: str | None = None) -> Incident:
    """draft → in_review (author)."""
    return transition_incident(incident, actor, IncidentStatus.IN_REVIEW.value, comment)


def publish_incident(incident: Incident, actor: User, comment: str | None = None) -> Incident:
    """in_review → published (reviewer); ValidationError listing the unmet checklist."""
    return transition_incident(incident, actor, IncidentStatus.PUBLISHED.value, comment)


def request_changes(incident: Incident, actor: User, comment: str | None = None) -> Incident:
    """in_review → draft (reviewer), with the reviewer's message kept as a comment."""
    return transition_incident(incident, actor, IncidentStatus.DRAFT.value, comment)


def reopen_incident(incident: Incident, actor: User, comment: str | None = None) -> Incident:
    """published → draft (reviewer): the post-mortem is editable again."""
    return transition_incident(incident, actor, IncidentStatus.DRAFT.value, comment)


WORKFLOW_MOVES = ("Changes requested", "Submitted for review", "Reopened", "Published")


def changes_requested(incident: Incident) -> Revision | None:
    """While a draft: the revision of the reviewer's request for changes that sent it back
    (its summary holds the message), when that was the last move of the workflow."""
    if incident.status != DRAFT:
        return None
    # The last move of the workflow, found by the database: a draft saved every few seconds
    # has hundreds of revisions, each holding a whole snapshot.
    last = db.session.scalar(
        select(Revision).where(Revision.incident_id == incident.id, or_(
            *(Revision.summary.startswith(move, autoescape=True) for move in WORKFLOW_MOVES)))
        .order_by(Revision.number.desc()).limit(1))
    return last if last is not None and last.summary.startswith("Changes requested") else None


@dataclass(frozen=True)
class SentBack:
    """Who asked for changes to a draft, and when."""

    by: str | None
    at: datetime


def changes_requested_of(drafts: list[Incident]) -> dict[int, SentBack]:
    """{incident id: who sent it back and when} for those of these drafts that a reviewer
    sent back with a request for changes (their last workflow move), in one query."""
    ids = [incident.id for incident in drafts if incident.status == DRAFT]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Revision.incident_id, Revision.summary, Revision.created_at, User.name)
        .outerjoin(User, User.id == Revision.author_id)
        .where(Revision.incident_id.in_(ids),
               or_(*(Revision.summary.startswith(move) for move in WORKFLOW_MOVES)))
        .order_by(Revision.incident_id, Revision.number.desc()))
    latest: dict[int, SentBack] = {}
    seen: set[int] = set()
    for incident_id, summary, created_at, name in rows:
        if incident_id in seen:
            continue
        seen.add(incident_id)
        if summary.startswith("Changes requested"):
            latest[incident_id] = SentBack(by=name, at=created_at)
    return latest


def review_queue_count(user: User) -> int:
    """How many post-mortems in review name this person as a reviewer (on every page's top
    bar): kept by the person and the version of the published record, which any write to a
    post-mortem in review (its reviewers too) and any move into or out of review bumps."""
    from ..kept import PUBLISHED, keep, versions

    return keep("review-queue", (user.id, *versions(PUBLISHED)), lambda: _review_queue_count(user))


def _review_queue_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Incident.id)).where(
            Incident.status == IN_REVIEW, Incident.archived_at.is_(None),
            Incident.id.in_(select(incident_reviewers.c.incident_id)
                            .where(incident_reviewers.c.user_id == user.id)))) or 0
