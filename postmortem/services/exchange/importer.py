"""Importing an interchange document: validate everything first, then create it all in one
transaction — a malformed document creates nothing."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic_core import PydanticCustomError
from sqlalchemy import select

from ...errors import Conflict, DomainError, ValidationError
from ...extensions import db
from ...models import (
    ActionItem,
    ActionItemEvent,
    ActionKind,
    ActionStatus,
    Factor,
    FactorCategory,
    Incident,
    IncidentDeployment,
    IncidentSection,
    IncidentStatus,
    IncidentTag,
    LinkRole,
    Role,
    TimelineEvent,
    TimelineKind,
    User,
    utcnow,
)
from ...schemas import ActionItemIn, DeploymentIn, FactorIn, FrontMatter, TimelineEventIn, parse
from ...schemas.types import storable_json
from ..accounts import users as accounts
from ..deployments import catalog
from ..deployments import recording as deployments
from ..incidents import revisions
from ..incidents.guard import ensure_editable
from ..incidents.visibility import shown
from ..setup import templates
from .markdown import (
    EXPORT_ONLY_KEYS,
    KNOWN_KEYS,
    SPECIAL_SECTIONS,
    Document,
    DocumentError,
    date_value,
    parse_document,
)

Problems = list[tuple[int, str, str]]  # (line, field, reason)
# Front-matter keys that hold text even when YAML reads them as numbers (`title: 404`).
TEXT_KEYS = {"title", "severity", "status", "template", "commander", "services", "tags"}


@dataclass
class Imported:
    """What an import did: the post-mortem, whether it was created (or replaced), and notes
    for the person importing (a status lowered to draft, say)."""

    incident: Incident
    created: bool
    notes: list[str] = field(default_factory=list)


def import_markdown(text: str, actor: User | None, *, keep_status: bool = True,
                    allow_duplicate: bool = False) -> Imported:
    """Create a post-mortem from a document, checked whole before anything is written.

    DocumentError (422) names every line at fault. The status never rises above what the actor
    could reach by hand: without the reviewer role an in-review or published document lands as
    a draft (keep_status=False always does; actor None is the command line, trusted). Conflict
    (409, `extra.key`) when a post-mortem with the same title and start exists, unless
    allow_duplicate.
    """
    document = parse_document(text)
    notes: list[str] = kind_notes(document)
    try:
        fresh = build_incident(document, actor)
        wanted = fresh.status
        if not keep_status or (actor is not None and not actor.can(Role.REVIEWER)):
            fresh.status = IncidentStatus.DRAFT
            fresh.published_at = None
        if fresh.status != wanted:
            notes.append(f"The document says '{wanted}'; it was imported as a draft, because "
                         "publishing needs a reviewer. Submit it for review when it is ready.")
        if not allow_duplicate:
            existing = find_duplicate(fresh.title, fresh.started_at, actor)
            if existing is not None:
                raise Conflict(
                    f"{existing.key} already has this title and start time; import into it "
                    f"(?into={existing.key}) or allow a duplicate.", extra={"key": existing.key})
        db.session.add(fresh)
        attach(fresh, document)
        db.session.flush()
        revisions.record_revision(fresh, actor, "Imported from Markdown" + (
            " (as a draft)" if fresh.status != wanted else ""))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Imported(fresh, True, notes)


@dataclass
class ImportPreview:
    """What importing a document would do, found without writing anything."""

    title: str | None = None
    status: str | None = None
    duplicate: str | None = None  # the key of the post-mortem with this title and start
    notes: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)  # every line at fault
    counts: dict[str, int] = field(default_factory=dict)


def preview_import(text: str, actor: User | None, *, keep_status: bool = True) -> ImportPreview:
    """Check a document whole and say what its import would do: create a post-mortem (with
    which status), duplicate one, or fail on these lines. Nothing is kept."""
    preview = ImportPreview()
    try:
        document = parse_document(text)
        fresh = build_incident(document, actor)
        preview.title = fresh.title
        wanted = str(fresh.status)
        lowered = not keep_status or (actor is not None and not actor.can(Role.REVIEWER))
        preview.status = IncidentStatus.DRAFT.value if lowered else wanted
        if preview.status != wanted:
            preview.notes.append(f"The document says '{wanted}'; it would be imported as a "
                                 "draft, because publishing needs a reviewer.")
        preview.notes.extend(kind_notes(document))
        existing = find_duplicate(fresh.title, fresh.started_at, actor)
        preview.duplicate = existing.key if existing is not None else None
        preview.counts = {"sections": sum(1 for s in fresh.sections if s.markdown.strip()),
                          "timeline events": len(fresh.timeline), "factors": len(fresh.factors),
                          "action items": len(fresh.action_items),
                          "deployments": len(document.front.get("deployments") or [])}
    except DocumentError as error:
        preview.problems = error.extra.get("problems", [])
    finally:
        db.session.rollback()
    return preview


def import_into(target: Incident, text: str, actor: User | None) -> Imported:
    """Replace a post-mortem's content from a document, under the rules of PATCH: Frozen while
    published; its key, status, reviewers and action-item history stay; version + 1 and a
    revision. Action items of the document whose titles are new are added."""
    document = parse_document(text)
    try:
        ensure_editable(target)
        with db.session.no_autoflush:  # the new rows move from a transient draft to the target
            fresh = build_incident(document, actor)
            for name in ("title", "severity", "template_key", "commander", "extra_metadata",
                         "started_at", "detected_at", "mitigated_at", "resolved_at"):
                setattr(target, name, getattr(fresh, name))
            if fresh.restricted:  # a document never opens a post-mortem, it may restrict one
                target.restricted = True
                target.readers = sorted({*target.readers, *fresh.readers},
                                        key=lambda user: user.email)
            fresh.readers = []
            sections, timeline = list(fresh.sections), list(fresh.timeline)
            factors = list(fresh.factors)
            known = {item.title for item in target.action_items}
            items = [item for item in fresh.action_items if item.title not in known]
            fresh.sections, fresh.timeline, fresh.factors, fresh.action_items = [], [], [], []
            # The old rows go first: section keys are unique per post-mortem.
            target.sections, target.timeline, target.factors, target.deployment_links = [], [], [], []
        db.session.flush()
        with db.session.no_autoflush:
            target.sections, target.timeline, target.factors = sections, timeline, factors
            target.action_items.extend(items)
        db.session.flush()
        attach(target, document)
        target.version += 1
        target.updated_at = utcnow()
        db.session.flush()
        revisions.record_revision(target, actor, "Replaced from an imported document")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Imported(target, False, kind_notes(document))


def kind_notes(document: Document) -> list[str]:
    """A note for each timeline line whose kind is not ours (another tool's word): it is kept
    as a note with the word at the start of its text, and the person importing is told."""
    kinds = [k.value for k in TimelineKind]
    return [f"Line {number}: the timeline kind '{kind}' is not one of {', '.join(kinds)}; the "
            f"event is kept as a note, with [{kind}] at the start of its text."
            for number, _, kind, _ in document.timeline if kind and kind not in kinds]


def find_duplicate(title: str, started_at: datetime, reader: User | None) -> Incident | None:
    """A live post-mortem this reader may read with this title and start time, if there is
    one (one they may not read is not named: importing makes a new one)."""
    return db.session.scalar(select(Incident).where(
        Incident.title == title, Incident.started_at == started_at,
        Incident.archived_at.is_(None), shown(reader)).order_by(Incident.id).limit(1))


def _line(document: Document, key: str) -> int:
    return document.front_lines.get(key, 1)


def _as_text(value: Any) -> Any:
    """Numbers read by YAML where the document meant text, as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    return value


def _checked(schema: type[Any], data: dict[str, Any], line: int, field: str,
             problems: Problems, label: str = "") -> Any:
    """The schema's object, or None after adding its errors (at `line`) to problems."""
    try:
        return parse(schema, data)
    except ValidationError as error:
        for name, messages in (error.fields or {}).items():
            problems.extend((line, field, f"{label}{name} {message}") for message in messages)
        return None


def _front(document: Document) -> FrontMatter:
    """The front matter through FrontMatter; DocumentError listing every bad key."""
    data = {key: _as_text(value) if key in TEXT_KEYS else value
            for key, value in document.front.items() if key in FrontMatter.model_fields}
    try:
        return parse(FrontMatter, data)
    except ValidationError as error:
        raise DocumentError.collect([
            (_line(document, name), name, f"'{name}' {message}")
            for name, messages in (error.fields or {}).items() for message in messages
        ]) from None


def person(email: Any, line: int, field_name: str) -> User:
    """The user with this email; unknown people are added as inactive viewers, so an imported
    document keeps its owners without granting anyone access."""
    if not isinstance(email, str) or not accounts.EMAIL_RE.match(email.strip()):
        raise DocumentError(line, f"'{email}' is not an email address", field_name)
    email = accounts.normalise_email(email)
    user = accounts.find_user_by_email(email)
    if user is None:
        user = User(email=email, name=email.split("@")[0].replace(".", " ").title(),
                    role=Role.VIEWER.value, active=False,
                    password_hash=accounts.hash_password(secrets.token_urlsafe(24)))
        db.session.add(user)
        db.session.flush()
    return user


def build_incident(document: Document, actor: User | None) -> Incident:
    """The post-mortem a document describes, not yet in the session; DocumentError listing
    every problem."""
    front = _front(document)
    assert front.title is not None and front.severity is not None
    template_key = front.template or "standard"
    template = templates.find_template(template_key)
    if template is None:
        raise DocumentError(_line(document, "template"), f"unknown template '{template_key}'", "template")
    commander = person(front.commander, _line(document, "commander"), "commander") \
        if front.commander else None
    problems: Problems = []
    metadata = _metadata(document, problems)
    status = front.status or IncidentStatus.DRAFT.value
    incident = Incident(
        title=front.title, severity=front.severity, template_key=template.key, commander=commander,
        created_by=actor, extra_metadata=metadata, version=1, status=status,
        **front.timestamps(),
    )
    if incident.status == IncidentStatus.PUBLISHED.value:
        incident.published_at = utcnow()
    if front.restricted:
        incident.restricted = True
        incident.readers = [person(email, _line(document, "readers"), "readers")
                            for email in front.readers or []]
    _sections(incident, document, template)
    _timeline(incident, document, problems)
    factor_ids = _factors(incident, document, problems)
    _items(incident, document, actor, factor_ids, problems)
    if problems:
        raise DocumentError.collect(problems)
    return incident


def attach(incident: Incident, document: Document) -> None:
    """Services, tags and deployments: what needs the incident in the session."""
    front = _front(document)
    incident.services = [catalog.ensure_service(name) for name in front.services or []]
    incident.tag_rows = [IncidentTag(tag=tag) for tag in front.tags or []]
    _deployments(incident, document)


def _metadata(document: Document, problems: Problems) -> dict[str, Any]:
    """The front matter's other keys, kept as JSON (dates become ISO strings)."""
    metadata: dict[str, Any] = {}
    for key, value in document.front.items():
        if key in KNOWN_KEYS or key in EXPORT_ONLY_KEYS:
            continue
        try:
            metadata[key] = _plain(value)
            storable_json(metadata[key])
        except PydanticCustomError as error:
            problems.append((_line(document, key), key, f"'{key}' {error.message()}"))
    return metadata


def _plain(value: Any) -> Any:
    """YAML values as JSON-storable data (dates become ISO strings); PydanticCustomError for
    what JSON cannot hold (binary, sets)."""
    if isinstance(value, datetime):
        return date_value(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise PydanticCustomError("invalid", "must be text, a number, a date, a list or a mapping")


def _sections(incident: Incident, document: Document, template: Any) -> None:
    by_title = {s.title.lower(): s for s in template.sections}
    texts: dict[str, str] = {}
    extras = []
    for section in document.sections:
        lowered = section.title.lower()
        if lowered in SPECIAL_SECTIONS:
            continue
        spec = by_title.get(lowered)
        if spec is not None and spec.key not in texts:
            texts[spec.key] = section.markdown
        else:
            extras.append(section)
    position = 0
    for position, spec in enumerate(template.sections):
        incident.sections.append(IncidentSection(
            position=position, key=spec.key, title=spec.title, guidance=spec.guidance,
            required=spec.required, markdown=texts.get(spec.key, "")))
    used = {s.key for s in template.sections}
    for extra in extras:
        base = re.sub(r"[^a-z0-9]+", "_", extra.title.lower()).strip("_")[:40] or "section"
        key, n = base, 2
        while key in used:
            key, n = f"{base}_{n}", n + 1
        used.add(key)
        position += 1
        incident.sections.append(IncidentSection(
            position=position, key=key, title=extra.title[:120] or "Section",
            required=False, markdown=extra.markdown))


def _timeline(incident: Incident, document: Document, problems: Problems) -> None:
    kinds = {k.value for k in TimelineKind}
    for number, stamp, kind, text in document.timeline:
        if kind and kind not in kinds:
            # Another tool's vocabulary: keep the word in the text rather than lose it.
            text, kind = f"[{kind}] {text}", TimelineKind.NOTE.value
        event = _checked(TimelineEventIn, {"at": stamp, "kind": kind, "text": text},
                         number, "timeline", problems)
        if event is not None:
            incident.timeline.append(TimelineEvent(
                at=event.at, kind=event.kind or TimelineKind.NOTE.value, text=event.text))


def _factors(incident: Incident, document: Document, problems: Problems) -> dict[int, Factor]:
    categories = {c.key for c in templates.list_categories(include_inactive=True)}
    created: dict[int, Factor] = {}
    for number, category, text in document.factors:
        factor_in = _checked(FactorIn, {"text": text, "category": category}, number, "factors",
                             problems)
        if factor_in is None:
            continue
        key = factor_in.category
        if key and key not in categories:
            # A category from another taxonomy joins ours (admins can rename or retire it).
            db.session.add(FactorCategory(
                key=key, name=key.replace("-", " ").replace("_", " ").capitalize(),
                description="Added by an imported post-mortem.", position=len(categories)))
            categories.add(key)
        factor = Factor(text=factor_in.text, category=key)
        incident.factors.append(factor)
        created[number] = factor
    return created


def _items(incident: Incident, document: Document, actor: User | None,
           factor_ids: dict[int, Factor], problems: Problems) -> None:
    reviewed = incident.resolved_at or incident.mitigated_at or incident.started_at
    for parsed in document.items:
        attrs = parsed.attrs
        status = ActionStatus.DONE.value if parsed.done else attrs.get("status") or None
        note = attrs.get("note") or None
        if status == ActionStatus.WONT_DO.value and not note:
            note = "Marked won't do in the imported document."
        data = _checked(ActionItemIn, {
            "title": parsed.title, "kind": attrs.get("kind") or ActionKind.PREVENT.value,
            "priority": attrs.get("priority"), "status": status, "due_date": attrs.get("due"),
            "completed_at": attrs.get("completed"), "external_url": attrs.get("url"),
            "team": attrs.get("team"), "verification": attrs.get("verification"),
            "resolution_note": note, "description": attrs.get("description"),
        }, parsed.line, "action_items", problems)
        if data is None:
            continue
        status = data.status or ActionStatus.OPEN
        completed_at = None
        if status == ActionStatus.DONE.value:
            completed_at = data.completed_at or utcnow()
        created = min(reviewed or utcnow(), utcnow())
        if completed_at is not None and completed_at < created:
            created = completed_at
        item = ActionItem(
            title=data.title, description=data.description, kind=data.kind,
            priority=data.priority, status=status,
            due_on=data.due_date, team=data.team, external_url=data.external_url,
            completed_at=completed_at, verification=data.verification,
            resolution_note=data.resolution_note,
            owner=person(attrs["owner"], parsed.line, "action_items") if attrs.get("owner") else None,
            # The item dates from the incident's review, not from the import.
            created_at=created, updated_at=utcnow(),
        )
        item.events.append(ActionItemEvent(actor=actor, from_status=None, to_status=status,
                                           note="Imported"))
        incident.action_items.append(item)


def _deployments(incident: Incident, document: Document) -> None:
    entries = document.front.get("deployments") or []
    line = _line(document, "deployments")
    if not isinstance(entries, list):
        raise DocumentError(line, "'deployments' must be a list", "deployments")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DocumentError(line, f"deployment {index + 1} must be a mapping", "deployments")
        data = {k: date_value(v) if k == "deployed_at" else (None if v is None else str(v))
                for k, v in entry.items()}
        role = data.pop("role", None) or LinkRole.SUSPECTED.value
        if role not in {r.value for r in LinkRole}:
            raise DocumentError(line, f"deployment {index + 1}: unknown role '{role}'", "deployments")
        data["environment"] = data.get("environment") or "production"
        try:
            deployment = deployments.stage_deployment(parse(DeploymentIn, data))
        except DomainError as error:
            detail = "; ".join(f"{k} {', '.join(v)}" for k, v in (error.fields or {}).items())
            raise DocumentError(line, f"deployment {index + 1}: {detail or error.message}",
                                "deployments") from None
        if all(link.deployment is not deployment for link in incident.deployment_links):
            incident.deployment_links.append(IncidentDeployment(deployment=deployment, role=role))
