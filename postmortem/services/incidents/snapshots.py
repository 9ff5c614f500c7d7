"""The canonical dictionary form of domain objects: the API's JSON and the revision snapshots."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import inspect, select

from ...extensions import db
from ...models import (
    ActionItem,
    Deployment,
    Factor,
    Incident,
    IncidentDeployment,
    TimelineEvent,
    User,
)
from ...timeutil import isoformat
from ..kept import once_per_request
from .visibility import hidden_in

# visibility.Sight, spelled out here: "all", or the ids of the restricted post-mortems shown.
Sight = str | list[int] | tuple[int, ...]


def _hidden(seen: Sight) -> set[int]:
    """The ids of the post-mortems hidden from `seen`, read once per request."""
    if seen == "all":
        return set()
    shown = sorted(int(number) for number in seen)
    return once_per_request("hidden_" + ",".join(map(str, shown)), lambda: set(
        db.session.scalars(hidden_in(shown))))


def action_item_dict(item: ActionItem, today: date) -> dict[str, Any]:
    return {
        "id": item.id,
        "incident_key": item.incident.key,
        "title": item.title,
        "description": item.description,
        "owner": item.owner.email if item.owner else None,
        "owner_name": item.owner.name if item.owner else None,
        "team": item.team,
        "priority": item.priority,
        "kind": item.kind,
        "status": item.status,
        "due_date": item.due_on.isoformat() if item.due_on else None,
        "overdue": item.is_overdue(today),
        "created_at": isoformat(item.created_at),
        "updated_at": isoformat(item.updated_at),
        "completed_at": isoformat(item.completed_at),
        "external_url": item.external_url,
        "factor_id": item.factor_id,
        "verification": item.verification,
        "resolution_note": item.resolution_note,
        "reviewed_at": isoformat(item.reviewed_at),
        "version": item.version,
    }


def event_dict(event: TimelineEvent) -> dict[str, Any]:
    return {"id": event.id, "at": isoformat(event.at), "kind": event.kind, "text": event.text,
            "version": event.version}


def factor_dict(factor: Factor) -> dict[str, Any]:
    return {"id": factor.id, "text": factor.text, "category": factor.category,
            "version": factor.version}


def deployment_dict(deployment: Deployment, *, seen: Sight = ()) -> dict[str, Any]:
    """The deployment; its incident_keys name the post-mortems shown to `seen`
    (visibility.Sight; by default no restricted one)."""
    hidden = _hidden(seen)
    return {
        "id": deployment.id,
        "service": deployment.service.name,
        "version": deployment.version,
        "artifact": deployment.artifact_ref,
        "environment": deployment.environment,
        "deployed_at": isoformat(deployment.deployed_at),
        "commit": deployment.commit,
        "kind": deployment.kind,
        "url": deployment.url,
        "notes": deployment.notes,
        "immutable": deployment.immutable,
        "incident_keys": sorted(
            (key for key in map(_linked_key, deployment.incident_links)
             if key and int(key.split("-")[1]) not in hidden),
            key=lambda key: int(key.split("-")[1]),
        ),
        "created_at": isoformat(deployment.created_at),
    }


def _linked_key(link: IncidentDeployment) -> str | None:
    """The key of a link's post-mortem, without loading it when it is not loaded already (a
    link removed in this transaction has no post-mortem any more)."""
    if "incident" not in inspect(link).unloaded:
        return link.incident.key if link.incident else None
    return f"INC-{link.incident_id}" if link.incident_id else None


def linked_deployment_dict(link: IncidentDeployment, *, seen: Sight = ()) -> dict[str, Any]:
    body = deployment_dict(link.deployment, seen=seen)
    body["role"] = link.role
    return body


def incident_head(incident: Incident, themes: list[dict] | None = None, *,
                  seen: Sight = ()) -> dict[str, Any]:
    """The post-mortem without its narrative, timeline, action items and findings: what the
    API's list gives of each (api.serialise.incident_summary_json adds `counts`), and the start
    of the whole."""
    links = sorted(incident.deployment_links, key=lambda link: link.deployment.deployed_at)
    return {
        "key": incident.key,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "template": incident.template_key,
        "started_at": isoformat(incident.started_at),
        "detected_at": isoformat(incident.detected_at),
        "mitigated_at": isoformat(incident.mitigated_at),
        "resolved_at": isoformat(incident.resolved_at),
        "metrics": incident.metrics(),
        "services": [service.name for service in incident.services],
        "tags": incident.tags,
        "commander": incident.commander.email if incident.commander else None,
        "reviewers": [reviewer.email for reviewer in incident.reviewers],
        "restricted": bool(incident.restricted),
        "readers": [reader.email for reader in incident.readers],
        "factors": [factor_dict(factor) for factor in incident.factors],
        "deployments": [linked_deployment_dict(link, seen=seen) for link in links],
        "themes": themes or [],
        "metadata": dict(incident.extra_metadata or {}),
        "version": incident.version,
        "created_at": isoformat(incident.created_at),
        "updated_at": isoformat(incident.updated_at),
        "published_at": isoformat(incident.published_at),
        "archived_at": isoformat(incident.archived_at),
    }


def _owners_of_items(incident: Incident) -> list[User]:
    """The owners of the post-mortem's action items read in one query into the session, where
    each item's owner is then found without one query per owner (a save builds its revision
    from a post-mortem read row by row)."""
    wanted = {item.owner_id for item in incident.action_items
              if item.owner_id is not None and "owner" not in item.__dict__}
    if len(wanted) < 2:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(wanted))))


def incident_dict(incident: Incident, today: date, *, findings: list[dict] | None = None,
                  themes: list[dict] | None = None, seen: Sight = ()) -> dict[str, Any]:
    """The whole post-mortem as the API returns it (without `url`, which needs a request); the
    other post-mortems it names are those shown to `seen` (by default no restricted one)."""
    owners = _owners_of_items(incident)  # held: the session's identity map keeps them weakly
    body = incident_head(incident, themes, seen=seen)
    body["sections"] = [
        {
            "key": section.key,
            "title": section.title,
            "markdown": section.markdown,
            "html": section.rendered,
            "required": section.required,
            "guidance": section.guidance,
        }
        for section in incident.sections
    ]
    body["timeline"] = [event_dict(event) for event in incident.timeline]
    body["action_items"] = [action_item_dict(item, today) for item in incident.action_items]
    body["blameless"] = {"findings": findings or []}
    del owners
    return body
