"""/api/v1/incidents: post-mortems, their timeline, factors, workflow and revisions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, request

from ..errors import ValidationError
from ..models import Incident, ListView, Role, today
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
from ..services import action_items, exchange, incidents, insights, kept, pages
from ..services.incidents import event_dict
from ..services.transaction import kept_after_commit
from .auth import api_user, requires
from .common import json_body, page_args, paged
from .serialise import (
    action_item_json,
    browser_url,
    factor_json,
    incident_json,
    incident_summary_json,
    revision_json,
)

bp = Blueprint("incidents", __name__)

def _json_shows(reader: Any) -> tuple[Any, ...]:
    """What a post-mortem's JSON shows besides the post-mortem itself (the key of a kept one):
    the day (overdue items), the reader's sight, the people, deployments and catalog it
    names, and the classifier behind its factors' suggested categories."""
    return (today(), incidents.sight(reader), insights.suggestions_stamp(),
            *kept.versions(kept.PEOPLE, kept.DEPLOYMENTS, kept.CATALOG))


@bp.get("/incidents")
def list_incidents() -> Any:
    args = request.args.to_dict()
    if args.get("reviewer") == "me":
        args["reviewer"] = api_user().email
    filters = insights.incident_filters(args)
    if parse(View, {"view": args.get("view")}).view is ListView.FULL:
        return paged(incidents.incidents_query(filters, reader=api_user()), incident_json,
                     insights.preload_themes)
    counts: dict[int, dict[str, int]] = {}

    def before(rows: list[Incident]) -> None:
        insights.preload_themes(rows)
        counts.update(incidents.row_counts([row.id for row in rows]))

    def listed() -> dict[str, Any]:
        found = paged(incidents.incidents_query(filters, incidents.INCIDENT_HEAD, reader=reader),
                      lambda incident: incident_summary_json(incident, counts[incident.id]),
                      before)
        for item in found["items"]:  # the detected ones are put in fresh, below
            item["themes"] = [t for t in item["themes"] if not t["id"].startswith("detected-")]
        return found

    # Kept by what it shows (as the browser's list is): the filters, the page, the total and
    # the ids and stamps of the page's post-mortems, and what any post-mortem's JSON shows.
    # The detected themes (which the insight job moves) and the addresses (this request's
    # scheme and host) are put in fresh.
    reader = api_user()
    page, per_page = page_args()
    total, rows = pages.stamps_of_page(incidents.incidents_query(filters, (), reader=reader),
                                       page, per_page)
    body = kept.keep("api-incident-list", (sorted(args.items()), page, per_page, total, rows,
                                           *_json_shows(reader)), listed)
    ids = [int(item["key"].removeprefix("INC-")) for item in body["items"]]
    detected = insights.detected_themes_of(ids)
    items = [{**item, "themes": item["themes"] + detected[incident_id],
              "url": browser_url(f"/incidents/{item['key']}")}
             for item, incident_id in zip(body["items"], ids, strict=True)]
    return {**body, "items": items}


@bp.post("/incidents")
@requires(Role.AUTHOR)
def create_incident() -> Any:
    incident = incidents.create_incident(api_user(), parse(IncidentIn, json_body()))
    return incident_json(incident), 201


@bp.get("/incidents/<key>")
def get_incident(key: str) -> Any:
    reader = api_user()
    incident = incidents.get_incident(key, whole=False, reader=reader)
    # Kept by what it shows: the post-mortem's own stamp (every write to it or its rows bumps
    # it) and what any post-mortem's JSON shows. Its themes (which the insight job moves) and
    # its address (this request's scheme and host) are put in fresh.
    body = dict(kept.keep("api-incident", (incident.id, incident.stamp, *_json_shows(reader)),
                          lambda: incident_json(incidents.get_incident(key, reader=reader))))
    if incident.restricted:
        g.restricted_shown = True  # web.http_cache: no-store
    body["themes"] = insights.themes_of(incident)
    body["url"] = browser_url(f"/incidents/{incident.key}")
    return body


