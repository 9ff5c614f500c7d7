"""What a service page shows: its rollouts per environment, incidents per version, change
failure rate, out-of-band changes and the last known-good version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    Artifact,
    Deployment,
    Incident,
    IncidentDeployment,
    LinkRole,
    Service,
    incident_services,
    today,
)
from . import known_good, recording


@dataclass
class VersionRow:
    version: str
    reference: str | None
    first_deployed: Any
    deployments: int = 0
    incidents: list[tuple[str, str, str]] = field(default_factory=list)  # key, title, role


SHOWN = 50  # rows per list on the service page (the API pages through all of them)


def service_incidents(service: Service, limit: int | None = None) -> list[Incident]:
    stmt = (select(Incident)
            .join(incident_services, incident_services.c.incident_id == Incident.id)
            .where(incident_services.c.service_id == service.id, Incident.archived_at.is_(None))
            .order_by(Incident.started_at.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def _versions(service: Service, environment: str) -> list[VersionRow]:
    """The newest SHOWN versions deployed to environment, with their deployment counts and the
    incidents linked to them — counted by the database."""
    first = func.min(Deployment.deployed_at)
    rows = db.session.execute(
        select(Artifact.id, Artifact.version, Artifact.reference, first, func.count(Deployment.id))
        .join(Deployment, Deployment.artifact_id == Artifact.id)
        .where(Deployment.service_id == service.id, Deployment.environment == environment)
        .group_by(Artifact.id, Artifact.version, Artifact.reference)
        .order_by(first.desc()).limit(SHOWN)).all()
    versions = {artifact_id: VersionRow(version, reference, first_deployed, count)
                for artifact_id, version, reference, first_deployed, count in rows}
    links = db.session.execute(
        select(Deployment.artifact_id, Incident.id, Incident.title, IncidentDeployment.role)
        .join(IncidentDeployment, IncidentDeployment.deployment_id == Deployment.id)
        .join(Incident, Incident.id == IncidentDeployment.incident_id)
        .where(Deployment.artifact_id.in_(list(versions)), Deployment.environment == environment)
        .order_by(Incident.id)).all()
    for artifact_id, incident_id, title, role in links:
        entry = (f"INC-{incident_id}", title, role)
        if entry not in versions[artifact_id].incidents:
            versions[artifact_id].incidents.append(entry)
    return list(versions.values())


def service_overview(service: Service, environment: str | None, days: int) -> dict[str, Any]:
    """Everything the service page needs for one environment over the last `days` days: the
    newest rollouts, versions and out-of-band changes (SHOWN of each), and the period's change
    failure rate counted in SQL."""
    environments = known_good.environments_of(service)
    if environment not in environments:
        environment = "production" if "production" in environments else (
            environments[0] if environments else None)
    history: list[Deployment] = []
    versions: list[VersionRow] = []
    out_of_band: list[Deployment] = []
    period = culprits = 0
    if environment:
        filters = {"service_ids": [service.id], "environment": environment}
        history = list(db.session.scalars(recording.deployments_query(filters).limit(SHOWN)))
        out_of_band = list(db.session.scalars(recording.deployments_query(
            {**filters, "immutable": False}).limit(SHOWN)))
        versions = _versions(service, environment)
        # Whole days, ending today: the figures change only with the data and the date, so a
        # page kept for the day (web/services.py) shows what a fresh one would.
        since = datetime.combine(today() - timedelta(days=days - 1), time.min, tzinfo=UTC)
        in_period = (Deployment.service_id == service.id, Deployment.environment == environment,
                     Deployment.deployed_at >= since)
        period = db.session.scalar(select(func.count(Deployment.id)).where(*in_period)) or 0
        culprits = db.session.scalar(
            select(func.count(func.distinct(Deployment.id)))
            .join(IncidentDeployment, IncidentDeployment.deployment_id == Deployment.id)
            .where(*in_period, IncidentDeployment.role == LinkRole.CULPRIT)) or 0
    lkg = known_good.last_known_good(service, environment) if environment else None
    return {
        "environments": environments,
        "environment": environment,
        "history": history,
        "current": history[0] if history else None,
        "versions": versions,
        "out_of_band": out_of_band,
        "lkg": lkg,
        "days": days,
        "period_deployments": period,
        "period_culprits": culprits,
        "change_failure_rate": (culprits / period) if period else None,
        "incidents": service_incidents(service, SHOWN),
        "shown": SHOWN,
    }


@dataclass
class TimelineEntry:
    at: Any
    kind: str
    text: str
    source: str  # "event", "deployment" or "out-of-band"
    role: str | None = None
    reference: str | None = None
    note: str | None = None  # the author's own words on a deployment (a merged deploy event)


# A deploy or rollback the author wrote into the timeline is the same as a linked deployment of
# that service when their times are this close.
SAME_DEPLOY_WITHIN = timedelta(minutes=15)


def deploy_events_matched(incident: Incident) -> dict[int, Deployment]:
    """Timeline events of kind deploy or rollback that record a linked deployment (the same
    service, by name or version in the text or as the only service, within 15 minutes), by
    event id: the read view shows each pair once."""
    matched: dict[int, Deployment] = {}
    only = incident.services[0].id if len(incident.services) == 1 else None
    for link in sorted(incident.deployment_links, key=lambda link: link.deployment.deployed_at):
        d = link.deployment
        for event in incident.timeline:
            if event.id in matched or event.kind not in ("deploy", "rollback"):
                continue
            text = event.text.lower()
            names_it = d.service.name.lower() in text or d.version.lower() in text
            if abs(event.at - d.deployed_at) <= SAME_DEPLOY_WITHIN and (
                    names_it or d.service_id == only):
                matched[event.id] = d
                break
    return matched


def incident_timeline(incident: Incident) -> list[TimelineEntry]:
    """The incident's own events, with its linked deployments and the out-of-band changes to
    its services around it, in time order. A deploy event that records a linked deployment is
    shown once, as the deployment with the author's words."""
    matched = deploy_events_matched(incident)
    notes = {d.id: event.text for event in incident.timeline
             for event_id, d in matched.items() if event.id == event_id}
    entries = [TimelineEntry(e.at, e.kind, e.text, "event") for e in incident.timeline
               if e.id not in matched]
    linked_ids = set()
    for link in incident.deployment_links:
        d = link.deployment
        linked_ids.add(d.id)
        entries.append(TimelineEntry(
            d.deployed_at, "rollback" if d.kind == "rollback" else "deploy",
            f"{d.service.name} {d.version} deployed to {d.environment}",
            "deployment" if d.immutable else "out-of-band", link.role, d.artifact_ref,
            notes.get(d.id)))
    for d in recording.out_of_band_near(incident):
        if d.id not in linked_ids:
            entries.append(TimelineEntry(
                d.deployed_at, d.kind, f"{d.service.name} {d.version} changed in {d.environment}"
                + (f": {d.notes}" if d.notes else ""), "out-of-band"))
    return sorted(entries, key=lambda e: e.at)
