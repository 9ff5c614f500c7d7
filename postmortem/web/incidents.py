"""Post-mortems in the browser: the list with filters, creating one, and the read view."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ..auth import role_required
from ..errors import DomainError, NotFound, ValidationError
from ..models import Incident, IncidentStatus, Role, Severity, today
from ..schemas import IncidentChanges, IncidentIn, parse
from ..services import accounts, deployments, incidents, insights, kept, pages, setup
from .helpers import display_key, kept_rendering
from .labels import SEVERITY_DESCRIPTIONS
from .timezones import TIMEZONES, local_input_to_iso

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
# Stands for the similar list in a kept read view. Text is escaped and Markdown sanitised, so
# nothing a person writes can contain it.
SIMILAR_MARK = "<!--similar-post-mortems-->"
PER_PAGE = 25
SEARCH_PER_PAGE = 20


def load_incident(key: str, role: Role = Role.VIEWER, whole: bool = True) -> Incident:
    """The incident with this key, or 404 (also when it is restricted from the current user);
    403 unless the current user holds `role`. Without `whole`, only its own row is read (for
    requests that need no more)."""
    try:
        incident = incidents.get_incident(key, whole=whole, reader=current_user)
    except NotFound:
        abort(404)
    if not current_user.can(role):
        abort(403)
    if incident.restricted:
        g.restricted_shown = True  # web.http_cache: no-store
    return incident


@bp.get("")
@login_required
def index() -> Any:
    args = {k: v for k, v in request.args.items() if k != "page"}
    if args.get("reviewer") == "me":
        args["reviewer"] = current_user.email
    try:
        filters = insights.incident_filters(args)
        error = None
    except ValidationError as exc:
        filters, error = {}, exc
    page_number = request.args.get("page", 1, type=int) or 1

    def body() -> str:
        page = pages.page_of(incidents.incidents_query(filters, incidents.LIST_ROW,
                                                       reader=current_user), page_number, PER_PAGE)
        return render_template(
            "incidents/_index_body.html", page=page, filters=filters, args=request.args,
            error=error, services=deployments.service_names(), severities=list(Severity),
            statuses=list(IncidentStatus))

    # Kept by what it shows (key-based expiration): the query's arguments, the total and the
    # ids and stamps of the page's post-mortems, read from their own columns; the reader's
    # sight, role, clock and zone; and the version of the services the filter offers and the
    # rows name. Saving one post-mortem renews only the pages that show it.
    total, rows = pages.stamps_of_page(incidents.incidents_query(filters, (), reader=current_user),
                                       page_number, PER_PAGE)
    content = kept.keep("incident-list", (
        sorted(request.args.items(multi=True)), total, rows, incidents.sight(current_user),
        current_user.can(Role.AUTHOR), *display_key(), *kept.versions(kept.DEPLOYMENTS)), body)
    return render_template("incidents/index.html", body=Markup(content))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.AUTHOR)
def new() -> Any:
    form = request.form
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = {
            "title": form.get("title"),
            "severity": form.get("severity"),
            "template": form.get("template") or "standard",
            "services": form.get("services", ""),
            "tags": form.get("tags", ""),
            "commander": current_user.email,
        }
        tz = form.get("timezone") or "UTC"
        try:
            data["started_at"] = local_input_to_iso(form.get("started_at"), tz)
        except ValueError as exc:
            errors["started_at"] = [str(exc)]
        if not errors:
            try:
                incident = incidents.create_incident(current_user, parse(IncidentIn, data))
            except DomainError as exc:
                errors = exc.fields or {"title": [exc.message]}
            else:
                flash(f"{incident.key} created from the {incident.template_key} template.", "success")
                return redirect(url_for("editor.edit", key=incident.key))
    return render_template(
        "incidents/new.html", form=form, errors=errors, templates=setup.list_templates(),
        severities=list(Severity), severity_labels=SEVERITY_DESCRIPTIONS, timezones=TIMEZONES,
    ), (422 if errors else 200)


@bp.get("/<key>")
@login_required
def show(key: str) -> Any:
    incident = load_incident(key, whole=False)
    can_edit = current_user.can(Role.AUTHOR)

    def body() -> str:
        whole = incidents.get_incident(key, reader=current_user)
        return render_template(
            "incidents/_show_body.html",
            incident=whole,
            can_edit=can_edit,
            today=today(),
            findings=incidents.findings_of(whole),
            checklist=incidents.checklist(whole),
            categories={c.key: c for c in setup.list_categories(include_inactive=True)},
            timeline_entries=deployments.incident_timeline(whole),
            similar_html=Markup(SIMILAR_MARK),
        )

    # The document is the same for everyone who may (or may not) edit it: kept by the
    # post-mortem's own stamp (bumped by every write to it), the day, and the versions of the
    # people, deployments and taxonomy it shows, and by the restricted post-mortems the reader
    # may read (a deployment it links may name others). The similar list, which names other
    # post-mortems, is drawn fresh for each view.
    page = kept.keep("read-view", (incident.id, incident.stamp, can_edit, today(),
                                   incidents.sight(current_user),
                                   *display_key(), *kept.versions(
                                       kept.PEOPLE, kept.DEPLOYMENTS, kept.CATALOG)), body)
    # The similar list names other post-mortems: kept by their ids, scores, titles and stamps
    # as the reader may see them now, this one's stamp (its services and deployments) and the
    # deployments' version (artifact versions they share).
    rows = insights.similar_rows(incident, 5, reader=current_user)
    similar = kept.keep("similar", (incident.id, incident.stamp, [list(row) for row in rows],
                                    *kept.versions(kept.DEPLOYMENTS)), lambda: render_template(
        "incidents/_similar.html", similar=insights.similar_from_rows(incident, rows)))
    # Who may read it, and archiving: for authors and admins, kept by what they show (the
    # post-mortem's stamp and version, the people one may name, the reader's role).
    tools = Markup("")
    if can_edit:
        tools = kept_rendering(
            "read-view-tools", (incident.id, incident.stamp, incident.version,
                                str(current_user.role), *kept.versions(kept.PEOPLE)),
            "incidents/_tools.html",
            lambda: {"incident": incident, "people": accounts.list_active_users()})
    return render_template("incidents/show.html", incident=incident, tools=tools,
                           body=Markup(page.replace(SIMILAR_MARK, similar, 1)))


@bp.post("/<key>/access")
@role_required(Role.AUTHOR)
def access(key: str) -> Any:
    """Restrict the post-mortem, open it again, or change its readers (also once published)."""
    incident = load_incident(key, Role.AUTHOR)
    data = {"version": request.form.get("version") or None,
            "restricted": bool(request.form.get("restricted")),
            "readers": request.form.get("readers", "")}
    try:
        incidents.update_incident(incident, current_user, parse(IncidentChanges, data))
    except DomainError as error:
        problems = "; ".join(f"{name}: {', '.join(found)}"
                             for name, found in (error.fields or {}).items())
        flash(f"{error.message} {problems}".strip(), "error")
    else:
        flash("Who may read it is saved." if incident.restricted
              else f"{incident.key} is open to everyone.", "success")
    if not incidents.may_read(incident, current_user):
        return redirect(url_for("incidents.index"))
    return redirect(url_for("incidents.show", key=incident.key))


@bp.get("/search")
@login_required
def search() -> Any:
    query = request.args.get("q", "")
    page_number = max(1, min(request.args.get("page", 1, type=int) or 1, 500))
    results: list[dict[str, Any]] = []
    total, error = 0, None
    if query.strip():
        try:
            results, total = insights.search_incidents(query, page_number, SEARCH_PER_PAGE,
                                                      reader=current_user)
        except ValidationError as exc:
            error = exc
    return render_template("incidents/search.html", query=query, results=results, error=error,
                           total=total, page=page_number, per_page=SEARCH_PER_PAGE)
