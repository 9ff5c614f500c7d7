"""Deployments of immutable artifacts: recording them, listing them, and last-known-good."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, not_, select
from sqlalchemy.exc import IntegrityError

from ...errors import Conflict, NotFound
from ...extensions import db
from ...models import (
    SERVICE_NAME_RE,
    Artifact,
    Deployment,
    DeploymentKind,
    Incident,
    Service,
    utcnow,
)
from ...validation import Fields
from . import catalog

ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
MAX_SUGGESTION_HOURS = 24 * 30


def record_deployment(data: dict[str, Any]) -> tuple[Deployment, bool]:
    """Record a rollout; returns (deployment, created).

    The same service, version, environment and deployed_at again returns the existing one
    (created False). A version already bound to another artifact reference raises Conflict.
    """
    fields = Fields(data)
    service_name = fields.text("service", required=True, max_length=63)
    if service_name is not None and not SERVICE_NAME_RE.match(service_name):
        fields.error("service", catalog.NAME_RULE)
    version = fields.text("version", required=True, max_length=200)
    environment = fields.text("environment", required=True, max_length=100)
    if environment is not None and not ENVIRONMENT_RE.match(environment):
        fields.error("environment", "letters, digits, '.', '_', ':', '/' or '-'")
    deployed_at = fields.timestamp("deployed_at")
    reference = fields.text("artifact", max_length=500)
    commit = fields.text("commit", max_length=100)
    kind = fields.enum("kind", DeploymentKind) or DeploymentKind.DEPLOY.value
    url = fields.url("url")
    notes = fields.text("notes", max_length=5000)
    fields.raise_if_errors("The deployment could not be recorded.")
    assert service_name and version and environment
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


def stage_deployment(data: dict[str, Any]) -> Deployment:
    """Validate and add a deployment to the current transaction without committing it
    (for imports, which must create everything or nothing)."""
    fields = Fields(data)
    service_name = fields.text("service", required=True, max_length=63)
    if service_name is not None and not SERVICE_NAME_RE.match(service_name):
        fields.error("service", catalog.NAME_RULE)
    version = fields.text("version", required=True, max_length=200)
    environment = fields.text("environment", max_length=100) or "production"
    deployed_at = fields.timestamp("deployed_at", required=True)
    kind = fields.enum("kind", DeploymentKind) or DeploymentKind.DEPLOY.value
    url = fields.url("url")
    fields.raise_if_errors("Invalid deployment.")
    assert service_name and version and deployed_at
    deployment, _ = _record(service_name, version, environment, deployed_at,
                            fields.text("artifact", max_length=500),
                            fields.text("commit", max_length=100), kind, url,
                            fields.text("notes", max_length=5000), commit_now=False)
    return deployment


def get_deployment(deployment_id: int) -> Deployment:
    deployment = db.session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound(f"No deployment {deployment_id}.")
    return deployment


def parse_deployment_filters(args: dict[str, Any]) -> dict[str, Any]:
    fields = Fields({k: v for k, v in args.items() if v not in (None, "")})
    filters: dict[str, Any] = {
        "service": fields.text("service", max_length=63),
        "environment": fields.text("environment", max_length=100),
        "since": fields.timestamp("since"),
        "until": fields.timestamp("until"),
    }
    if fields.has("immutable"):
        raw = str(fields.data["immutable"]).lower()
        if raw not in ("true", "false", "1", "0"):
            fields.error("immutable", "must be true or false")
        filters["immutable"] = raw in ("true", "1")
    fields.raise_if_errors("Invalid filters.")
    return filters


def immutable_clause() -> Any:
    return and_(Deployment.artifact_ref.is_not(None), Deployment.artifact_ref != "",
                Deployment.kind != DeploymentKind.MANUAL.value)


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
        stmt = stmt.where(immutable_clause())
    elif filters.get("immutable") is False:
        stmt = stmt.where(not_(immutable_clause()))
    if filters.get("service_ids") is not None:
        stmt = stmt.where(Deployment.service_id.in_(filters["service_ids"]))
    return stmt.order_by(Deployment.deployed_at.desc(), Deployment.id.desc())


def suggested_deployments(incident: Incident, hours: object = 24) -> list[Deployment]:
    """Deployments of the incident's services in the `hours` before it started, newest first."""
    fields = Fields({"hours": hours})
    value = fields.integer("hours")
    if value is not None and not 0 < value <= MAX_SUGGESTION_HOURS:
        fields.error("hours", f"must be between 1 and {MAX_SUGGESTION_HOURS}")
    fields.raise_if_errors("Invalid window.")
    window = timedelta(hours=value or 24)
    service_ids = [service.id for service in incident.services]
    if not service_ids:
        return []
    stmt = deployments_query({"service_ids": service_ids}).where(
        Deployment.deployed_at >= incident.started_at - window,
        Deployment.deployed_at <= incident.started_at,
    )
    return list(db.session.scalars(stmt))


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
