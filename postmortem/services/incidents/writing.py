"""Writing post-mortems: create, and edit with optimistic versions."""

from __future__ import annotations

from flask import current_app

from ...errors import StaleVersion, ValidationError
from ...extensions import db
from ...models import Incident, IncidentSection, IncidentStatus, IncidentTag, User, utcnow
from ...schemas import TIMESTAMPS, IncidentChanges, IncidentIn, order_problems
from ..accounts import find_user_by_email, require_user
from ..deployments import catalog
from ..outbox import post_webhook, try_mail
from ..setup import templates
from ..transaction import use_case
from . import revisions
from .guard import ensure_editable, lock
from .visibility import sees_everything


def _reviewers(emails: list[str], failure: str) -> list[User]:
    """The users asked to review; ValidationError naming every unknown email."""
    found = {email: find_user_by_email(email) for email in emails}
    unknown = [email for email, user in found.items() if user is None]
    if unknown:
        raise ValidationError(failure, fields={
            "reviewers": [f"no user with email {email}" for email in unknown]})
    return [user for user in found.values() if user is not None]


def _readers(emails: list[str], failure: str) -> list[User]:
    """The people named to read a restricted post-mortem; ValidationError naming every unknown
    email."""
    try:
        return _reviewers(emails, failure)
    except ValidationError as error:
        raise ValidationError(failure, fields={"readers": (error.fields or {})["reviewers"]}
                              ) from None


def _access_changes(incident: Incident, actor: User | None, restricted: bool | None,
                    readers: list[User] | None) -> list[str]:
    """Apply a change to who may read the post-mortem; what the history says of it, with the
    people added and removed by address. Whoever restricts it stays among its readers (one
    cannot lock oneself out by mistake)."""
    done: list[str] = []
    if actor is not None and (restricted or (restricted is None and incident.restricted)):
        readers = list(readers if readers is not None else incident.readers)
        if actor not in readers and actor.id not in (incident.created_by_id,
                                                     incident.commander_id) \
                and incident.created_by is not actor and incident.commander is not actor \
                and actor not in incident.reviewers and not sees_everything(actor):
            readers.append(actor)
    if restricted is not None and restricted != incident.restricted:
        incident.restricted = restricted
        done.append("Restricted to its readers" if restricted else "Opened to everyone")
    if readers is not None and readers != incident.readers:
        added = [person.email for person in readers if person not in incident.readers]
        removed = [person.email for person in incident.readers if person not in readers]
        incident.readers = readers
        if added:
            done.append("Readers added: " + ", ".join(added))
        if removed:
            done.append("Readers removed: " + ", ".join(removed))
    return done


def _set_services(incident: Incident, names: list[str]) -> None:
    incident.services = [catalog.ensure_service(name) for name in names]


def _set_tags(incident: Incident, tags: list[str]) -> None:
    incident.tag_rows = [IncidentTag(tag=tag) for tag in tags]


@use_case
def create_incident(actor: User | None, data: IncidentIn, *, summary: str = "Created") -> Incident:
    """Create a draft from a template; ValidationError for an unknown template, section or
    commander."""
    template_key = data.template or "standard"
    template = templates.find_template(template_key)
    errors: dict[str, list[str]] = {}
    if template is None:
        errors["template"] = [f"no template '{template_key}'"]
    known = {s.key for s in template.sections} if template else set()
    unknown = [key for key in data.sections or {} if key not in known]
    if unknown and template is not None:
        errors["sections"] = [f"'{key}' is not a section of the '{template_key}' template"
                              for key in unknown]
    if errors:
        raise ValidationError(data.failure, fields=errors)
    assert template is not None and data.title is not None and data.severity is not None
    commander = require_user(data.commander, field="commander", failure=data.failure)
    reviewers = _reviewers(data.reviewers or [], data.failure)
    sections = data.sections or {}
    incident = Incident(
        title=data.title, severity=data.severity, status=IncidentStatus.DRAFT.value,
        template_key=template.key, commander=commander, created_by=actor,
        extra_metadata={}, version=1, **data.timestamps(),
    )
    for position, spec in enumerate(template.sections):
        incident.sections.append(IncidentSection(
            position=position, key=spec.key, title=spec.title, guidance=spec.guidance,
            required=spec.required, markdown=sections.get(spec.key) or "",
        ))
    incident.reviewers = reviewers
    access = _access_changes(incident, actor, data.restricted,
                             _readers(data.readers, data.failure) if data.readers else None)
    if access:
        summary = "; ".join([summary, *access])
    db.session.add(incident)
    _set_services(incident, data.services or [])
    _set_tags(incident, data.tags or [])
    db.session.flush()
    revisions.record_revision(incident, actor, summary)
    db.session.commit()
    ask_to_review(incident, reviewers, actor)
    return incident


