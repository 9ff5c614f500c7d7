"""/api/v1/deployments and the incident ↔ deployment links: immutable artifacts in production."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from ..models import Role
from ..schemas import DeploymentIn, LinkIn, SuggestionWindow, parse
from ..services import deployments, incidents
from ..services.incidents import deployment_dict, linked_deployment_dict
from .auth import api_user, requires
from .common import json_body, paged

bp = Blueprint("deployments", __name__)

@bp.post("/deployments")
@requires(Role.DEPLOYER)
def record_deployment() -> Any:
    deployment, created = deployments.record_deployment(parse(DeploymentIn, json_body()))
    return deployment_dict(deployment), 201 if created else 200


@bp.get("/deployments")
def list_deployments() -> Any:
    filters = deployments.parse_deployment_filters(request.args.to_dict())
    return paged(deployments.deployments_query(filters), deployment_dict)


@bp.get("/deployments/<int:deployment_id>")
def get_deployment(deployment_id: int) -> Any:
    return deployment_dict(deployments.get_deployment(deployment_id))


@bp.post("/incidents/<key>/deployments")
@requires(Role.AUTHOR)
def link_deployment(key: str) -> Any:
    incident = incidents.get_incident(key)
    link = incidents.link_deployment(incident, api_user(), parse(LinkIn, json_body()))
    return linked_deployment_dict(link), 201


@bp.delete("/incidents/<key>/deployments/<int:deployment_id>")
@requires(Role.AUTHOR)
def unlink_deployment(key: str, deployment_id: int) -> Any:
    incident = incidents.get_incident(key)
    incidents.unlink_deployment(incident, api_user(), deployment_id)
    return "", 204


@bp.get("/incidents/<key>/suggested-deployments")
def suggested_deployments(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False)
    window = parse(SuggestionWindow, request.args.to_dict())
    found = deployments.suggested_deployments(incident, window.hours, window.after_hours or 0)
    return [deployment_dict(deployment) | {"position": deployments.position(incident, deployment)}
            for deployment in found]


@bp.get("/services/<name>/last-known-good")
def last_known_good(name: str) -> Any:
    from ..errors import NotFound
    from ..services import deployments

    service = deployments.get_service(name)
    environment = request.args.get("environment") or "production"
    lkg = deployments.last_known_good(service, environment)
    if lkg is None:
        raise NotFound(f"{name} has no known-good immutable deployment in {environment}.")
    return deployments.lkg_json(lkg, service, environment)
