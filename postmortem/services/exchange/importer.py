"""Importing an interchange document: validate everything first, then create it all in one
transaction — a malformed document creates nothing."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, time
from typing import Any

from werkzeug.security import generate_password_hash

from ...errors import DomainError
from ...extensions import db
from ...models import (
    SERVICE_NAME_RE,
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
    Priority,
    Role,
    Severity,
    TimelineEvent,
    TimelineKind,
    User,
    utcnow,
)
from ...models.enums import choices
from ...schemas import TIMESTAMPS, DeploymentIn, out_of_order, parse
from ...timeutil import parse_date, parse_timestamp
from ...validation import TAG_RE
from ..accounts import users as accounts
from ..deployments import catalog
from ..deployments import recording as deployments
from ..incidents import revisions
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


def import_markdown(text: str, actor: User | None, *, keep_status: bool = True) -> Incident:
    """Create a post-mortem from a document; DocumentError (422) names the line at fault."""
    document = parse_document(text)
    try:
        incident = _build(document, actor, keep_status)
        db.session.flush()
        revisions.record_revision(incident, actor, "Imported from Markdown")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return incident


def _line(document: Document, key: str) -> int:
    return document.front_lines.get(key, 1)


def _timestamp(document: Document, key: str, required: bool = False) -> datetime | None:
    value = document.front.get(key)
    if value in (None, ""):
        if required:
            raise DocumentError(1, f"the front matter has no '{key}'", key)
        return None
    try:
        return parse_timestamp(date_value(value))
    except (ValueError, TypeError):
        raise DocumentError(_line(document, key), f"'{key}' is not an ISO 8601 timestamp: "
                            f"{value!r}", key) from None


def _string_list(document: Document, key: str, pattern: re.Pattern[str]) -> list[str]:
    value = document.front.get(key) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise DocumentError(_line(document, key), f"'{key}' must be a list", key)
    result = []
    for item in value:
        text = str(item).strip().lower()
        if not pattern.match(text):
            raise DocumentError(_line(document, key), f"'{text}' is not a valid {key[:-1]} name", key)
        if text not in result:
            result.append(text)
    return result


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
                    password_hash=generate_password_hash(secrets.token_urlsafe(24)))
        db.session.add(user)
        db.session.flush()
    return user


def _build(document: Document, actor: User | None, keep_status: bool) -> Incident:
    front = document.front
    title = str(front["title"]).strip()
    if len(title) > 200:
        raise DocumentError(_line(document, "title"), "the title is longer than 200 characters", "title")
    severity = str(front.get("severity") or "")
    if severity not in {s.value for s in Severity}:
        raise DocumentError(_line(document, "severity"), f"unknown severity '{severity}' (must be "
                            f"one of {choices(Severity)})", "severity")
    status = str(front.get("status") or IncidentStatus.DRAFT.value)
    if status not in {s.value for s in IncidentStatus}:
        raise DocumentError(_line(document, "status"), f"unknown status '{status}' (must be one "
                            f"of {choices(IncidentStatus)})", "status")
    stamps = {name: _timestamp(document, name, required=name == "started_at") for name in TIMESTAMPS}
    for earlier_name, later_name in out_of_order(stamps)[:1]:
        raise DocumentError(_line(document, later_name),
                            f"'{later_name}' is before '{earlier_name}'", later_name)
    template_key = str(front.get("template") or "standard")
    template = templates.find_template(template_key)
    if template is None:
        raise DocumentError(_line(document, "template"), f"unknown template '{template_key}'", "template")
    services = _string_list(document, "services", SERVICE_NAME_RE)
    tags = _string_list(document, "tags", TAG_RE)
    commander = person(front["commander"], _line(document, "commander"), "commander") \
        if front.get("commander") else None
    metadata = {k: _plain(v) for k, v in front.items()
                if k not in KNOWN_KEYS and k not in EXPORT_ONLY_KEYS}

    incident = Incident(
        title=title, severity=severity, template_key=template.key, commander=commander,
        created_by=actor, extra_metadata=metadata, version=1,
        status=status if keep_status else IncidentStatus.DRAFT.value, **stamps,
    )
    if incident.status == IncidentStatus.PUBLISHED.value:
        incident.published_at = utcnow()
    db.session.add(incident)
    incident.services = [catalog.ensure_service(name) for name in services]
    incident.tag_rows = [IncidentTag(tag=tag) for tag in tags]
    _sections(incident, document, template)
    _timeline(incident, document)
    factor_ids = _factors(incident, document)
    _items(incident, document, actor, factor_ids)
    _deployments(incident, document)
    return incident


def _plain(value: Any) -> Any:
    """YAML values as JSON-storable data (dates become ISO strings)."""
    if isinstance(value, datetime):
        return date_value(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


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


def _timeline(incident: Incident, document: Document) -> None:
    kinds = {k.value for k in TimelineKind}
    for number, stamp, kind, text in document.timeline:
        try:
            at = parse_timestamp(stamp)
        except ValueError:
            raise DocumentError(number, f"'{stamp}' is not an ISO 8601 timestamp", "timeline") from None
        if kind and kind not in kinds:
            # Another tool's vocabulary: keep the word in the text rather than lose it.
            text, kind = f"[{kind}] {text}", "note"
        incident.timeline.append(TimelineEvent(at=at, kind=kind or "note", text=text))


def _factors(incident: Incident, document: Document) -> dict[int, Factor]:
    categories = {c.key for c in templates.list_categories(include_inactive=True)}
    created: dict[int, Factor] = {}
    for number, category, text in document.factors:
        if category and category not in categories:
            # A category from another taxonomy joins ours (admins can rename or retire it).
            if not templates.KEY_RE.match(category.lower()):
                raise DocumentError(number, f"'{category}' is not a valid category key", "factors")
            category = category.lower()
            if category not in categories:
                db.session.add(FactorCategory(
                    key=category, name=category.replace("-", " ").replace("_", " ").capitalize(),
                    description="Added by an imported post-mortem.", position=len(categories)))
                categories.add(category)
        factor = Factor(text=text, category=category)
        incident.factors.append(factor)
        created[number] = factor
    return created


def _items(incident: Incident, document: Document, actor: User | None,
           factor_ids: dict[int, Factor]) -> None:
    reviewed = incident.resolved_at or incident.mitigated_at or incident.started_at
    for parsed in document.items:
        attrs = parsed.attrs
        kind = attrs.get("kind") or ActionKind.PREVENT.value
        if kind not in {k.value for k in ActionKind}:
            raise DocumentError(parsed.line, f"unknown action kind '{kind}' (must be one of "
                                f"{choices(ActionKind)})", "action_items")
        priority = attrs.get("priority") or None
        if priority and priority not in {p.value for p in Priority}:
            raise DocumentError(parsed.line, f"unknown priority '{priority}'", "action_items")
        status = ActionStatus.DONE.value if parsed.done else attrs.get("status") or ActionStatus.OPEN.value
        if status not in {s.value for s in ActionStatus}:
            raise DocumentError(parsed.line, f"unknown status '{status}'", "action_items")
        try:
            due = parse_date(attrs["due"]) if attrs.get("due") else None
            completed = parse_date(attrs["completed"]) if attrs.get("completed") else None
        except ValueError:
            raise DocumentError(parsed.line, "dates are YYYY-MM-DD", "action_items") from None
        url = attrs.get("url") or None
        if url and not re.match(r"^https?://\S+$", url):
            raise DocumentError(parsed.line, "url must be an http or https URL", "action_items")
        completed_at = None
        if status == ActionStatus.DONE.value:
            completed_at = datetime.combine(completed, time(12), tzinfo=utcnow().tzinfo) \
                if completed else utcnow()
        created = min(reviewed, utcnow())
        if completed_at is not None and completed_at < created:
            created = completed_at
        note = attrs.get("note") or None
        if status == ActionStatus.WONT_DO.value and not note:
            note = "Marked won't do in the imported document."
        item = ActionItem(
            title=parsed.title[:300], kind=kind, priority=priority, status=status, due_on=due,
            team=attrs.get("team") or None, external_url=url, completed_at=completed_at,
            verification=attrs.get("verification") or None, resolution_note=note,
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
