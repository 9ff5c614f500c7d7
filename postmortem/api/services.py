"""/api/v1/services: the service catalogue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..models import Role, Service
from ..schemas import ServiceChanges, ServiceIn, parse
from ..services import deployments, insights
from .auth import requires
from .common import dt, json_body, paged
from .serialise import service_json

bp = Blueprint("services", __name__)

@bp.get("/services")
def list_services() -> Any:
    counts = deployments.counts_by_service()  # grouped over the archive, not per service
    return paged(deployments.services_query(), lambda service: service_json(
        service, counts.get(service.id, {"incidents": 0, "deployments": 0})))


@bp.post("/services")
@requires(Role.AUTHOR)
def create_service() -> Any:
    service = deployments.create_service(parse(ServiceIn, json_body()))
    return service_json(service), 201


@bp.get("/services/<name>")
def get_service(name: str) -> Any:
    service: Service = deployments.get_service(name)
    body = service_json(service)
    body["last_known_good"] = deployments.last_known_good_by_environment(service)
    body["knowledge"] = insights.knowledge_of(service.id)
    body["created_at"] = dt(service.created_at)
    return body


@bp.patch("/services/<name>")
@requires(Role.AUTHOR)
def update_service(name: str) -> Any:
    service = deployments.get_service(name)
    deployments.update_service(service, parse(ServiceChanges, json_body()))
    return service_json(service)


