"""Writing post-mortems: create, edit with optimistic versions, find."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from ..errors import Frozen, NotFound, StaleVersion
from ..extensions import db
from ..models import (
    SERVICE_NAME_RE,
    ActionItem,
    Factor,
    Incident,
    IncidentDeployment,
    IncidentSection,
    IncidentStatus,
    IncidentTag,
    Service,
    Severity,
    User,
    incident_services,
    utcnow,
)
from . import catalog, revisions, templates
from .fields import TAG_RE, Fields

# Load a page of incidents with everything the API returns in a handful of queries.
WHOLE_INCIDENT = (
    selectinload(Incident.services), selectinload(Incident.tag_rows),
    selectinload(Incident.sections), selectinload(Incident.timeline),
    selectinload(Incident.factors), selectinload(Incident.commander),
    selectinload(Incident.action_items).selectinload(ActionItem.owner),
    selectinload(Incident.deployment_links).selectinload(IncidentDeployment.deployment),
)
KEY_RE = re.compile(r"^INC-(\d+)$", re.IGNORECASE)
TIMESTAMPS = ("started_at", "detected_at", "mitigated_at", "resolved_at")
TAG_RULE = "is not a valid tag (lowercase letters, digits, '.', '_', ':', '/' or '-')"
SERVICE_RULE = "is not a valid service name (a lowercase slug)"


def get_incident(key: str) -> Incident:
    """The incident with this key ('INC-7'); NotFound otherwise."""
    match = KEY_RE.match(key or "")
    number = int(match.group(1)) if match else 0
    incident = db.session.get(Incident, number) if 0 < number < 2**63 else None
    if incident is None:
        raise NotFound(f"No incident {key}.")
    return incident


def lock(incident: Incident) -> None:
    """Reload the incident holding its row lock until commit (SELECT … FOR UPDATE on
    PostgreSQL), so concurrent writers from several app instances take turns."""
    db.session.refresh(incident, with_for_update=True)


def ensure_editable(incident: Incident) -> None:
    """Lock the incident for this write; raise Frozen while it is published."""
    lock(incident)
    if incident.is_published:
        raise Frozen(
            f"{incident.key} is published and frozen; a reviewer must reopen it before it changes."
        )


def out_of_order(values: dict[str, datetime | None]) -> list[tuple[str, str]]:
    """(earlier, later) name pairs breaking started ≤ detected ≤ mitigated ≤ resolved, over
    the timestamps that are given."""
    given = [(name, values[name]) for name in TIMESTAMPS if values.get(name) is not None]
    return [(earlier_name, later_name)
            for (earlier_name, earlier), (later_name, later) in zip(given, given[1:], strict=False)
            if later < earlier]  # type: ignore[operator]


def check_order(values: dict[str, datetime | None], fields: Fields) -> None:
    for earlier_name, later_name in out_of_order(values):
        fields.error(later_name, f"must not be before {earlier_name}")


def _set_services(incident: Incident, names: list[str]) -> None:
    incident.services = [catalog.ensure_service(name) for name in names]


def _set_tags(incident: Incident, tags: list[str]) -> None:
    incident.tag_rows = [IncidentTag(tag=tag) for tag in tags]


def create_incident(actor: User | None, data: dict[str, Any], *, summary: str = "Created") -> Incident:
    """Create a draft from a template; raises ValidationError listing every bad field."""
    fields = Fields(data)
    title = fields.text("title", required=True, max_length=200)
    severity = fields.enum("severity", Severity, required=True)
    stamps = {name: fields.timestamp(name, required=name == "started_at") for name in TIMESTAMPS}
    check_order(stamps, fields)
    services = fields.string_list("services", pattern=SERVICE_NAME_RE, rule=SERVICE_RULE) or []
    tags = fields.string_list("tags", pattern=TAG_RE, rule=TAG_RULE) or []
    _, commander = fields.user("commander")
    template_key = fields.text("template", max_length=50) or "standard"
    template = templates.find_template(template_key)
    if template is None:
        fields.error("template", f"no template '{template_key}'")
    sections = data.get("sections") or {}
    if not isinstance(sections, dict):
        fields.error("sections", "must be an object of {section key: markdown}")
        sections = {}
    known = {s.key for s in template.sections} if template else set()
    for key, text in sections.items():
        if key not in known:
            fields.error("sections", f"'{key}' is not a section of the '{template_key}' template")
        elif not isinstance(text, str):
            fields.error("sections", f"'{key}' must be a Markdown string")
    fields.raise_if_errors("The post-mortem could not be created.")
    assert template is not None and title is not None and severity is not None

    incident = Incident(
        title=title, severity=severity, status=IncidentStatus.DRAFT.value,
        template_key=template.key, commander=commander, created_by=actor,
        extra_metadata={}, version=1, **stamps,
    )
    for position, spec in enumerate(template.sections):
        incident.sections.append(IncidentSection(
            position=position, key=spec.key, title=spec.title, guidance=spec.guidance,
            required=spec.required, markdown=(sections.get(spec.key) or "").replace("\r\n", "\n"),
        ))
    db.session.add(incident)
    _set_services(incident, services)
    _set_tags(incident, tags)
    db.session.flush()
    revisions.record(incident, actor, summary)
    db.session.commit()
    return incident


def update_incident(incident: Incident, actor: User | None, data: dict[str, Any]) -> Incident:
    """Apply a partial edit made against `data['version']`.

    Raises StaleVersion (409) when someone saved since that version, Frozen when published,
    ValidationError for bad fields; on success the version goes up by one and a revision is kept.
    """
    fields = Fields(data)
    version = fields.integer("version")
    if version is None and "version" not in fields.errors:
        fields.error("version", "is required: the version you last saw")
    fields.raise_if_errors("The post-mortem could not be saved.")
    ensure_editable(incident)
    if version != incident.version:
        raise StaleVersion(incident.version)

    changes: list[str] = []
    title = fields.text("title", required=fields.has("title"), max_length=200)
    severity = fields.enum("severity", Severity, required=fields.has("severity"))
    stamps = {name: getattr(incident, name) for name in TIMESTAMPS}
    for name in TIMESTAMPS:
        if fields.has(name):
            stamps[name] = fields.timestamp(name, required=name == "started_at")
    check_order(stamps, fields)
    services = fields.string_list("services", pattern=SERVICE_NAME_RE, rule=SERVICE_RULE)
    tags = fields.string_list("tags", pattern=TAG_RE, rule=TAG_RULE)
    commander_given, commander = fields.user("commander")
    sections = data.get("sections")
    if sections is not None and not isinstance(sections, dict):
        fields.error("sections", "must be an object of {section key: markdown}")
        sections = None
    for key, text in (sections or {}).items():
        if incident.section(key) is None:
            fields.error("sections", f"'{key}' is not a section of this post-mortem")
        elif not isinstance(text, str):
            fields.error("sections", f"'{key}' must be a Markdown string")
    fields.raise_if_errors("The post-mortem could not be saved.")

    if title is not None and title != incident.title:
        incident.title = title
        changes.append("title")
    if severity is not None and severity != incident.severity:
        incident.severity = severity
        changes.append("severity")
    for name in TIMESTAMPS:
        if fields.has(name) and stamps[name] != getattr(incident, name):
            setattr(incident, name, stamps[name])
            changes.append(name.removesuffix("_at") + " time")
    if services is not None and services != [s.name for s in incident.services]:
        _set_services(incident, services)
        changes.append("services")
    if tags is not None and tags != incident.tags:
        _set_tags(incident, tags)
        changes.append("tags")
    if commander_given and commander != incident.commander:
        incident.commander = commander
        changes.append("commander")
    for key, text in (sections or {}).items():
        section = incident.section(key)
        assert section is not None
        text = text.replace("\r\n", "\n")
        if section.markdown != text:
            section.markdown = text
            changes.append(section.title)
    if "metadata" in data and isinstance(data["metadata"], dict):
        if data["metadata"] != incident.extra_metadata:
            incident.extra_metadata = dict(data["metadata"])
            changes.append("metadata")

    incident.version += 1
    incident.updated_at = utcnow()
    db.session.flush()
    summary = "Edited " + ", ".join(changes) if changes else "Saved without changes"
    revisions.record(incident, actor, summary[:300])
    db.session.commit()
    return incident


def touch(incident: Incident, actor: User | None, summary: str) -> None:
    """Record a change made through a sub-resource (timeline, factors, links) and commit."""
    incident.updated_at = utcnow()
    db.session.flush()
    db.session.expire(incident, ["timeline", "factors", "action_items", "deployment_links"])
    revisions.record(incident, actor, summary[:300])
    db.session.commit()


def incidents_query(filters: dict[str, Any]) -> Select[tuple[Incident]]:
    """Incidents matching the filters, newest started_at first unless `sort` says otherwise.

    Filters: status, severity, service, tag, since, until (datetimes), q (text), sort.
    """
    stmt = select(Incident)
    if filters.get("status"):
        stmt = stmt.where(Incident.status == filters["status"])
    if filters.get("severity"):
        stmt = stmt.where(Incident.severity == filters["severity"])
    if filters.get("service"):
        stmt = stmt.where(Incident.id.in_(
            select(incident_services.c.incident_id)
            .join(Service, Service.id == incident_services.c.service_id)
            .where(Service.name == filters["service"])
        ))
    if filters.get("tag"):
        stmt = stmt.where(Incident.id.in_(
            select(IncidentTag.incident_id).where(IncidentTag.tag == filters["tag"])
        ))
    if filters.get("since"):
        stmt = stmt.where(Incident.started_at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(Incident.started_at <= filters["until"])
    if (filters.get("theme") or "").startswith("detected-"):
        from . import themes

        stmt = stmt.where(Incident.id.in_(themes.incident_ids_for_theme(filters["theme"])))
    elif filters.get("theme"):
        # A taxonomy theme is a factor category: the incidents with a factor of that category.
        stmt = stmt.where(Incident.id.in_(
            select(Factor.incident_id).where(Factor.category == filters["theme"])
        ))
    if filters.get("q"):
        like = f"%{filters['q'].strip().lower()}%"
        stmt = stmt.where(or_(
            func.lower(Incident.title).like(like),
            Incident.id.in_(
                select(IncidentSection.incident_id).where(func.lower(IncidentSection.markdown).like(like))
            ),
        ))
    order = {
        "oldest": (Incident.started_at.asc(), Incident.id.asc()),
        "severity": (Incident.severity.asc(), Incident.started_at.desc()),
        "updated": (Incident.updated_at.desc(), Incident.id.desc()),
        "title": (Incident.title.asc(), Incident.id.asc()),
    }.get(filters.get("sort") or "", (Incident.started_at.desc(), Incident.id.desc()))
    return stmt.order_by(*order).options(*WHOLE_INCIDENT)


def parse_filters(args: dict[str, Any]) -> dict[str, Any]:
    """Validated list filters from query arguments; ValidationError for bad values."""
    fields = Fields({k: v for k, v in args.items() if v not in (None, "")})
    filters: dict[str, Any] = {
        "status": fields.enum("status", IncidentStatus),
        "severity": fields.enum("severity", Severity),
        "service": fields.text("service", max_length=63),
        "tag": (fields.text("tag", max_length=50) or "").lower() or None,
        "since": fields.timestamp("since"),
        "until": fields.timestamp("until", end_of_day=True),
        "q": fields.text("q", max_length=200),
        "theme": fields.text("theme", max_length=100),
        "sort": fields.text("sort", max_length=20),
    }
    fields.raise_if_errors("Invalid filters.")
    return filters

