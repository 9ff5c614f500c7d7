"""Action items: writing them, moving them along, finding them and their figures."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainValidator

from ..models.enums import ActionStatus, choices
from .base import Schema
from .deployments import period_problems
from .types import (
    ActionKindValue,
    ActionStatusValue,
    Boolean,
    Day,
    DoneAt,
    Email,
    Id,
    IncidentRef,
    ItemTitle,
    LongText,
    Note,
    PriorityValue,
    RowVersion,
    Team,
    Timestamp,
    Until,
    Url,
    clean_string,
    fail,
)


def _statuses(value: Any) -> list[str] | None:
    """One status, or several separated by commas (the board's 'unfinished' view)."""
    if value is None or value == "":
        return None
    parts = value if isinstance(value, list) else clean_string(value, 200).split(",")
    statuses = [str(part).strip() for part in parts if str(part).strip()]
    if any(status not in {s.value for s in ActionStatus} for status in statuses):
        fail("must be one of " + choices(ActionStatus))
    return statuses


Statuses = Annotated[list[str] | None, PlainValidator(_statuses)]


class ActionItemIn(Schema):
    failure = "The action item could not be created."
    title: ItemTitle = None
    description: LongText = None
    owner: Email = None
    team: Team = None
    priority: PriorityValue = None
    kind: ActionKindValue = None
    due_date: Day = None
    factor_id: Id = None
    verification: Note = None
    external_url: Url = None
    status: ActionStatusValue = None
    completed_at: DoneAt = None
    resolution_note: Note = None

    def problems(self) -> dict[str, list[str]]:
        problems = {name: ["is required"] for name in ("title", "kind") if getattr(self, name) is None}
        if self.kind is None:
            problems["kind"] = ["is required; must be one of prevent, mitigate, detect, process"]
        return problems


class ActionItemChanges(ActionItemIn):
    failure = "The action item could not be saved."
    version: RowVersion = None

    def problems(self) -> dict[str, list[str]]:
        return {name: ["is required"] for name in ("title", "kind", "status")
                if self.given(name) and getattr(self, name) is None}


class ActionItemFilters(Schema):
    failure = "Invalid filters."
    status: Statuses = None
    owner: Email = None
    team: Team = None
    kind: ActionKindValue = None
    incident: IncidentRef = None
    overdue: Boolean = None
    since: Timestamp = None
    until: Until = None

    def problems(self) -> dict[str, list[str]]:
        return period_problems(self.since, self.until)
