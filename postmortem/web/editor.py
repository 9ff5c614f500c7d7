"""The post-mortem editor: one page for the whole document, with autosave and conflict merging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..auth import role_required
from ..errors import DomainError, Frozen, NotFound, StaleRow, StaleVersion, ValidationError
from ..handlers import error_body
from ..markup import render_markdown
from ..models import (
    ActionKind,
    Incident,
    Priority,
    Revision,
    Role,
    Severity,
    TimelineKind,
    today,
)
from ..schemas import (
    ActionItemIn,
    FactorChanges,
    FactorIn,
    IncidentChanges,
    LinkIn,
    TimelineEventChanges,
    TimelineEventIn,
    parse,
)
from ..services import accounts, action_items, deployments, incidents, insights, setup
from ..services.transaction import kept_after_commit
from ..timeutil import humanize_duration
from . import editor_state
from .helpers import preferences
from .incidents import load_incident
from .timezones import TIMEZONES, local_input_to_iso, parse_clock, zone

bp = Blueprint("editor", __name__, url_prefix="/incidents")

MAX_PREVIEW = 200_000
# Factors and action items show each other: a change to one redraws, out of band, only what
# the other shows of it (never a form someone may be typing or clicking in).
OOB_PARTNERS = {"factors_editor": ("actions_editor_oob",), "actions_editor": ("factors_editor_oob",)}


def current_tz() -> str:
    """The zone the editor shows times in: the form's choice, remembered in the session;
    at first the person's own (Your account)."""
    tz = request.values.get("timezone") or session.get("timezone") or preferences().time_zone
    try:
        zone(tz)
    except ValueError:
        tz = "UTC"
    session["timezone"] = tz
    return tz


def base_revision(incident: Incident, version: int | None) -> Revision | None:
    """The newest revision whose snapshot is the given version: what the writer started from."""
    if version is None:
        return None
    return incidents.revision_of_version(incident, version)


def editor_context(incident: Incident, tz: str, **extra: Any) -> dict[str, Any]:
    return {
        "incident": incident,
        "values": extra.pop("values", None) or editor_state.incident_values(incident, tz),
        "version": extra.pop("version", incident.version),
        "errors": extra.pop("errors", {}),
        "conflict": extra.pop("conflict", None),
        "tz": tz,
        "timezones": TIMEZONES,
        "severities": list(Severity),
        "timeline_kinds": list(TimelineKind),
        "action_kinds": list(ActionKind),
        "priorities": list(Priority),
        "categories": setup.list_categories(),
        "suggest_category": insights.suggested_category,
        "users": accounts.list_active_users(),
        "owners": accounts.list_owners(),
        "findings": incidents.check_incident(incident),
        "checklist": incidents.checklist(incident),
        "changes_requested": incidents.changes_requested(incident),
        "incident_days": incident_days(incident, tz),
        "day_span": timedelta(days=1),
        "today": today(),
        "row": extra.pop("row", {}),
        "deploy_matches": deployments.deploy_events_matched(incident),
        **deployment_choices(incident, extra.pop("find_query", None)),
        "suggestion_hours": deployments.SUGGEST_HOURS_BEFORE,
        "suggestion_hours_after": deployments.SUGGEST_HOURS_AFTER,
        **extra,
    }


def deployment_choices(incident: Incident, query: str | None = None) -> dict[str, Any]:
    """Deployments offered for linking: those around the start, and those a search found; with
    the ones that were running when it started (never offered as the rollback target)."""
    suggestions = deployments.suggested_deployments(
        incident, deployments.SUGGEST_HOURS_BEFORE, deployments.SUGGEST_HOURS_AFTER)
    found = deployments.find_deployments(query) if query else []
    return {"suggestions": suggestions, "found": found, "find_query": query,
            "running_ids": deployments.last_before_start(incident, suggestions + found)}


def render_editor(incident: Incident, tz: str, status: int = 200, **extra: Any) -> Any:
    return render_template("incidents/edit.html", **editor_context(incident, tz, **extra)), status


