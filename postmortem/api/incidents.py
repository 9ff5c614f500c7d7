"""/api/v1/incidents: post-mortems, their timeline, factors, workflow and revisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, request

from ..models import Incident, ListView, Role
from ..schemas import (
    ActionItemIn,
    FactorChanges,
    FactorIn,
    ImportOptions,
    IncidentChanges,
    IncidentIn,
    Limit,
    TimelineEventChanges,
    TimelineEventIn,
    TransitionIn,
    View,
    parse,
)
from ..services import action_items, exchange, incidents, insights
from ..services.incidents import event_dict
from .auth import api_user, requires
from .common import json_body, page_args, paged
from .serialise import (
    action_item_json,
    factor_json,
    incident_json,
    incident_summary_json,
    revision_json,
)

bp = Blueprint("incidents", __name__)

@bp.get("/incidents")
def list_incidents() -> Any:
    args = request.args.to_dict()
    if args.get("reviewer") == "me":
        args["reviewer"] = api_user().email
    filters = insights.incident_filters(args)
    if parse(View, {"view": args.get("view")}).view is ListView.FULL:
        return paged(incidents.incidents_query(filters), incident_json, insights.preload_themes)
    counts: dict[int, dict[str, int]] = {}

    def before(rows: list[Incident]) -> None:
        insights.preload_themes(rows)
        counts.update(incidents.row_counts([row.id for row in rows]))

    return paged(incidents.incidents_query(filters, incidents.INCIDENT_HEAD),
                 lambda incident: incident_summary_json(incident, counts[incident.id]), before)


@bp.post("/incidents")
@requires(Role.AUTHOR)
def create_incident() -> Any:
    incident = incidents.create_incident(api_user(), parse(IncidentIn, json_body()))
    return incident_json(incident), 201


@bp.get("/incidents/<key>")
def get_incident(key: str) -> Any:
    return incident_json(incidents.get_incident(key))


@bp.patch("/incidents/<key>")
@requires(Role.AUTHOR)
def update_incident(key: str) -> Any:
    incident = incidents.get_incident(key)
    incidents.update_incident(incident, api_user(), parse(IncidentChanges, json_body()))
    return incident_json(incident)


@bp.delete("/incidents/<key>")
@requires(Role.ADMIN)
def archive_incident(key: str) -> Any:
    incidents.archive_incident(incidents.get_incident(key), api_user())
    return "", 204


@bp.post("/incidents/<key>/restore")
@requires(Role.ADMIN)
def restore_incident(key: str) -> Any:
    incident = incidents.restore_incident(incidents.get_incident(key), api_user())
    return incident_json(incident)


@bp.post("/incidents/<key>/transition")
@requires(Role.AUTHOR)
def transition(key: str) -> Any:
    incident = incidents.get_incident(key)
    data = json_body()
    move = parse(TransitionIn, data)
    incidents.transition_incident(incident, api_user(), move.to or "", move.comment)
    return incident_json(incident)


@bp.get("/incidents/<key>/revisions")
def list_revisions(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False)
    return [revision_json(revision) for revision in incidents.list_revisions(incident)]


@bp.get("/incidents/<key>/revisions/<int:number>")
def get_revision(key: str, number: int) -> Any:
    incident = incidents.get_incident(key, whole=False)
    revision = incidents.get_revision(incident, number)
    body = dict(revision.snapshot)
    body["revision"] = revision_json(revision)
    return body


@bp.post("/incidents/<key>/timeline")
@requires(Role.AUTHOR)
def add_timeline_event(key: str) -> Any:
    incident = incidents.get_incident(key)
    event = incidents.add_event(incident, api_user(), parse(TimelineEventIn, json_body()))
    return event_dict(event), 201


@bp.patch("/incidents/<key>/timeline/<int:event_id>")
@requires(Role.AUTHOR)
def update_timeline_event(key: str, event_id: int) -> Any:
    incident = incidents.get_incident(key)
    event = incidents.update_event(incident, api_user(), event_id,
                                   parse(TimelineEventChanges, json_body()))
    return event_dict(event)


@bp.delete("/incidents/<key>/timeline/<int:event_id>")
@requires(Role.AUTHOR)
def delete_timeline_event(key: str, event_id: int) -> Any:
    incident = incidents.get_incident(key)
    incidents.delete_event(incident, api_user(), event_id)
    return "", 204


@bp.post("/incidents/<key>/factors")
@requires(Role.AUTHOR)
def add_factor(key: str) -> Any:
    incident = incidents.get_incident(key)
    factor = incidents.add_factor(incident, api_user(), parse(FactorIn, json_body()))
    return factor_json(factor), 201


@bp.patch("/incidents/<key>/factors/<int:factor_id>")
@requires(Role.AUTHOR)
def update_factor(key: str, factor_id: int) -> Any:
    incident = incidents.get_incident(key)
    factor = incidents.update_factor(incident, api_user(), factor_id,
                                     parse(FactorChanges, json_body()))
    return factor_json(factor)


@bp.delete("/incidents/<key>/factors/<int:factor_id>")
@requires(Role.AUTHOR)
def delete_factor(key: str, factor_id: int) -> Any:
    incident = incidents.get_incident(key)
    incidents.delete_factor(incident, api_user(), factor_id)
    return "", 204


@bp.post("/incidents/<key>/action-items")
@requires(Role.AUTHOR)
def create_action_item(key: str) -> Any:
    incident = incidents.get_incident(key)
    item = action_items.create_action_item(incident, api_user(), parse(ActionItemIn, json_body()))
    return action_item_json(item), 201


@bp.get("/incidents/<key>/action-items")
def list_incident_action_items(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False)
    return paged(action_items.action_items_query({"incident_id": incident.id}), action_item_json)



@bp.post("/import")
@requires(Role.AUTHOR)
def import_document() -> Any:
    """A Markdown interchange document as the body (text/markdown) → 201 with the new incident
    (and `import_notes`), or 200 with the replaced one for ?into=KEY."""
    options = parse(ImportOptions, request.args.to_dict())
    if request.mimetype not in ("text/markdown", "text/x-markdown", "text/plain"):
        abort(415, description="Send the document with 'Content-Type: text/markdown'.")
    raw = request.get_data(cache=False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, description="The document is not UTF-8 text.")
    if options.into:
        result = exchange.import_into(incidents.get_incident(options.into), text, api_user())
    else:
        result = exchange.import_markdown(text, api_user(),
                                          allow_duplicate=bool(options.allow_duplicate))
    body = incident_json(result.incident)
    body["import_notes"] = result.notes
    return body, 201 if result.created else 200


@bp.get("/incidents/<key>/similar")
def similar_incidents(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False)
    limit = parse(Limit, request.args.to_dict()).limit or 5
    insights.wait_until_fresh(current_app, incident.id)
    return insights.similar_incidents(incident, limit)


@bp.get("/search")
def search() -> Any:
    page, per_page = page_args()
    found, total = insights.search_incidents(request.args.get("q"), page, per_page)
    return {"items": found, "page": page, "per_page": per_page, "total": total}
