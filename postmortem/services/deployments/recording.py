"""Deployments of immutable artifacts: recording them, listing them, and last-known-good."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...errors import Conflict, NotFound, ValidationError
from ...extensions import db
from ...models import (
    Artifact,
    Deployment,
    DeploymentKind,
    Incident,
    IncidentDeployment,
    Service,
    utcnow,
)
from ...schemas import DeploymentFilters, DeploymentIn, parse
from ..transaction import use_case
from . import catalog


@use_case
def record_deployment(data: DeploymentIn) -> tuple[Deployment, bool]:
    """Record a rollout; returns (deployment, created).

    The same service, version, environment and deployed_at again returns the existing one
    (created False). A version already bound to another artifact reference raises Conflict.
    """
    assert data.service and data.version and data.environment
    service_name, version, environment = data.service, data.version, data.environment
    deployed_at, reference, commit = data.deployed_at, data.artifact, data.commit
    kind = data.kind or DeploymentKind.DEPLOY.value
    url, notes = data.url, data.notes
    if deployed_at is None:
        # No time given: a retry of the same rollout shortly after is the same deployment.
        retried = _recent_retry(service_name, version, environment)
        if retried is not None and (reference or None) == retried.artifact_ref \
                and kind == retried.kind:
            return retried, False
        deployed_at = utcnow().replace(microsecond=0)

    for attempt in range(2):
        try:
            return _record(service_name, version, environment, deployed_at, reference, commit,
                           kind, url, notes)
        except IntegrityError:
            # Another request recorded the same artifact or deployment at the same moment.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


RETRY_WINDOW = timedelta(minutes=15)


def _recent_retry(service_name: str, version: str, environment: str) -> Deployment | None:
    """The deployment recorded for this version in the last minutes, if it is still the latest
    rollout to that environment."""
    latest = db.session.scalar(
        select(Deployment).join(Service, Service.id == Deployment.service_id)
        .where(Service.name == service_name, Deployment.environment == environment)
        .order_by(Deployment.deployed_at.desc(), Deployment.id.desc()).limit(1))
    if (latest is not None and latest.version == version
            and utcnow() - latest.created_at <= RETRY_WINDOW):
        return latest
    return None


def _record(service_name: str, version: str, environment: str, deployed_at: datetime,
            reference: str | None, commit: str | None, kind: str, url: str | None,
            notes: str | None, *, commit_now: bool = True) -> tuple[Deployment, bool]:
    service = catalog.ensure_service(service_name)
    artifact = db.session.scalar(
        select(Artifact).where(Artifact.service_id == service.id, Artifact.version == version))
    if artifact is not None and reference and artifact.reference and artifact.reference != reference:
        raise Conflict(
            f"{service_name} {version} is already the artifact {artifact.reference}; it cannot "
            f"also be {reference}. Artifacts are immutable: give the new build a new version.",
            extra={"existing_artifact": artifact.reference, "artifact": reference},
        )
    if artifact is None:
        artifact = Artifact(service=service, version=version, reference=reference)
        db.session.add(artifact)
        db.session.flush()
    elif reference and not artifact.reference:
        artifact.reference = reference
    existing = db.session.scalar(select(Deployment).where(
        Deployment.service_id == service.id, Deployment.artifact_id == artifact.id,
        Deployment.environment == environment, Deployment.deployed_at == deployed_at))
    if existing is not None:
        if commit_now:
            db.session.commit()
        return existing, False
    deployment = Deployment(
        service=service, artifact=artifact, environment=environment, deployed_at=deployed_at,
        artifact_ref=reference, commit=commit, kind=kind, url=url, notes=notes,
    )
    db.session.add(deployment)
    if commit_now:
        db.session.commit()
    else:
        db.session.flush()
    return deployment, True


def stage_deployment(data: DeploymentIn) -> Deployment:
    """Add a deployment to the current transaction without committing it (for imports, which
    must create everything or nothing); ValidationError when it has no time."""
    if data.deployed_at is None:
        raise ValidationError(data.failure, fields={"deployed_at": ["is required"]})
    assert data.service and data.version
    deployment, _ = _record(data.service, data.version, data.environment or "production",
                            data.deployed_at, data.artifact, data.commit,
                            data.kind or DeploymentKind.DEPLOY.value, data.url, data.notes,
                            commit_now=False)
    return deployment


def get_deployment(deployment_id: int) -> Deployment:
    deployment = db.session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound(f"No deployment {deployment_id}.")
    return deployment


def parse_deployment_filters(args: dict[str, Any]) -> dict[str, Any]:
    """The list's filters from query arguments; ValidationError for bad values."""
    return parse(DeploymentFilters, args).model_dump()


