"""What a service page shows: its rollouts per environment, incidents per version, change
failure rate, out-of-band changes and the last known-good version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import Deployment, Incident, LinkRole, Service, incident_services, utcnow
from . import known_good, recording


@dataclass
class VersionRow:
    version: str
    reference: str | None
    first_deployed: Any
    deployments: int = 0
    incidents: list[tuple[str, str, str]] = field(default_factory=list)  # key, title, role


def service_incidents(service: Service) -> list[Incident]:
    stmt = (select(Incident)
            .join(incident_services, incident_services.c.incident_id == Incident.id)
            .where(incident_services.c.service_id == service.id, Incident.archived_at.is_(None))
            .order_by(Incident.started_at.desc()))
    return list(db.session.scalars(stmt))


def service_overview(service: Service, environment: str | None, days: int) -> dict[str, Any]:
    """Everything the service page needs for one environment over the last `days` days."""
    environments = known_good.environments_of(service)
    if environment not in environments:
        environment = "production" if "production" in environments else (
            environments[0] if environments else None)
    history: list[Deployment] = []
    if environment:
        history = list(db.session.scalars(recording.deployments_query(
            {"service_ids": [service.id], "environment": environment})))
    versions: dict[str, VersionRow] = {}
    for deployment in reversed(history):
        row = versions.setdefault(deployment.version, VersionRow(
            deployment.version, deployment.artifact.reference, deployment.deployed_at))
        row.deployments += 1
        for link in deployment.incident_links:
            entry = (link.incident.key, link.incident.title, link.role)
            if entry not in row.incidents:
                row.incidents.append(entry)
    since = utcnow() - timedelta(days=days)
    in_period = [d for d in history if d.deployed_at >= since]
    culprits = [d for d in in_period
                if any(link.role == LinkRole.CULPRIT.value for link in d.incident_links)]
    lkg = known_good.last_known_good(service, environment) if environment else None
    return {
        "environments": environments,
        "environment": environment,
        "history": history,
        "current": history[0] if history else None,
        "versions": sorted(versions.values(), key=lambda r: r.first_deployed, reverse=True),
        "out_of_band": [d for d in history if not d.immutable],
        "lkg": lkg,
        "days": days,
        "period_deployments": len(in_period),
        "period_culprits": len(culprits),
        "change_failure_rate": (len(culprits) / len(in_period)) if in_period else None,
        "incidents": service_incidents(service),
    }


@dataclass
class TimelineEntry:
    at: Any
    kind: str
    text: str
    source: str  # "event", "deployment" or "out-of-band"
    role: str | None = None
    reference: str | None = None


def incident_timeline(incident: Incident) -> list[TimelineEntry]:
    """The incident's own events, with its linked deployments and the out-of-band changes to
    its services around it, in time order."""
    entries = [TimelineEntry(e.at, e.kind, e.text, "event") for e in incident.timeline]
    linked_ids = set()
    for link in incident.deployment_links:
        d = link.deployment
        linked_ids.add(d.id)
        entries.append(TimelineEntry(
            d.deployed_at, "rollback" if d.kind == "rollback" else "deploy",
            f"{d.service.name} {d.version} deployed to {d.environment}",
            "deployment" if d.immutable else "out-of-band", link.role, d.artifact_ref))
    for d in recording.out_of_band_near(incident):
        if d.id not in linked_ids:
            entries.append(TimelineEntry(
                d.deployed_at, d.kind, f"{d.service.name} {d.version} changed in {d.environment}"
                + (f": {d.notes}" if d.notes else ""), "out-of-band"))
    return sorted(entries, key=lambda e: e.at)
