"""Query-string parameters shared by lists and reports: periods, paging, themes, similarity."""

from __future__ import annotations

from .base import Schema
from .deployments import period_problems
from .types import (
    Boolean,
    Integer,
    ListViewValue,
    Note,
    ServiceRef,
    ThemeRef,
    Timestamp,
    Title,
    Until,
)


class Period(Schema):
    """since and until, both inclusive; a bare date as until means the end of that day (UTC)."""

    failure = "Invalid period."
    since: Timestamp = None
    until: Until = None

    def problems(self) -> dict[str, list[str]]:
        return period_problems(self.since, self.until)


MAX_PAGE = 1_000_000


class Paging(Schema):
    """page (1 to MAX_PAGE) and per_page (1 or more; the caller caps it)."""

    failure = "Invalid paging parameters."
    page: Integer = None
    per_page: Integer = None

    def problems(self) -> dict[str, list[str]]:
        problems = {}
        if self.page is not None and not 1 <= self.page <= MAX_PAGE:
            problems["page"] = [f"must be between 1 and {MAX_PAGE}"]
        if self.per_page is not None and self.per_page < 1:
            problems["per_page"] = ["must be at least 1"]
        return problems


class View(Schema):
    """view: `summary` (the default) or `full`, on the API's lists whose items are large."""

    failure = "Invalid parameters."
    view: ListViewValue = None


class ThemeQuery(Period):
    failure = "Invalid parameters."
    min_incidents: Integer = None
    service: ServiceRef = None
    view: ListViewValue = None

    def problems(self) -> dict[str, list[str]]:
        problems = super().problems()
        if self.min_incidents is not None and self.min_incidents < 1:
            problems["min_incidents"] = ["must be at least 1"]
        return problems


class Limit(Schema):
    failure = "Invalid limit."
    limit: Integer = None

    def problems(self) -> dict[str, list[str]]:
        if self.limit is not None and not 1 <= self.limit <= 50:
            return {"limit": ["must be between 1 and 50"]}
        return {}


class ThemeChanges(Schema):
    """A person's correction of a detected theme: any of name, description, hidden."""

    failure = "Invalid theme."
    name: Title = None
    description: Note = None
    hidden: Boolean = None

    def problems(self) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        if not self.model_fields_set & {"name", "description", "hidden"}:
            problems["body"] = ["send at least one of name, description, hidden"]
        if self.given("name") and not self.name:
            problems["name"] = ["must not be empty"]
        if self.given("hidden") and self.hidden is None:
            problems["hidden"] = ["must be true or false"]
        return problems


class ThemeMerge(Schema):
    """The theme another one goes into."""

    failure = "Invalid merge."
    into: ThemeRef = None

    def problems(self) -> dict[str, list[str]]:
        return {} if self.into else {"into": ["is required: the id of the theme to merge into"]}