@bp.patch("/incidents/<key>")
@requires(Role.AUTHOR)
def update_incident(key: str) -> Any:
    # Its own row only: the write locks and reloads it first, and reads what it changes. The
    # answer is drawn from what the write left in the session (as committed, under its lock)
    # rather than read back whole after the commit.
    incident = incidents.get_incident(key, whole=False, reader=api_user())
    with kept_after_commit():
        incidents.update_incident(incident, api_user(), parse(IncidentChanges, json_body()))
        return incident_json(incident)


@bp.delete("/incidents/<key>")
@requires(Role.ADMIN)
def archive_incident(key: str) -> Any:
    incidents.archive_incident(incidents.get_incident(key, reader=api_user()), api_user())
    return "", 204


@bp.post("/incidents/<key>/restore")
@requires(Role.ADMIN)
def restore_incident(key: str) -> Any:
    incident = incidents.restore_incident(incidents.get_incident(key, reader=api_user()), api_user())
    return incident_json(incident)


@bp.post("/incidents/<key>/transition")
@requires(Role.AUTHOR)
def transition(key: str) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    data = json_body()
    move = parse(TransitionIn, data)
    incidents.transition_incident(incident, api_user(), move.to or "", move.comment)
    return incident_json(incident)


@bp.get("/incidents/<key>/revisions")
def list_revisions(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False, reader=api_user())
    return [revision_json(revision) for revision in incidents.list_revisions(incident)]


@bp.get("/incidents/<key>/revisions/<int:number>")
def get_revision(key: str, number: int) -> Any:
    incident = incidents.get_incident(key, whole=False, reader=api_user())
    revision = incidents.get_revision(incident, number)
    body = incidents.snapshot_for(revision, api_user())
    body["revision"] = revision_json(revision)
    return body


@bp.post("/incidents/<key>/timeline")
@requires(Role.AUTHOR)
def add_timeline_event(key: str) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    event = incidents.add_event(incident, api_user(), parse(TimelineEventIn, json_body()))
    return event_dict(event), 201


@bp.patch("/incidents/<key>/timeline/<int:event_id>")
@requires(Role.AUTHOR)
def update_timeline_event(key: str, event_id: int) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    event = incidents.update_event(incident, api_user(), event_id,
                                   parse(TimelineEventChanges, json_body()))
    return event_dict(event)


@bp.delete("/incidents/<key>/timeline/<int:event_id>")
@requires(Role.AUTHOR)
def delete_timeline_event(key: str, event_id: int) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    incidents.delete_event(incident, api_user(), event_id)
    return "", 204


@bp.post("/incidents/<key>/factors")
@requires(Role.AUTHOR)
def add_factor(key: str) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    factor = incidents.add_factor(incident, api_user(), parse(FactorIn, json_body()))
    return factor_json(factor), 201


@bp.patch("/incidents/<key>/factors/<int:factor_id>")
@requires(Role.AUTHOR)
def update_factor(key: str, factor_id: int) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    factor = incidents.update_factor(incident, api_user(), factor_id,
                                     parse(FactorChanges, json_body()))
    return factor_json(factor)


@bp.delete("/incidents/<key>/factors/<int:factor_id>")
@requires(Role.AUTHOR)
def delete_factor(key: str, factor_id: int) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    incidents.delete_factor(incident, api_user(), factor_id)
    return "", 204


@bp.post("/incidents/<key>/action-items")
@requires(Role.AUTHOR)
def create_action_item(key: str) -> Any:
    incident = incidents.get_incident(key, reader=api_user())
    item = action_items.create_action_item(incident, api_user(), parse(ActionItemIn, json_body()))
    return action_item_json(item), 201


