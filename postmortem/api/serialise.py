"""JSON shapes of the API's resources, exactly as api-v1.md names their fields."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request

from ..models import ActionItem, Factor, Incident, Revision, Service, today
from ..services import deployments, incidents, insights
from ..services.incidents import action_item_dict, factor_dict, incident_dict, incident_head
from ..timeutil import isoformat
from .auth import api_user


def browser_url(path: str) -> str:
    """The address of a page in the browser: under BASE_URL when set, else this host."""
    base = current_app.config.get("BASE_URL") or request.host_url
    return base.rstrip("/") + path


def service_json(service: Service, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """A service; counts ({"incidents", "deployments"}) given by a list that counted them
    all at once, else counted for this one."""
    counts = counts or deployments.service_counts(service)
    return {
        "name": service.name,
        "team": service.team,
        "description": service.description,
        "incident_count": counts["incidents"],
        "deployment_count": counts["deployments"],
    }


def factor_json(factor: Factor) -> dict[str, Any]:
    """A contributing factor, with the category suggested for it when it has none."""
    body = factor_dict(factor)
    body["suggested_category"] = insights.suggested_category(factor)
    return body


def incident_json(incident: Incident) -> dict[str, Any]:
    """The incident object of api-v1.md, with blameless findings and the browser URL."""
    if incident.restricted:
        g.restricted_shown = True  # web.http_cache: no-store

    body = incident_dict(incident, today(), findings=incidents.findings_of(incident),
                         themes=insights.themes_of(incident), seen=incidents.sight(api_user()))
    body["factors"] = [factor_json(factor) for factor in incident.factors]
    body["url"] = browser_url(f"/incidents/{incident.key}")
    return body


def incident_summary_json(incident: Incident, counts: dict[str, int]) -> dict[str, Any]:
    """What the API's list gives of an incident by default: every field of the incident object
    but its sections, timeline, action items and findings, which `counts` sums up instead
    (`?view=full` gives the whole object)."""
    body = incident_head(incident, themes=insights.themes_of(incident),
                         seen=incidents.sight(api_user()))
    body["factors"] = [factor_json(factor) for factor in incident.factors]
    body["counts"] = counts
    body["url"] = browser_url(f"/incidents/{incident.key}")
    return body


def action_item_json(item: ActionItem) -> dict[str, Any]:
    body = action_item_dict(item, today())
    body["incident_title"] = item.incident.title
    if not incidents.may_read(item.incident, api_user()):
        # Its owner sees the item, but not which post-mortem it belongs to.
        body["incident_key"] = body["incident_title"] = None
    body["events"] = [
        {"at": isoformat(event.at), "from": event.from_status, "to": event.to_status,
         "by": event.actor.email if event.actor else None, "note": event.note}
        for event in item.events
    ]
    return body


def revision_json(revision: Revision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "author": revision.author.email if revision.author else None,
        "created_at": isoformat(revision.created_at),
        "summary": revision.summary,
    }
