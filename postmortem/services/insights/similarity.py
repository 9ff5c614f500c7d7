"""Similar post-mortems, as the insight job stored them (engine.py), with the reasons: the
terms they share most, and the services and artifact versions they have in common."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import (
    Artifact,
    Deployment,
    Incident,
    IncidentDeployment,
    IncidentNeighbour,
    Service,
    User,
    incident_services,
)
from ..incidents.visibility import shown


def _services(ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for incident_id, name in db.session.execute(
            select(incident_services.c.incident_id, Service.name).join(Service)
            .where(incident_services.c.incident_id.in_(ids))):
        found[incident_id].add(name)
    return found


def _versions(ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for incident_id, service, version in db.session.execute(
            select(IncidentDeployment.incident_id, Service.name, Artifact.version)
            .join(Deployment, Deployment.id == IncidentDeployment.deployment_id)
            .join(Artifact, Artifact.id == Deployment.artifact_id)
            .join(Service, Service.id == Artifact.service_id)
            .where(IncidentDeployment.incident_id.in_(ids))):
        found[incident_id].add(f"{service} {version}")
    return found


def similar_incidents(incident: Incident, limit: int = 5, *, reader: User | None
                      ) -> list[dict[str, Any]]:
    """[{"key", "title", "score", "reasons": {"terms", "services", "versions"}}], most similar
    first, of those this reader may read; archived ones left out. Empty until the insight job
    has run."""
    return similar_from_rows(incident, similar_rows(incident, limit, reader=reader))


def similar_rows(incident: Incident, limit: int = 5, *, reader: User | None) -> list[Any]:
    """(id, score, terms, title, stamp) of the post-mortems most similar to this one that the
    reader may read: what a similar list shows, and (with the stamps) what keeps it."""
    return list(db.session.execute(
        select(IncidentNeighbour.neighbour_id, IncidentNeighbour.score, IncidentNeighbour.terms,
               Incident.title, Incident.stamp)
        .join(Incident, Incident.id == IncidentNeighbour.neighbour_id)
        .where(IncidentNeighbour.incident_id == incident.id, Incident.archived_at.is_(None),
               shown(reader))
        .order_by(IncidentNeighbour.rank).limit(max(1, min(limit, 50)))).all())


def similar_from_rows(incident: Incident, rows: list[Any]) -> list[dict[str, Any]]:
    """The similar list of similar_rows, with the services and artifact versions each shares
    with this post-mortem."""
    ids = [incident.id, *(row[0] for row in rows)]
    services, versions = _services(ids), _versions(ids)
    return [{"key": f"INC-{other}", "title": title, "score": score,
             "reasons": {"terms": list(terms or []),
                         "services": sorted(services[incident.id] & services[other]),
                         "versions": sorted(versions[incident.id] & versions[other])}}
            for other, score, terms, title, _ in rows]
