"""Action items: created on a post-mortem, tracked through open → in progress → done (or won't do)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, case, or_, select, true
from sqlalchemy.orm import selectinload

from ...errors import NotFound, StaleRow, ValidationError
from ...extensions import db
from ...models import (
    ActionItem,
    ActionItemEvent,
    ActionStatus,
    Factor,
    Incident,
    User,
    today,
    utcnow,
)
from ...schemas import ActionItemChanges, ActionItemFilters, ActionItemIn, parse
from ..accounts import require_user
from ..incidents.guard import get_incident, lock
from ..incidents.snapshots import action_item_dict
from ..incidents.visibility import may_read, sight, visible_ids, visible_incident_ids
from ..transaction import use_case
from . import notify

# Fields a status change owns; the rest are plain attributes of the item.
STATUS_FIELDS = ("status", "completed_at")
ATTRIBUTES = {"due_date": "due_on"}


def _values(data: ActionItemIn, incident: Incident) -> dict[str, Any]:
    """The sent fields as item attributes, with the owner and factor resolved;
    ValidationError for an unknown owner or another incident's factor."""
    values: dict[str, Any] = {}
    for name, value in data.changes().items():
        if name == "owner":
            value = require_user(value, field="owner", failure=data.failure)
        elif name == "factor_id" and value is not None:
            factor = db.session.get(Factor, value)
            if factor is None or factor.incident_id != incident.id:
                raise ValidationError(data.failure, fields={
                    "factor_id": ["must be the id of a contributing factor of this incident"]})
        values[ATTRIBUTES.get(name, name)] = value
    if values.get("completed_at") is not None and values["completed_at"] > utcnow():
        raise ValidationError(data.failure, fields={"completed_at": ["must not be in the future"]})
    return values


def _apply_status(item: ActionItem, values: dict[str, Any], failure: str) -> tuple[str | None, str]:
    """Validate and apply a status change; returns (from, to). Won't do needs a reason;
    done sets completed_at (now, or the given past moment); any other status clears it."""
    old = item.status if item.id else None
    new = values.pop("status", None) or item.status or ActionStatus.OPEN.value
    completed_at = values.pop("completed_at", None)
    note = values.get("resolution_note", item.resolution_note)
    errors: dict[str, list[str]] = {}
    if new == ActionStatus.WONT_DO.value and not note:
        errors["resolution_note"] = ["is required to mark an item won't do: say why"]
    if completed_at is not None and new != ActionStatus.DONE.value:
        errors["completed_at"] = ["can only be given when the status is done"]
    if errors:
        raise ValidationError(failure, fields=errors)
    if new == ActionStatus.DONE.value:
        if old != ActionStatus.DONE.value or completed_at is not None:
            item.completed_at = completed_at or utcnow()
    else:
        item.completed_at = None
    item.status = ActionStatus(new)
    return old, new


@use_case
def create_action_item(incident: Incident, actor: User | None, data: ActionItemIn) -> ActionItem:
    """Add an action item to a post-mortem (allowed even when it is published)."""
    # Take the post-mortem's row first, as every other write to it does: its `updated_at` is
    # written below under its version, which a section saved meanwhile (the editor's autosave)
    # would otherwise have moved on, failing this add with a conflict.
    lock(incident)
    values = _values(data, incident)
    item = ActionItem(incident=incident, created_at=utcnow(), updated_at=utcnow())
    for name, value in values.items():
        if name not in STATUS_FIELDS:
            setattr(item, name, value)
    _, new = _apply_status(item, {name: values.get(name) for name in
                                  (*STATUS_FIELDS, "resolution_note")}, data.failure)
    db.session.add(item)
    db.session.flush()
    db.session.add(ActionItemEvent(action_item=item, actor=actor, from_status=None, to_status=new,
                                   note="Created"))
    incident.updated_at = utcnow()
    db.session.commit()
    return item


def _seen_by(reader: User | None) -> Any:
    """A condition on ActionItem: the items this reader may see (those of post-mortems they may
    read, and their own)."""
    if reader is None:
        return true()
    return or_(visible_incident_ids(ActionItem.incident_id, reader),
               ActionItem.owner_id == reader.id)


def get_action_items(ids: list[int], *, reader: User | None) -> list[ActionItem]:
    """The items with these ids that exist and this reader may see."""
    return list(db.session.scalars(select(ActionItem).where(ActionItem.id.in_(ids),
                                                            _seen_by(reader))))


def get_action_item(item_id: int, *, reader: User | None) -> ActionItem:
    """The item, if this reader may read its post-mortem or owns it; NotFound otherwise."""
    item = db.session.get(ActionItem, item_id)
    if item is None or not (may_read(item.incident, reader)
                            or (reader is not None and item.owner_id == reader.id)):
        raise NotFound(f"No action item {item_id}.")
    return item


