"""Recording deployments, finding them, and linking them to a post-mortem."""

from __future__ import annotations

from .base import Schema
from .types import (
    ArtifactRef,
    Boolean,
    CommitRef,
    DeploymentKindValue,
    Environment,
    Id,
    Integer,
    LinkRoleValue,
    Note,
    ServiceName,
    Timestamp,
    Until,
    Url,
    VersionLabel,
)

MAX_SUGGESTION_HOURS = 24 * 30


class DeploymentIn(Schema):
    """One rollout, from CI (the API or the CLI) or from an imported document."""

    failure = "The deployment could not be recorded."
    service: ServiceName
    version: VersionLabel
    environment: Environment
    deployed_at: Timestamp = None
    artifact: ArtifactRef = None
    commit: CommitRef = None
    kind: DeploymentKindValue = None
    url: Url = None
    notes: Note = None

    def problems(self) -> dict[str, list[str]]:
        return {name: ["is required"] for name in ("service", "version", "environment")
                if not getattr(self, name)}


class DeploymentFilters(Schema):
    failure = "Invalid filters."
    service: ServiceName = None
    environment: Environment = None
    since: Timestamp = None
    until: Until = None
    immutable: Boolean = None

    def problems(self) -> dict[str, list[str]]:
        return period_problems(self.since, self.until)


class LinkIn(Schema):
    """A deployment to link: by id, or by service + version (+ environment)."""

    failure = "The deployment could not be linked."
    deployment_id: Id = None
    service: ServiceName = None
    version: VersionLabel = None
    environment: Environment = None
    role: LinkRoleValue = None

    def problems(self) -> dict[str, list[str]]:
        if self.given("deployment_id"):
            return {} if self.deployment_id else {"deployment_id": ["is required"]}
        return {name: ["is required"] for name in ("service", "version") if not getattr(self, name)}


class SuggestionWindow(Schema):
    failure = "Invalid window."
    hours: Integer = None
    after_hours: Integer = None

    def problems(self) -> dict[str, list[str]]:
        problems = {}
        if self.hours is not None and not 0 < self.hours <= MAX_SUGGESTION_HOURS:
            problems["hours"] = [f"must be between 1 and {MAX_SUGGESTION_HOURS}"]
        if self.after_hours is not None and not 0 <= self.after_hours <= MAX_SUGGESTION_HOURS:
            problems["after_hours"] = [f"must be between 0 and {MAX_SUGGESTION_HOURS}"]
        return problems


def period_problems(since: object, until: object) -> dict[str, list[str]]:
    """since ≤ until, when both are given."""
    if since is not None and until is not None and since > until:  # type: ignore[operator]
        return {"until": ["must not be before since"]}
    return {}