def ask_to_review(incident: Incident, people: list[User], actor: User | None) -> None:
    """Tell each newly named reviewer: an e-mail (when mail is set up) and the webhook."""
    if not people:
        return
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    link = f"{base}/incidents/{incident.key}/review"
    by = actor.name if actor else "Someone"
    for person in people:
        try_mail(person.email, f"Please review {incident.key}: {incident.title}",
                 f"Hello {person.name},\n\n{by} asked you to review the post-mortem "
                 f"{incident.key}, \"{incident.title}\" ({incident.severity}).\n\n{link}\n")
    if incident.restricted:
        return  # a webhook's channel is read by everyone
    post_webhook("incident.review_requested", {
        "incident": {"key": incident.key, "title": incident.title, "url": link},
        "reviewers": [person.email for person in people],
        "actor": actor.email if actor else None,
    })


@use_case
def update_incident(incident: Incident, actor: User | None, changes: IncidentChanges) -> Incident:
    """Apply a partial edit made against `changes.version`.

    Raises StaleVersion (409) when someone saved since that version, Frozen when published
    (unless the edit only changes who may read it: a published post-mortem can be restricted
    at once), ValidationError for bad fields; on success the version goes up by one and a
    revision is kept.
    """
    # Its own version is the client's check: a save races another save as a 409, so it does
    # not wait for SQLite's write lock before it has anything to write.
    if set(changes.model_fields_set) <= {"version", "restricted", "readers"}:
        lock(incident, take_turn=False)
    else:
        ensure_editable(incident, take_turn=False)
    if changes.version != incident.version:
        raise StaleVersion(incident.version)
    stamps = {name: getattr(changes, name) if changes.given(name) else getattr(incident, name)
              for name in TIMESTAMPS}
    errors = order_problems(stamps)
    unknown = [key for key in changes.sections or {} if incident.section(key) is None]
    if unknown:
        errors["sections"] = [f"'{key}' is not a section of this post-mortem" for key in unknown]
    if errors:
        raise ValidationError(changes.failure, fields=errors)
    commander = require_user(changes.commander, field="commander", failure=changes.failure)
    reviewers = _reviewers(changes.reviewers, changes.failure) \
        if changes.reviewers is not None else None
    readers = _readers(changes.readers, changes.failure) if changes.readers is not None else None

    done: list[str] = []
    if changes.title is not None and changes.title != incident.title:
        incident.title = changes.title
        done.append("title")
    if changes.severity is not None and changes.severity != incident.severity:
        incident.severity = changes.severity
        done.append("severity")
    for name in TIMESTAMPS:
        if changes.given(name) and stamps[name] != getattr(incident, name):
            setattr(incident, name, stamps[name])
            done.append(name.removesuffix("_at") + " time")
    if changes.services is not None and changes.services != [s.name for s in incident.services]:
        _set_services(incident, changes.services)
        done.append("services")
    if changes.tags is not None and changes.tags != incident.tags:
        _set_tags(incident, changes.tags)
        done.append("tags")
    if changes.given("commander") and commander != incident.commander:
        incident.commander = commander
        done.append("commander")
    asked: list[User] = []
    if reviewers is not None and reviewers != incident.reviewers:
        asked = [person for person in reviewers if person not in incident.reviewers]
        incident.reviewers = reviewers
        done.append("reviewers")
    for key, text in (changes.sections or {}).items():
        section = incident.section(key)
        assert section is not None
        if section.markdown != text:
            section.markdown = text
            done.append(section.title)
    if changes.metadata is not None and changes.metadata != incident.extra_metadata:
        incident.extra_metadata = dict(changes.metadata)
        done.append("metadata")
    access = _access_changes(incident, actor, changes.restricted, readers)

    incident.version += 1
    incident.updated_at = utcnow()
    # Written first: the revision's snapshot is then read under the write (SQLite's write
    # lock, PostgreSQL's row lock), so it holds what another writer committed before it.
    db.session.flush()
    summary = "Edited " + ", ".join(done) if done else ("" if access else "Saved without changes")
    summary = "; ".join(part for part in (summary, *access) if part)
    revisions.record_revision(incident, actor, summary[:300])
    db.session.commit()
    ask_to_review(incident, asked, actor)
    return incident


@use_case
def archive_incident(incident: Incident, actor: User | None) -> Incident:
    """Take the post-mortem out of lists, search, themes and reports; its key still answers."""
    lock(incident)
    if incident.archived_at is None:
        incident.archived_at = utcnow()
        incident.updated_at = utcnow()
        db.session.flush()
        revisions.record_revision(incident, actor, "Archived")
    db.session.commit()
    return incident


@use_case
def restore_incident(incident: Incident, actor: User | None) -> Incident:
    """Bring an archived post-mortem back into lists, search, themes and reports."""
    lock(incident)
    if incident.archived_at is not None:
        incident.archived_at = None
        incident.updated_at = utcnow()
        db.session.flush()
        revisions.record_revision(incident, actor, "Restored from the archive")
    db.session.commit()
    return incident
