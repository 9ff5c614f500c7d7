"""The timeline and the contributing factors of a post-mortem."""

from __future__ import annotations

from typing import Any

from ...errors import NotFound
from ...extensions import db
from ...models import Factor, Incident, TimelineEvent, TimelineKind, User
from ...validation import Fields
from ..setup import templates
from .guard import ensure_editable, touch


def _event_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    fields = Fields(data)
    values: dict[str, Any] = {}
    if not partial or fields.has("at"):
        values["at"] = fields.timestamp("at", required=True)
    if not partial or fields.has("kind"):
        values["kind"] = fields.enum("kind", TimelineKind) or TimelineKind.NOTE.value
    if not partial or fields.has("text"):
        values["text"] = fields.text("text", required=True, max_length=5000)
    fields.raise_if_errors("The timeline event is invalid.")
    return values


def add_event(incident: Incident, actor: User | None, data: dict[str, Any]) -> TimelineEvent:
    """Add a timeline event; Frozen when published, ValidationError for bad fields."""
    ensure_editable(incident)
    values = _event_fields(data)
    event = TimelineEvent(incident=incident, **values)
    db.session.add(event)
    touch(incident, actor, f"Added timeline event: {values['text'][:80]}")
    return event


def get_event(incident: Incident, event_id: int) -> TimelineEvent:
    event = db.session.get(TimelineEvent, event_id)
    if event is None or event.incident_id != incident.id:
        raise NotFound("No such timeline event.")
    return event


def update_event(incident: Incident, actor: User | None, event_id: int,
                 data: dict[str, Any]) -> TimelineEvent:
    ensure_editable(incident)
    event = get_event(incident, event_id)
    for name, value in _event_fields(data, partial=True).items():
        setattr(event, name, value)
    touch(incident, actor, f"Edited timeline event: {event.text[:80]}")
    return event


def delete_event(incident: Incident, actor: User | None, event_id: int) -> None:
    ensure_editable(incident)
    event = get_event(incident, event_id)
    text = event.text
    db.session.delete(event)
    touch(incident, actor, f"Removed timeline event: {text[:80]}")


def _factor_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(data)
    text = fields.text("text", required=True, max_length=5000)
    category = fields.text("category", max_length=50)
    if category is not None and category not in templates.category_keys():
        fields.error("category", "must be a key from GET /api/v1/taxonomy")
    fields.raise_if_errors("The contributing factor is invalid.")
    return {"text": text, "category": category}


def add_factor(incident: Incident, actor: User | None, data: dict[str, Any]) -> Factor:
    ensure_editable(incident)
    factor = Factor(incident=incident, **_factor_fields(data))
    db.session.add(factor)
    touch(incident, actor, f"Added contributing factor: {factor.text[:80]}")
    return factor


def get_factor(incident: Incident, factor_id: int) -> Factor:
    factor = db.session.get(Factor, factor_id)
    if factor is None or factor.incident_id != incident.id:
        raise NotFound("No such contributing factor.")
    return factor


def update_factor(incident: Incident, actor: User | None, factor_id: int,
                  data: dict[str, Any]) -> Factor:
    ensure_editable(incident)
    factor = get_factor(incident, factor_id)
    merged = {"text": factor.text, "category": factor.category, **data}
    for name, value in _factor_fields(merged).items():
        setattr(factor, name, value)
    touch(incident, actor, f"Edited contributing factor: {factor.text[:80]}")
    return factor


def delete_factor(incident: Incident, actor: User | None, factor_id: int) -> None:
    ensure_editable(incident)
    factor = get_factor(incident, factor_id)
    text = factor.text
    for item in incident.action_items:
        if item.factor_id == factor.id:
            item.factor_id = None
    db.session.delete(factor)
    touch(incident, actor, f"Removed contributing factor: {text[:80]}")


