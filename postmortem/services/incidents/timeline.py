"""The timeline and the contributing factors of a post-mortem."""

from __future__ import annotations

from typing import Any, TypeVar

from ...errors import NotFound, StaleRow, ValidationError
from ...extensions import db
from ...models import Factor, Incident, TimelineEvent, TimelineKind, User
from ...schemas import FactorChanges, FactorIn, TimelineEventChanges, TimelineEventIn
from ...wording import shorten
from ..setup import templates
from ..transaction import use_case
from .guard import ensure_editable, touch
from .snapshots import event_dict, factor_dict

R = TypeVar("R", TimelineEvent, Factor)


@use_case
def add_event(incident: Incident, actor: User | None, data: TimelineEventIn) -> TimelineEvent:
    """Add a timeline event (a note unless a kind is given); Frozen when published."""
    ensure_editable(incident)
    event = TimelineEvent(incident=incident, at=data.at, text=data.text,
                          kind=data.kind or TimelineKind.NOTE.value)
    db.session.add(event)
    touch(incident, actor, f"Added timeline event: {shorten(event.text, 80)}")
    return event


@use_case
def add_events(incident: Incident, actor: User | None, events: list[TimelineEventIn]) -> int:
    """Add several timeline events in one change (one revision); Frozen when published."""
    ensure_editable(incident)
    for data in events:
        db.session.add(TimelineEvent(incident=incident, at=data.at, text=data.text,
                                     kind=data.kind or TimelineKind.NOTE.value))
    if events:
        touch(incident, actor, f"Added {len(events)} timeline events from a chat transcript")
    return len(events)


def _row(incident: Incident, model: type[R], row_id: int, what: str) -> R:
    """The incident's row of this model; NotFound (it may have been removed) otherwise."""
    row = db.session.get(model, row_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound(f"No such {what}; it may have been removed by someone else.")
    return row


def _change_row(row: TimelineEvent | Factor, changes: TimelineEventChanges | FactorChanges,
                what: str, current: dict[str, Any]) -> None:
    """Apply the sent fields to a row edited against `changes.version` (StaleRow with the row
    as it is now when that version is old), and bump its version."""
    if changes.version is not None and changes.version != row.version:
        raise StaleRow(what, current)
    for name, value in changes.changes().items():
        if name != "version":
            setattr(row, name, TimelineKind.NOTE if name == "kind" and value is None else value)
    row.version += 1


def get_event(incident: Incident, event_id: int) -> TimelineEvent:
    return _row(incident, TimelineEvent, event_id, "timeline event")


@use_case
def update_event(incident: Incident, actor: User | None, event_id: int,
                 changes: TimelineEventChanges) -> TimelineEvent:
    """Change the fields that were sent; NotFound when the event is gone."""
    ensure_editable(incident)
    event = get_event(incident, event_id)
    _change_row(event, changes, "timeline event", event_dict(event))
    touch(incident, actor, f"Edited timeline event: {shorten(event.text, 80)}")
    return event


@use_case
def delete_event(incident: Incident, actor: User | None, event_id: int) -> None:
    ensure_editable(incident)
    event = get_event(incident, event_id)
    text = event.text
    db.session.delete(event)
    touch(incident, actor, f"Removed timeline event: {shorten(text, 80)}")


def _check_category(category: str | None, failure: str) -> None:
    if category is not None and category not in templates.category_keys():
        raise ValidationError(failure, fields={"category": ["must be a key from GET /api/v1/taxonomy"]})


@use_case
def add_factor(incident: Incident, actor: User | None, data: FactorIn) -> Factor:
    """Add a contributing factor, in a taxonomy category or none; Frozen when published."""
    ensure_editable(incident)
    _check_category(data.category, data.failure)
    factor = Factor(incident=incident, text=data.text, category=data.category)
    db.session.add(factor)
    touch(incident, actor, f"Added contributing factor: {shorten(factor.text, 80)}")
    return factor


def get_factor(incident: Incident, factor_id: int) -> Factor:
    return _row(incident, Factor, factor_id, "contributing factor")


@use_case
def update_factor(incident: Incident, actor: User | None, factor_id: int,
                  changes: FactorChanges) -> Factor:
    """Change the fields that were sent; NotFound when the factor is gone."""
    ensure_editable(incident)
    factor = get_factor(incident, factor_id)
    _check_category(changes.category, changes.failure)
    _change_row(factor, changes, "contributing factor", factor_dict(factor))
    touch(incident, actor, f"Edited contributing factor: {shorten(factor.text, 80)}")
    return factor


@use_case
def delete_factor(incident: Incident, actor: User | None, factor_id: int) -> None:
    ensure_editable(incident)
    factor = get_factor(incident, factor_id)
    text = factor.text
    for item in incident.action_items:
        if item.factor_id == factor.id:
            item.factor_id = None
    db.session.delete(factor)
    touch(incident, actor, f"Removed contributing factor: {shorten(text, 80)}")


