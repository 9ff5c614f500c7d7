"""The service catalogue: what gets deployed, who owns it."""

from __future__ import annotations

from sqlalchemy import Select, select

from ...errors import Conflict, NotFound
from ...extensions import db
from ...models import Service
from ...schemas import ServiceChanges, ServiceIn, parse
from ..transaction import use_case


def validate_service_name(name: object) -> str:
    """Return the name if it is a valid slug; raise ValidationError otherwise."""
    return parse(ServiceIn, {"name": name}).name or ""


def services_query() -> Select[Service]:
    return select(Service).order_by(Service.created_at.desc(), Service.id.desc())


def list_services() -> list[Service]:
    """Every service, by name."""
    return list(db.session.scalars(select(Service).order_by(Service.name)))


def service_names() -> list[str]:
    """Every service's name, alphabetically (for filter menus: no objects to build)."""
    return list(db.session.scalars(select(Service.name).order_by(Service.name)))


def get_service(name: str) -> Service:
    service = db.session.scalar(select(Service).where(Service.name == name))
    if service is None:
        raise NotFound(f"No service named '{name}'.")
    return service


def find_service(name: str) -> Service | None:
    return db.session.scalar(select(Service).where(Service.name == name))


@use_case
def create_service(data: ServiceIn) -> Service:
    """Create a service; Conflict when one of that name exists."""
    assert data.name is not None
    if find_service(data.name) is not None:
        raise Conflict(f"A service named '{data.name}' already exists.")
    service = Service(name=data.name, team=data.team, description=data.description)
    db.session.add(service)
    db.session.commit()
    return service


@use_case
def update_service(service: Service, changes: ServiceChanges) -> Service:
    """Change the fields that were sent (null clears them)."""
    for name, value in changes.changes().items():
        setattr(service, name, value)
    db.session.commit()
    return service


def ensure_service(name: str) -> Service:
    """The named service, created (without committing) when unknown; ValidationError for a bad name."""
    validate_service_name(name)
    service = find_service(name)
    if service is None:
        service = Service(name=name)
        db.session.add(service)
        db.session.flush()
    return service


def counts_by_service() -> dict[int, dict[str, int]]:
    """{service id: {"incidents", "deployments"}}: two grouped queries over every incident and
    deployment, kept until a post-mortem or a deployment changes."""
    from ..kept import DEPLOYMENTS, INCIDENTS, keep, once_per_request, versions

    def counts() -> dict[int, dict[str, int]]:
        found = keep("service-counts", versions(INCIDENTS, DEPLOYMENTS), _count_by_service)
        return {int(k): v for k, v in found.items()}

    return once_per_request("service_counts", counts)


def _count_by_service() -> dict[str, dict[str, int]]:
    from sqlalchemy import func

    from ...models import Deployment, incident_services

    counts: dict[str, dict[str, int]] = {}
    incident_rows = db.session.execute(
        select(incident_services.c.service_id, func.count()).group_by(incident_services.c.service_id))
    for service_id, n in incident_rows:
        counts.setdefault(str(service_id), {"incidents": 0, "deployments": 0})["incidents"] = n
    deployment_rows = db.session.execute(
        select(Deployment.service_id, func.count(Deployment.id)).group_by(Deployment.service_id))
    for service_id, n in deployment_rows:
        counts.setdefault(str(service_id), {"incidents": 0, "deployments": 0})["deployments"] = n
    return counts


def service_counts(service: Service) -> dict[str, int]:
    """How many incidents name the service and how many deployments it has had (two counts
    over their indexes)."""
    from sqlalchemy import func

    from ...models import Deployment, incident_services

    return {
        "incidents": db.session.scalar(select(func.count()).select_from(incident_services)
                                       .where(incident_services.c.service_id == service.id)) or 0,
        "deployments": db.session.scalar(select(func.count(Deployment.id))
                                         .where(Deployment.service_id == service.id)) or 0}
