"""Services and the contributing-factor taxonomy."""

from __future__ import annotations

from .base import Schema
from .types import SERVICE_NAME_RULE, Boolean, Key, LongText, Name, ServiceName, Team


class ServiceIn(Schema):
    failure = "The service could not be created."
    name: ServiceName
    team: Team = None
    description: LongText = None

    def problems(self) -> dict[str, list[str]]:
        return {} if self.name else {"name": ["is required and " + SERVICE_NAME_RULE]}


class ServiceChanges(Schema):
    """A partial update: only the fields sent change (null clears them)."""

    failure = "The service could not be saved."
    team: Team = None
    description: LongText = None


class CategoryIn(Schema):
    failure = "The category could not be saved."
    key: Key = None
    name: Name = None
    description: LongText = None
    active: Boolean = True

    def problems(self) -> dict[str, list[str]]:
        return {name: ["is required"] for name in ("key", "name") if not getattr(self, name)}
