"""Linking deployments to a post-mortem: the artifact versions involved, each in a role."""

from __future__ import annotations

from sqlalchemy import select

from ...errors import NotFound, ValidationError
from ...extensions import db
from ...models import Artifact, Deployment, Incident, IncidentDeployment, LinkRole, Service, User
from ...schemas import LinkIn
from ..transaction import use_case
from .guard import ensure_editable, touch


def _find_for_link(incident: Incident, data: LinkIn) -> Deployment:
    """The deployment to link: by id, or the rollout of service + version (+ environment) that
    was live when the incident started, else the newest one. ValidationError when none."""
    if data.deployment_id is not None:
        deployment = db.session.get(Deployment, data.deployment_id)
        if deployment is None:
            raise ValidationError(data.failure, fields={"deployment_id": ["no such deployment"]})
        return deployment
    stmt = (select(Deployment).join(Artifact, Artifact.id == Deployment.artifact_id)
            .join(Service, Service.id == Deployment.service_id)
            .where(Service.name == data.service, Artifact.version == data.version))
    if data.environment:
        stmt = stmt.where(Deployment.environment == data.environment)
    candidates = list(db.session.scalars(stmt.order_by(Deployment.deployed_at.desc())))
    if not candidates:
        where = f" to {data.environment}" if data.environment else ""
        raise ValidationError(data.failure, fields={
            "version": [f"no deployment of {data.service} {data.version}{where}"]})
    before = [d for d in candidates if d.deployed_at <= incident.started_at]
    return (before or candidates)[0]


@use_case
def link_deployment(incident: Incident, actor: User | None, data: LinkIn) -> IncidentDeployment:
    """Link a deployment (by id, or by service + version [+ environment]) in a role."""
    ensure_editable(incident)
    role = data.role or LinkRole.SUSPECTED
    deployment = _find_for_link(incident, data)
    link = db.session.get(IncidentDeployment, (incident.id, deployment.id))
    if link is None:
        link = IncidentDeployment(incident=incident, deployment=deployment, role=role)
        db.session.add(link)
    else:
        link.role = role
    touch(incident, actor, f"Linked {deployment.service.name} {deployment.version} as {role}")
    return link


@use_case
def unlink_deployment(incident: Incident, actor: User | None, deployment_id: int) -> None:
    ensure_editable(incident)
    link = db.session.get(IncidentDeployment, (incident.id, deployment_id))
    if link is None:
        raise NotFound(f"Deployment {deployment_id} is not linked to {incident.key}.")
    label = f"{link.deployment.service.name} {link.deployment.version}"
    db.session.delete(link)
    touch(incident, actor, f"Unlinked {label}")
