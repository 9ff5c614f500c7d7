"""Last known-good: the newest immutable rollout whose version no incident implicates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Artifact, Deployment, IncidentDeployment, LinkRole, Service
from ...timeutil import isoformat

Implicated = aliased(Deployment, name="implicated")


def environments_of(service: Service) -> list[str]:
    """The environments this service was ever deployed to, alphabetically."""
    stmt = (
        select(Deployment.environment)
        .where(Deployment.service_id == service.id)
        .distinct()
        .order_by(Deployment.environment)
    )
    return list(db.session.scalars(stmt))


def last_known_good(service: Service, environment: str) -> Deployment | None:
    """The newest immutable deployment to environment whose version no incident implicates
    (kept until a deployment or a post-mortem's links change: it reads every incident's linked
    artifacts)."""
    from ..kept import DEPLOYMENTS, INCIDENTS, keep, versions

    found = keep("last-known-good",
                 (service.id, environment, *versions(DEPLOYMENTS, INCIDENTS)),
                 lambda: _last_known_good_id(service, environment))
    return db.session.get(Deployment, found) if found is not None else None


def _last_known_good_id(service: Service, environment: str) -> int | None:
    stmt = (
        select(Deployment)
        .join(Artifact, Artifact.id == Deployment.artifact_id)
        .where(
            Deployment.service_id == service.id,
            Deployment.environment == environment,
            Deployment.immutable,
            # Per candidate, newest first, through the indexes on the artifact and the link
            # (a NOT IN read every linked artifact of the archive before the first row).
            ~exists().where(Implicated.artifact_id == Deployment.artifact_id,
                            IncidentDeployment.deployment_id == Implicated.id,
                            IncidentDeployment.role != LinkRole.ROLLBACK_TARGET.value),
        )
        .order_by(Deployment.deployed_at.desc(), Deployment.id.desc())
        .limit(1)
    )
    deployment = db.session.scalar(stmt)
    return deployment.id if deployment is not None else None


def lkg_json(deployment: Deployment, service: Service, environment: str) -> dict[str, Any]:
    return {
        "service": service.name,
        "environment": environment,
        "version": deployment.version,
        "artifact": deployment.artifact_ref,
        "deployed_at": isoformat(deployment.deployed_at),
        "deployment_id": deployment.id,
    }


def last_known_good_by_environment(service: Service) -> dict[str, dict | None]:
    """{environment: last-known-good deployment JSON or None} for every environment deployed to."""
    result: dict[str, dict | None] = {}
    for environment in environments_of(service):
        lkg = last_known_good(service, environment)
        result[environment] = lkg_json(lkg, service, environment) if lkg else None
    return result
