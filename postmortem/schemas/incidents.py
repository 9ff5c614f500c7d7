"""Post-mortems: creating and editing them, their rows, the workflow, and finding them."""

from __future__ import annotations

from datetime import datetime

from .base import TIMESTAMPS, Schema, order_problems
from .deployments import period_problems
from .types import (
    Boolean,
    Email,
    Emails,
    IncidentStatusValue,
    Key,
    Line,
    Metadata,
    Note,
    PersonRef,
    RowVersion,
    SearchText,
    Sections,
    ServiceName,
    ServiceNames,
    SeverityValue,
    SortKey,
    Tags,
    TagText,
    ThemeRef,
    TimelineKindValue,
    Timestamp,
    Title,
    Until,
)


class IncidentFields(Schema):
    title: Title = None
    severity: SeverityValue = None
    started_at: Timestamp = None
    detected_at: Timestamp = None
    mitigated_at: Timestamp = None
    resolved_at: Timestamp = None
    services: ServiceNames = None
    tags: Tags = None
    commander: Email = None
    reviewers: Emails = None
    sections: Sections = None
    # Restricted: only its author, commander, reviewers, readers and admins read it.
    restricted: Boolean = None
    readers: Emails = None

    def timestamps(self) -> dict[str, datetime | None]:
        return {name: getattr(self, name) for name in TIMESTAMPS}


class IncidentIn(IncidentFields):
    failure = "The post-mortem could not be created."
    template: Key = None

    def problems(self) -> dict[str, list[str]]:
        problems = {name: ["is required"] for name in ("title", "severity", "started_at")
                    if getattr(self, name) is None}
        return problems or order_problems(self.timestamps())


class IncidentChanges(IncidentFields):
    """A partial edit made against `version`; the order of the timestamps is checked by the
    service against the stored ones."""

    failure = "The post-mortem could not be saved."
    version: RowVersion = None
    metadata: Metadata = None

    def problems(self) -> dict[str, list[str]]:
        problems = {name: ["is required"] for name in ("title", "severity", "started_at")
                    if self.given(name) and getattr(self, name) is None}
        if self.version is None:
            problems["version"] = ["is required: the version you last saw"]
        return problems


class IncidentFilters(Schema):
    failure = "Invalid filters."
    status: IncidentStatusValue = None
    severity: SeverityValue = None
    service: ServiceName = None
    tag: TagText = None
    since: Timestamp = None
    until: Until = None
    q: SearchText = None
    theme: ThemeRef = None
    sort: SortKey = None
    reviewer: PersonRef = None

    def problems(self) -> dict[str, list[str]]:
        return period_problems(self.since, self.until)


class TimelineEventIn(Schema):
    failure = "The timeline event is invalid."
    at: Timestamp = None
    kind: TimelineKindValue = None
    text: Line = None

    def problems(self) -> dict[str, list[str]]:
        return {name: ["is required"] for name in ("at", "text") if getattr(self, name) is None}


class TimelineEventChanges(TimelineEventIn):
    version: RowVersion = None

    def problems(self) -> dict[str, list[str]]:
        return {name: ["is required"] for name in ("at", "text")
                if self.given(name) and getattr(self, name) is None}


class FactorIn(Schema):
    failure = "The contributing factor is invalid."
    text: Line = None
    category: Key = None

    def problems(self) -> dict[str, list[str]]:
        return {} if self.text is not None else {"text": ["is required"]}


class FactorChanges(FactorIn):
    version: RowVersion = None

    def problems(self) -> dict[str, list[str]]:
        return {"text": ["is required"]} if self.given("text") and self.text is None else {}


class TransitionIn(Schema):
    failure = "Unknown status."
    to: IncidentStatusValue = None
    comment: Note = None

    def problems(self) -> dict[str, list[str]]:
        return {} if self.to else {"to": ["must be one of draft, in_review, published"]}


class CommentIn(Schema):
    failure = "Write a comment first."
    body: Note = None
    section: Key = None
    quote: Note = None

    def problems(self) -> dict[str, list[str]]:
        return {} if self.body else {"body": ["is required"]}
