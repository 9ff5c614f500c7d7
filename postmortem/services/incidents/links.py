"""Linking deployments to a post-mortem: the artifact versions involved, each in a role."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...errors import NotFound
from ...extensions import db
from ...models import Artifact, Deployment, Incident, IncidentDeployment, LinkRole, Service, User
from ...validation import Fields
from .guard import ensure_editable, touch


def _find_for_link(incident: Incident, fields: Fields) -> Deployment | None:
    if fields.has("deployment_id"):
        deployment_id = fields.integer("deployment_id")
        deployment = db.session.get(Deployment, deployment_id) if deployment_id else None
        if deployment is None and "deployment_id" not in fields.errors:
            fields.error("deployment_id", "no such deployment")
        return deployment
    service = fields.text("service", required=True, max_length=63)
    version = fields.text("version", required=True, max_length=200)
    environment = fields.text("environment", max_length=100)
    if fields.errors:
        return None
    stmt = (select(Deployment).join(Artifact, Artifact.id == Deployment.artifact_id)
            .join(Service, Service.id == Deployment.service_id)
            .where(Service.name == service, Artifact.version == version))
    if environment:
        stmt = stmt.where(Deployment.environment == environment)
    candidates = list(db.session.scalars(stmt.order_by(Deployment.deployed_at.desc())))
    if not candidates:
        fields.error("version", f"no deployment of {service} {version}"
                     + (f" to {environment}" if environment else ""))
        return None
    # The rollout that was live when the incident started, else the newest one.
    before = [d for d in candidates if d.deployed_at <= incident.started_at]
    return (before or candidates)[0]


def link_deployment(incident: Incident, actor: User | None, data: dict[str, Any]) -> IncidentDeployment:
    """Link a deployment (by id, or by service + version [+ environment]) in a role."""
    ensure_editable(incident)
    fields = Fields(data)
    role = fields.enum("role", LinkRole) or LinkRole.SUSPECTED.value
    deployment = _find_for_link(incident, fields)
    fields.raise_if_errors("The deployment could not be linked.")
    assert deployment is not None
    link = db.session.get(IncidentDeployment, (incident.id, deployment.id))
    if link is None:
        link = IncidentDeployment(incident=incident, deployment=deployment, role=role)
        db.session.add(link)
    else:
        link.role = role
    touch(incident, actor, f"Linked {deployment.service.name} {deployment.version} as {role}")
    return link


def unlink_deployment(incident: Incident, actor: User | None, deployment_id: int) -> None:
    ensure_editable(incident)
    link = db.session.get(IncidentDeployment, (incident.id, deployment_id))
    if link is None:
        raise NotFound(f"Deployment {deployment_id} is not linked to {incident.key}.")
    label = f"{link.deployment.service.name} {link.deployment.version}"
    db.session.delete(link)
    touch(incident, actor, f"Unlinked {label}")