# What a deployment row shows (its service, artifact and the incidents it is linked to), loaded
# with the page instead of one query per row.
DEPLOYMENT_ROW = (selectinload(Deployment.service), selectinload(Deployment.artifact),
                  selectinload(Deployment.incident_links).selectinload(IncidentDeployment.incident))


def deployments_query(filters: dict[str, Any]) -> Select[Deployment]:
    """Deployments matching the filters, newest deployed_at first."""
    stmt = select(Deployment)
    if filters.get("service"):
        stmt = stmt.join(Service, Service.id == Deployment.service_id).where(
            Service.name == filters["service"])
    if filters.get("environment"):
        stmt = stmt.where(Deployment.environment == filters["environment"])
    if filters.get("since"):
        stmt = stmt.where(Deployment.deployed_at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(Deployment.deployed_at <= filters["until"])
    if filters.get("immutable") is True:
        stmt = stmt.where(Deployment.immutable)
    elif filters.get("immutable") is False:
        stmt = stmt.where(not_(Deployment.immutable))
    if filters.get("service_ids") is not None:
        stmt = stmt.where(Deployment.service_id.in_(filters["service_ids"]))
    return stmt.order_by(Deployment.deployed_at.desc(), Deployment.id.desc()).options(
        *DEPLOYMENT_ROW)


# The editor's window; the API's default is 24 hours before and none after (the first contract).
SUGGEST_HOURS_BEFORE, SUGGEST_HOURS_AFTER = 24, 6


def suggested_deployments(incident: Incident, hours: int | None = None,
                          after_hours: int = 0) -> list[Deployment]:
    """Deployments of the incident's services from `hours` before it started to `after_hours`
    after (rollbacks and fixes included), newest first."""
    before = timedelta(hours=SUGGEST_HOURS_BEFORE if hours is None else hours)
    after = timedelta(hours=after_hours)
    service_ids = [service.id for service in incident.services]
    if not service_ids:
        return []
    stmt = deployments_query({"service_ids": service_ids}).where(
        Deployment.deployed_at >= incident.started_at - before,
        Deployment.deployed_at <= incident.started_at + after,
    )
    return list(db.session.scalars(stmt))


FIND_LIMIT = 20


def find_deployments(text: str, limit: int = FIND_LIMIT) -> list[Deployment]:
    """Deployments of any service, newest first, where every word of `text` is part of the
    version, the artifact reference (so a digest prefix), the commit, the service or the
    environment: what an author types to link one from outside the suggestion window."""
    words = [word.lower() for word in (text or "").split()][:6]
    if not words:
        return []
    stmt = (select(Deployment).join(Service, Service.id == Deployment.service_id)
            .join(Artifact, Artifact.id == Deployment.artifact_id))
    for word in words:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(*(func.lower(column).like(like, escape="\\") for column in (
            Artifact.version, Deployment.artifact_ref, Deployment.commit, Service.name,
            Deployment.environment))))
    stmt = stmt.order_by(Deployment.deployed_at.desc(), Deployment.id.desc()).limit(limit)
    return list(db.session.scalars(stmt.options(*DEPLOYMENT_ROW)))


def last_before_start(incident: Incident, deployments: list[Deployment]) -> set[int]:
    """Of these deployments, the ones that were the newest of their service and environment
    when the incident started (what was running: never its own rollback target)."""
    keys = {(d.service_id, d.environment) for d in deployments
            if d.deployed_at <= incident.started_at}
    if not keys:
        return set()
    stmt = (select(Deployment.service_id, Deployment.environment, func.max(Deployment.deployed_at))
            .where(Deployment.service_id.in_({service for service, _ in keys}),
                   Deployment.deployed_at <= incident.started_at)
            .group_by(Deployment.service_id, Deployment.environment))
    newest = {(service, environment): at for service, environment, at in db.session.execute(stmt)}
    return {d.id for d in deployments
            if d.deployed_at <= incident.started_at
            and newest.get((d.service_id, d.environment)) == d.deployed_at}


def position(incident: Incident, deployment: Deployment) -> str:
    """'before' or 'after' the incident started."""
    return "before" if deployment.deployed_at <= incident.started_at else "after"


def out_of_band_near(incident: Incident, hours: int = 24) -> list[Deployment]:
    """Out-of-band changes to the incident's services from `hours` before it until it ended."""
    service_ids = [service.id for service in incident.services]
    if not service_ids:
        return []
    end = incident.resolved_at or incident.started_at + timedelta(hours=hours)
    stmt = deployments_query({"service_ids": service_ids, "immutable": False}).where(
        Deployment.deployed_at >= incident.started_at - timedelta(hours=hours),
        Deployment.deployed_at <= end,
    )
    return list(db.session.scalars(stmt))
