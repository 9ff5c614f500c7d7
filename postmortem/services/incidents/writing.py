"""Writing post-mortems: create, and edit with optimistic versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...errors import StaleVersion
from ...extensions import db
from ...models import (
    SERVICE_NAME_RE,
    Incident,
    IncidentSection,
    IncidentStatus,
    IncidentTag,
    Severity,
    User,
    utcnow,
)
from ...validation import TAG_RE, Fields
from ..deployments import catalog
from ..setup import templates
from . import revisions
from .guard import ensure_editable

TIMESTAMPS = ("started_at", "detected_at", "mitigated_at", "resolved_at")
TAG_RULE = "is not a valid tag (lowercase letters, digits, '.', '_', ':', '/' or '-')"
SERVICE_RULE = "is not a valid service name (a lowercase slug)"


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
    revisions.record_revision(incident, actor, summary)
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
    revisions.record_revision(incident, actor, summary[:300])
    db.session.commit()
    return incident