@bp.get("/incidents/<key>/action-items")
def list_incident_action_items(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False, reader=api_user())
    return paged(action_items.action_items_query(
        {"incident_id": incident.id, "sight": incidents.sight(api_user())}), action_item_json)



ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


@bp.post("/import")
@requires(Role.AUTHOR)
def import_document() -> Any:
    """One post-mortem as the body: the interchange format, or a document written elsewhere
    (Markdown, HTML, .docx) → 201 with the new incident and `import_notes`; 200 with the
    replaced one for ?into=KEY; 200 with what would be made for ?dry_run=true."""
    options = parse(ImportOptions, request.args.to_dict())
    request.max_content_length = current_app.config["IMPORT_MAX_CONTENT_LENGTH"]
    raw = request.get_data(cache=False)
    kind = exchange.kind_of(request.mimetype, None, raw)
    if kind is None:
        abort(415, description="Send the document as text/markdown, text/html or a .docx "
                               f"({exchange.DOCX}).")
    interchange = False
    if kind == "markdown":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            abort(400, description="The document is not UTF-8 text.")
        interchange = exchange.has_front_matter(text)
    if interchange and not options.dry_run and not options.publish:
        if options.into:
            result = exchange.import_into(incidents.get_incident(options.into, reader=api_user()),
                                          text, api_user())
        else:
            result = exchange.import_markdown(text, api_user(),
                                              allow_duplicate=bool(options.allow_duplicate))
        body = incident_json(result.incident)
        body["import_notes"] = result.notes
        return body, 201 if result.created else 200
    if options.into:
        raise ValidationError("?into= replaces a post-mortem from an interchange document "
                              "(with front matter) only.", fields={"into": [
                                  "needs a document with front matter"]})
    outcome = exchange.import_upload(raw, kind, api_user(), publish=bool(options.publish),
                                     allow_duplicate=bool(options.allow_duplicate),
                                     dry_run=bool(options.dry_run), render=incident_json)
    if options.dry_run:
        body = dict(outcome.preview or {})
        for name in ("key", "url"):
            body.pop(name, None)
        body["import_notes"] = outcome.notes
        body["duplicate_of"] = outcome.duplicate
        return body, 200
    assert outcome.incident is not None
    body = incident_json(outcome.incident)
    body["import_notes"] = outcome.notes
    return body, 201


@bp.post("/import/batch")
@requires(Role.AUTHOR)
def import_batch() -> Any:
    """A zip of post-mortems (.md, .html, .docx, in folders), each imported or refused on its
    own → 200 {"imported", "duplicates", "failed"}."""
    options = parse(ImportOptions, request.args.to_dict())
    if request.mimetype not in ZIP_TYPES and not request.mimetype.startswith("multipart/"):
        abort(415, description="Send the archive with 'Content-Type: application/zip'.")
    request.max_content_length = current_app.config["IMPORT_BATCH_MAX_CONTENT_LENGTH"]
    if request.mimetype.startswith("multipart/"):
        upload = request.files.get("file")
        raw = upload.read() if upload is not None else b""
    else:
        raw = request.get_data(cache=False)
    files = exchange.zip_members(raw)
    result = exchange.import_batch(files, api_user(), publish=bool(options.publish),
                                   allow_duplicate=bool(options.allow_duplicate),
                                   dry_run=bool(options.dry_run))
    return result.as_dict(), 200


@bp.get("/incidents/<key>/similar")
def similar_incidents(key: str) -> Any:
    incident = incidents.get_incident(key, whole=False, reader=api_user())
    limit = parse(Limit, request.args.to_dict()).limit or 5
    insights.wait_until_fresh(current_app, incident.id)
    return insights.similar_incidents(incident, limit, reader=api_user())


@bp.get("/search")
def search() -> Any:
    page, per_page = page_args()
    found, total = insights.search_incidents(request.args.get("q"), page, per_page,
                                            reader=api_user())
    return {"items": found, "page": page, "per_page": per_page, "total": total}