@bp.route("/<key>/edit", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def edit(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    tz = current_tz()
    if incident.is_published and request.method == "GET":
        flash(f"{incident.key} is published and frozen. A reviewer can reopen it for edits.", "info")
        return redirect(url_for("incidents.show", key=incident.key))
    if request.method == "GET":
        return render_editor(incident, tz)

    outcome = _save_form(incident, tz)
    if outcome.frozen is not None:
        flash(outcome.frozen.message, "error")
        return redirect(url_for("incidents.show", key=incident.key))
    if outcome.merge is not None:
        return render_editor(incident, tz, 409, values=outcome.merge["merged"],
                             version=incident.version, conflict=outcome.merge["fields"])
    if outcome.errors is not None:
        return render_editor(incident, tz, 422, values=outcome.values, errors=outcome.errors,
                             version=outcome.version)
    flash("Saved.", "success")
    return redirect(url_for("editor.edit", key=incident.key))


@dataclass
class SaveOutcome:
    """What became of one save of the editor's form (both the page and autosave use it)."""

    values: dict[str, str]
    version: int | None
    errors: dict[str, list[str]] | None = None  # invalid fields: nothing saved
    merge: dict[str, Any] | None = None  # stale version: the three-way comparison
    stale: StaleVersion | None = None
    frozen: Frozen | None = None


def _save_form(incident: Incident, tz: str) -> SaveOutcome:
    """Save the posted editor form against the version it was loaded at."""
    values = editor_state.form_values(request.form, incident)
    outcome = SaveOutcome(values, request.form.get("version", type=int))
    data, errors = editor_state.values_to_data(values, tz, incident)
    if errors:
        outcome.errors = errors
        return outcome
    try:
        changes = parse(IncidentChanges, {**data, "version": outcome.version})
        incidents.update_incident(incident, current_user, changes)
    except StaleVersion as error:
        outcome.stale = error
        outcome.merge = editor_state.three_way(
            incident, values, base_revision(incident, outcome.version), tz)
    except Frozen as error:
        outcome.frozen = error
    except ValidationError as error:
        outcome.errors = error.fields or {"title": [error.message]}
    return outcome


@bp.post("/<key>/autosave")
@role_required(Role.AUTHOR)
def autosave(key: str) -> Any:
    """The editor's background save: JSON in the API's error shape, plus what the page redraws."""
    incident = load_incident(key, Role.AUTHOR, whole=False)
    with kept_after_commit():
        outcome = _save_form(incident, current_tz())
        if (outcome.errors, outcome.stale, outcome.frozen, outcome.merge) == (None,) * 4:
            return jsonify(_saved_state(incident))
    if outcome.frozen is not None:
        return _json_error(409, outcome.frozen.message, None, frozen=True)
    if outcome.merge is not None and outcome.stale is not None:
        latest = incidents.latest_revision(incident)
        body = error_body(409, outcome.stale.message, None, current_version=incident.version)
        body["conflict"] = {
            "current_version": incident.version,
            "fields": outcome.merge["fields"],
            "by": latest.author.name if latest and latest.author else None,
            "summary": latest.summary if latest else None,
        }
        body["html"] = render_template(
            "_partials/editor_conflict.html", live=True, conflict=outcome.merge["fields"],
            conflict_by=body["conflict"]["by"], conflict_summary=body["conflict"]["summary"],
            conflict_version=incident.version)
        return jsonify(body), 409
    if outcome.errors is not None:
        return _json_error(422, "Some fields are invalid.", outcome.errors)
    return jsonify(_saved_state(incident))


def _saved_state(incident: Incident) -> dict[str, Any]:
    metrics = incident.metrics()
    findings = incidents.check_incident(incident)
    checklist = incidents.checklist(incident)
    return {
        "version": incident.version,
        "saved_at": incident.updated_at.isoformat(),
        "metrics": {name: humanize_duration(value) for name, value in metrics.items()},
        "findings": findings,
        "checklist": checklist,
        "html": sidebar_fragments(incident, findings, checklist),
    }


def sidebar_fragments(incident: Incident, findings: list[dict[str, str]],
                      checklist: list[str]) -> str:
    """The checklist, the findings card and each section's findings, rendered for out-of-band
    swaps: what the editor redraws after every save and row change."""
    html = render_template("_partials/editor_checklist.html", oob=True, checklist=checklist)
    html += render_template("_partials/editor_findings.html", oob=True, findings=findings)
    for section in incident.sections:
        html += render_template(
            "_partials/section_findings.html", oob=True, section_key=section.key,
            section_findings=[f for f in findings if f["section"] == section.key])
    return html


def _json_error(status: int, message: str, fields: dict | None, **extra: Any) -> Any:
    response = jsonify(error_body(status, message, fields, **extra))
    response.status_code = status
    return response


@bp.post("/preview")
@role_required(Role.AUTHOR)
def preview() -> Any:
    """Render Markdown as the read view will, with blameless findings for it."""
    text = request.form.get("markdown", "")[:MAX_PREVIEW]
    where = request.form.get("section", "section")[:50]
    findings = incidents.check_text(text, where)
    return jsonify({"html": render_markdown(text), "findings": findings,
                    "findings_html": render_template(
                        "_partials/section_findings.html", oob=True, section_key=where,
                        section_findings=findings)})


def _partial_or_page(incident: Incident, partial: str, anchor: str, **state: Any) -> Any:
    """htmx asks for the fragment; a plain form post gets the whole editor (or a redirect)."""
    tz = current_tz()
    if request.headers.get("HX-Request"):
        context = editor_context(incident, tz, **state)
        html = render_template(f"_partials/{partial}.html", **context)
        for other in OOB_PARTNERS.get(partial, ()):
            html += render_template(f"_partials/{other}.html", oob=True, **context)
        # The checklist and the blameless hints follow every row change.
        return html + sidebar_fragments(incident, context["findings"], context["checklist"])
    if state.get("row", {}).get("errors"):
        return render_editor(incident, tz, 422, **state)
    return redirect(url_for("editor.edit", key=incident.key) + f"#{anchor}")


def _row_state(kind: str, form: Any, error: DomainError) -> dict[str, Any]:
    return {"row": {"kind": kind, "data": form.to_dict(), "id": form.get("id"),
                    "errors": error.fields or {"_": [error.message]}}}


def _frozen_redirect(incident: Incident, error: Frozen) -> Any:
    flash(error.message, "error")
    if request.headers.get("HX-Request"):
        response = jsonify({})
        response.headers["HX-Redirect"] = url_for("incidents.show", key=incident.key)
        return response
    return redirect(url_for("incidents.show", key=incident.key))


def _event_data(tz: str) -> dict[str, Any]:
    """A timeline row from the form: a full local date and time (`at`), or a day and a time
    (`day` + `time`, as the quick-entry row sends them; 24-hour or with AM/PM), in the
    editor's time zone."""
    data = {"kind": request.form.get("kind"), "text": request.form.get("text")}
    local = request.form.get("at")
    if request.form.get("time") is not None:
        try:
            hour, minute = parse_clock(request.form.get("time", "")[:20])
        except ValueError as error:
            raise ValidationError("Invalid time.", fields={"at": [str(error)]}) from None
        local = f"{request.form.get('day', '')[:10]}T{hour:02d}:{minute:02d}"
    try:
        data["at"] = local_input_to_iso(local, tz)
    except ValueError as error:
        raise ValidationError("Invalid time.", fields={"at": [str(error)]}) from None
    return data


def incident_days(incident: Incident, tz: str) -> list[str]:
    """The local days from the incident's start to its resolution (or the day after the start),
    for the quick-entry row's day picker: 'YYYY-MM-DD', first day first, at most two weeks."""
    zone_info = zone(tz)
    start = incident.started_at.astimezone(zone_info).date()
    end_at = incident.resolved_at or (incident.started_at + timedelta(days=1))
    end = max(end_at.astimezone(zone_info).date(), start)
    return [(start + timedelta(days=n)).isoformat() for n in range(min((end - start).days, 13) + 1)]


def _row_edit(incident: Incident, partial: str, anchor: str, row_kind: str,
              change: Callable[[], object]) -> Any:
    """Run one edit of a row (timeline event, factor, link) and answer with its section:
    a fragment for htmx, the page (with the row's error) or a redirect otherwise.

    Nothing the person typed is lost: an edit made against an old version of the row comes
    back beside the row as it is now (keep mine, or use theirs), and an edit of a row someone
    removed meanwhile comes back with an offer to add it again."""
    if request.form.get("discard"):
        return _partial_or_page(incident, partial, anchor)  # "use theirs": show the row as saved
    try:
        change()
    except Frozen as error:
        return _frozen_redirect(incident, error)
    except StaleRow:
        return _partial_or_page(incident, partial, anchor, row={
            "kind": row_kind, "data": request.form.to_dict(), "stale": True, "errors": {}})
    except ValidationError as error:
        return _partial_or_page(incident, partial, anchor,
                                **_row_state(row_kind, request.form, error))
    except NotFound:
        if request.form.get("delete"):
            return _partial_or_page(incident, partial, anchor)  # already gone: nothing to do
        return _partial_or_page(incident, partial, anchor, row={
            "kind": row_kind, "data": request.form.to_dict(), "gone": True, "errors": {}})
    return _partial_or_page(incident, partial, anchor)


def _factor_data() -> dict[str, Any]:
    # "Use this category" (a suggested category, one click) is a submit button of the row.
    category = request.form.get("use_category") or request.form.get("category") or None
    return {"text": request.form.get("text"), "category": category}


@bp.post("/<key>/timeline")
@role_required(Role.AUTHOR)
def timeline_add(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    return _row_edit(incident, "timeline_editor", "timeline", "timeline-new",
                     lambda: incidents.add_event(
                         incident, current_user, parse(TimelineEventIn, _event_data(current_tz()))))


@bp.post("/<key>/timeline/propose")
@role_required(Role.AUTHOR)
def timeline_propose(key: str) -> Any:
    """Proposed events from a pasted chat transcript, for the author to accept, edit or drop."""
    incident = load_incident(key, Role.AUTHOR)
    tz = current_tz()
    proposals = incidents.propose_events(request.form.get("transcript", ""), incident, tz)
    if request.headers.get("HX-Request"):
        return render_template("_partials/timeline_proposals.html", incident=incident,
                               proposals=proposals, tz=tz, timeline_kinds=list(TimelineKind))
    return render_editor(incident, tz, proposals=proposals)


@bp.post("/<key>/timeline/accept")
@role_required(Role.AUTHOR)
def timeline_accept(key: str) -> Any:
    """Add the accepted proposals (each may have been edited) as timeline events."""
    incident = load_incident(key, Role.AUTHOR)
    tz = current_tz()
    form = request.form
    events = []
    for index in form.getlist("accept"):
        data = {"kind": form.get(f"kind-{index}"), "text": form.get(f"text-{index}")}
        try:
            data["at"] = local_input_to_iso(form.get(f"at-{index}"), tz)
        except ValueError as error:
            raise ValidationError("Invalid time.", fields={"at": [str(error)]}) from None
        events.append(parse(TimelineEventIn, data))
    return _row_edit(incident, "timeline_editor", "timeline", "timeline-new",
                     lambda: incidents.add_events(incident, current_user, events))


@bp.post("/<key>/timeline/<int:event_id>")
@role_required(Role.AUTHOR)
def timeline_update(key: str, event_id: int) -> Any:
    incident = load_incident(key, Role.AUTHOR)

    def change() -> object:
        if request.form.get("delete"):
            incidents.delete_event(incident, current_user, event_id)
            return None
        data = {**_event_data(current_tz()), "version": request.form.get("version")}
        return incidents.update_event(incident, current_user, event_id,
                                      parse(TimelineEventChanges, data))

    return _row_edit(incident, "timeline_editor", "timeline", f"timeline-{event_id}", change)


@bp.post("/<key>/factors")
@role_required(Role.AUTHOR)
def factor_add(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    return _row_edit(incident, "factors_editor", "factors", "factor-new",
                     lambda: incidents.add_factor(incident, current_user, parse(FactorIn, _factor_data())))


@bp.post("/<key>/factors/<int:factor_id>")
@role_required(Role.AUTHOR)
def factor_update(key: str, factor_id: int) -> Any:
    incident = load_incident(key, Role.AUTHOR)

    def change() -> object:
        if request.form.get("delete"):
            incidents.delete_factor(incident, current_user, factor_id)
            return None
        data = {**_factor_data(), "version": request.form.get("version")}
        return incidents.update_factor(incident, current_user, factor_id,
                                       parse(FactorChanges, data))

    return _row_edit(incident, "factors_editor", "factors", f"factor-{factor_id}", change)


@bp.post("/<key>/action-items")
@role_required(Role.AUTHOR)
def action_item_add(key: str) -> Any:

    incident = load_incident(key, Role.AUTHOR)
    form = request.form
    data = {name: form.get(name) or None for name in (
        "title", "kind", "owner", "team", "priority", "due_date", "factor_id", "verification",
        "external_url", "description")}
    if data["factor_id"] is None:
        data.pop("factor_id")
    try:
        action_items.create_action_item(incident, current_user, parse(ActionItemIn, data))
    except ValidationError as error:
        return _partial_or_page(incident, "actions_editor", "action-items",
                                **_row_state("action-new", form, error))
    return _partial_or_page(incident, "actions_editor", "action-items")




@bp.get("/<key>/deployments")
@role_required(Role.AUTHOR)
def deployments_partial(key: str) -> Any:
    """The editor's deployments section alone (redrawn when the incident's services change)."""
    incident = load_incident(key, Role.AUTHOR)
    return render_template("_partials/deployments_editor.html",
                           **editor_context(incident, current_tz()))


@bp.get("/<key>/deployments/find")
@role_required(Role.AUTHOR)
def deployments_find(key: str) -> Any:
    """Any deployment of any service, by version, artifact, digest prefix, commit or service:
    for linking one outside the suggestion window."""
    incident = load_incident(key, Role.AUTHOR)
    query = request.args.get("q", "").strip()[:200]
    if request.headers.get("HX-Request"):
        return render_template("_partials/deployment_results.html", incident=incident,
                               **deployment_choices(incident, query))
    return render_editor(incident, current_tz(), find_query=query)


@bp.get("/<key>/similar")
@role_required(Role.AUTHOR)
def similar_partial(key: str) -> Any:
    """The editor's "similar post-mortems" panel: what the insight job last found for this
    one (it runs a moment after each save), with why each is similar."""
    incident = load_incident(key, Role.AUTHOR)
    return render_template("_partials/editor_similar.html", incident=incident,
                           similar=insights.similar_incidents(incident, 5, reader=current_user))


@bp.post("/<key>/deployments")
@role_required(Role.AUTHOR)
def deployment_link(key: str) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    data = {"deployment_id": request.form.get("deployment_id"),
            "role": request.form.get("role") or "suspected"}
    return _row_edit(incident, "deployments_editor", "deployments", "deployment",
                     lambda: incidents.link_deployment(incident, current_user, parse(LinkIn, data)))


@bp.post("/<key>/deployments/<int:deployment_id>/unlink")
@role_required(Role.AUTHOR)
def deployment_unlink(key: str, deployment_id: int) -> Any:
    incident = load_incident(key, Role.AUTHOR)
    return _row_edit(incident, "deployments_editor", "deployments", "deployment",
                     lambda: incidents.unlink_deployment(incident, current_user, deployment_id))