@use_case
def update_action_item(item: ActionItem, actor: User | None, changes: ActionItemChanges) -> ActionItem:
    """Change the fields that were sent; status changes are validated and recorded with who
    and when."""
    if changes.version is not None and changes.version != item.version:
        raise StaleRow("action item", action_item_dict(item, today()))
    values = _values(changes, item.incident)
    values.pop("version", None)
    status_given = any(name in values for name in STATUS_FIELDS)
    old_status = item.status
    for name, value in values.items():
        if name not in STATUS_FIELDS:
            setattr(item, name, value)
    if status_given:
        values.setdefault("status", item.status)
        _apply_status(item, values, changes.failure)
    elif item.status == ActionStatus.WONT_DO.value and not item.resolution_note:
        raise ValidationError(changes.failure, fields={
            "resolution_note": ["is required while the item is won't do"]})
    item.updated_at = utcnow()
    item.version += 1
    changed = item.status != old_status
    if changed:
        db.session.add(ActionItemEvent(
            action_item=item, actor=actor, from_status=old_status, to_status=item.status,
            note=item.resolution_note if item.status == ActionStatus.WONT_DO.value else None,
        ))
    db.session.commit()
    if changed:
        notify.status_changed(item, old_status, actor)
    return item


def bulk_update(items: list[ActionItem], actor: User | None,
                changes: ActionItemChanges) -> dict[int, ValidationError]:
    """Apply the same change to several items; {item id: the error} for those refused (the
    door words it for the person: field names are not words on the screen)."""
    errors: dict[int, ValidationError] = {}
    for item in items:
        try:
            update_action_item(item, actor, changes)
        except ValidationError as error:
            db.session.rollback()
            errors[item.id] = error
    return errors








def teams() -> list[str]:
    """Every team named on an action item, alphabetically."""
    stmt = select(ActionItem.team).where(ActionItem.team.is_not(None)).distinct()
    return sorted(db.session.scalars(stmt))


def mark_reviewed(items: list[ActionItem]) -> None:
    """Stamp items as reviewed in a retro today."""
    now = utcnow()
    for item in items:
        item.reviewed_at = now
    db.session.commit()


def due_order() -> tuple[Any, ...]:
    """Earliest due date first, items without a due date last."""
    return (case((ActionItem.due_on.is_(None), 1), else_=0), ActionItem.due_on.asc(), ActionItem.id.asc())


def action_items_query(filters: dict[str, Any], load: bool = True) -> Select[ActionItem]:
    """The items matching the filters, earliest due first; with load, their incident, owner and
    status changes come in the same round trips (not one query per row).

    filters["sight"] (services.incidents.visibility.Sight, set by parse_action_item_filters)
    says whose post-mortems' items are shown; without it, no restricted post-mortem's. It is
    part of the filters so that a kept answer over them is keyed on it."""
    # Archived post-mortems' items are left out with NOT IN (the few archived ids), so the
    # database starts from the items' own filters instead of walking every incident.
    stmt = select(ActionItem).where(ActionItem.incident_id.not_in(
        select(Incident.id).where(Incident.archived_at.is_not(None))),
        visible_ids(ActionItem.incident_id, filters.get("sight") or []))
    if filters.get("status"):
        stmt = stmt.where(ActionItem.status.in_(filters["status"]))
    if filters.get("owner"):
        stmt = stmt.join(User, User.id == ActionItem.owner_id).where(User.email == filters["owner"])
    if filters.get("team"):
        stmt = stmt.where(ActionItem.team == filters["team"])
    if filters.get("kind"):
        stmt = stmt.where(ActionItem.kind == filters["kind"])
    if filters.get("incident_id"):
        stmt = stmt.where(ActionItem.incident_id == filters["incident_id"])
    if filters.get("since"):
        stmt = stmt.where(ActionItem.created_at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(ActionItem.created_at <= filters["until"])
    if filters.get("overdue") is True:
        stmt = stmt.where(ActionItem.is_overdue(today()))
    elif filters.get("overdue") is False:
        stmt = stmt.where(~ActionItem.is_overdue(today()))
    stmt = stmt.order_by(*due_order())
    if load:
        stmt = stmt.options(selectinload(ActionItem.incident), selectinload(ActionItem.owner),
                            selectinload(ActionItem.events).selectinload(ActionItemEvent.actor))
    return stmt


def parse_action_item_filters(args: dict[str, Any], *, reader: User | None) -> dict[str, Any]:
    """The list's filters from query arguments (status may be comma-separated), showing what
    this reader may see; ValidationError for bad values or an unknown incident."""
    parsed = parse(ActionItemFilters, args)
    filters = parsed.model_dump(exclude={"incident"})
    filters["sight"] = sight(reader)
    if parsed.incident is not None:
        try:
            filters["incident_id"] = get_incident(parsed.incident, reader=reader).id
        except NotFound:
            raise ValidationError(parsed.failure, fields={"incident": ["no such incident"]}) from None
    return filters






def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def complete_action_item(item: ActionItem, actor: User | None,
                         completed_at: datetime | None = None) -> ActionItem:
    """Mark the item done, now or at a given past moment (back-filling history)."""
    data: dict[str, Any] = {"status": ActionStatus.DONE.value}
    if completed_at is not None:
        data["completed_at"] = completed_at.isoformat()
    return update_action_item(item, actor, parse(ActionItemChanges, data))


def drop_action_item(item: ActionItem, actor: User | None, reason: str) -> ActionItem:
    """Mark the item won't do; the reason is required and kept as its resolution note."""
    return update_action_item(item, actor, parse(ActionItemChanges, {
        "status": ActionStatus.WONT_DO.value, "resolution_note": reason}))


def own_filters(owner: User) -> dict[str, Any]:
    """The filters of a person's own list: every item they own, also those of post-mortems they
    may not read (the page then names no post-mortem)."""
    return {"owner": owner.email, "sight": "all"}
