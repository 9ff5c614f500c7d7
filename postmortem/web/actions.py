"""The retro board: every action item across post-mortems, filtered, grouped and updated."""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from ..auth import is_safe_next, role_required
from ..errors import NotFound, StaleRow, ValidationError
from ..models import ActionItem, ActionKind, ActionStatus, Priority, Role, today
from ..models.enums import UNFINISHED
from ..schemas import ActionItemChanges, parse
from ..services import accounts, action_items, incidents, insights, kept
from ..services.kept import keep
from .helpers import display_key, kept_rendering
from .labels import field_label, label

bp = Blueprint("actions", __name__)
BOARD_PER_PAGE = 50
PRESENT_LIMIT = 30  # items of one group on the projector; the rest are counted
PRESENT_PER_PAGE = 5  # what fits a 1080p screen in the presentation's type
GROUPINGS = {"team": "Team", "owner": "Owner", "incident": "Incident", "": "No grouping"}
CSV_COLUMNS = ("Incident", "Incident title", "Action item", "Kind", "Priority", "Status",
               "Owner", "Owner email", "Team", "Due", "Overdue", "Created", "Done",
               "Reviewed in retro", "Verification", "Resolution note", "Link", "Incident link",
               "Id")


def _filters() -> tuple[dict[str, Any], ValidationError | None]:
    """The board's filters from the query string; unfinished items unless a status is chosen
    ('all' shows every status)."""
    args = {k: v for k, v in request.args.items() if k not in ("group", "page")}
    if args.get("overdue") in ("", "0", "false"):
        args.pop("overdue")
    if "status" not in args:
        args["status"] = ",".join(UNFINISHED)
    elif args["status"] in ("", "all"):
        args.pop("status")
    try:
        return action_items.parse_action_item_filters(args, reader=current_user), None
    except ValidationError as error:
        return {}, error


def _group(items: list[ActionItem], by: str) -> OrderedDict[str, list[ActionItem]]:
    """The page's items under their group labels, in the order the database gave them."""
    groups: OrderedDict[str, list[ActionItem]] = OrderedDict()
    for item in items:
        groups.setdefault(_label(item, by), []).append(item)
    return groups


def _label(item: ActionItem, by: str) -> str:
    if by == "team":
        return item.team or "No team"
    if by == "owner":
        return item.owner.name if item.owner else "No owner"
    if by == "incident":
        return f"{item.incident.key} · {item.incident.title}"
    return ""


def _group_by() -> str:
    group = request.args.get("group", "team")
    return group if group in GROUPINGS else "team"


def _group_totals(filters: dict[str, Any], group: str) -> dict[str, int]:
    """{group label: items in the whole group}, for the headers of a group split over pages."""
    labels = {"team": lambda v: v or "No team", "owner": lambda v: v or "No owner"}
    if group not in labels:
        return {}
    return {labels[group](value): count
            for value, count in action_items.group_counts(filters, group)}


def _charts(figures: dict[str, Any]) -> dict[str, str]:
    """The board's two charts as SVG, kept by the figures they draw."""
    progress, overdue = figures["progress"], figures["overdue_by_team"]

    def draw() -> dict[str, str]:
        # Drawn at about the size they are shown, so labels stay legible on a projector.
        return {
            "progress_chart": insights.line_chart(
                progress["labels"], {"Open": progress["open"], "Done": progress["done"]},
                width=560, height=320),
            "overdue_chart": insights.bar_chart(
                list(overdue)[:15], {"Overdue": list(overdue.values())[:15]}, horizontal=True,
                width=560, height=max(240, 44 * min(len(overdue), 15) + 100)),
        }

    return keep("board-charts", (progress, overdue), draw)


def _board_context(**extra: Any) -> dict[str, Any]:
    filters, error = _filters()
    group = _group_by()
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    # The headline and the charts count every status of the items the other filters select:
    # under the default "Not finished" view, done items are what the completion rate is about.
    counted = {**filters, "status": None, "overdue": None} if filters else filters
    figures = action_items.board_figures(counted)
    page = action_items.board_page(filters, group, page_number, BOARD_PER_PAGE)
    items = list(page.items)
    return {
        "items": items, "groups": _group(items, group), "group": group, "groupings": GROUPINGS,
        "group_totals": _group_totals(filters, group), "page": page,
        "args": request.args, "error": error, "today": today(),
        "stats": figures["stats"], "shown_total": page.total,
        "status_filtered": bool(filters.get("status") or filters.get("overdue")),
        "statuses": list(ActionStatus), "kinds": list(ActionKind), "priorities": list(Priority),
        "teams": action_items.teams(),
        "owners": accounts.list_owners(),
        **_charts(figures),
        **extra,
    }


@bp.get("/action-items")
@login_required
def board() -> Any:
    filters, _ = _filters()
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    ids = action_items.board_page_ids(filters, _group_by(), page_number, BOARD_PER_PAGE)["ids"]
    # Kept by what it shows: the address (filters, grouping, page), the day, the versions of
    # the action items and people, the stamps of the post-mortems the page's rows name, and
    # the reader's role, sight, clock and zone.
    body = kept_rendering("board-body", (
        request.full_path, today(), *kept.versions(kept.ACTION_ITEMS, kept.PEOPLE),
        action_items.stamps_of_items(ids), current_user.role, incidents.sight(current_user),
        *display_key()), "actions/_board_body.html", _board_context)
    return render_template("actions/board.html", body=body)


@bp.get("/action-items/present")
@login_required
def present() -> Any:
    """The board for a retro on a projector, full screen: one team (or incident, or owner) at a
    time, PRESENT_PER_PAGE items to a page in large type; ← and → (or the links) page through,
    ↑ and ↓ pick an item, and keys set its status or mark it reviewed."""
    filters, error = _filters()
    group = request.args.get("group", "team")
    if group not in GROUPINGS or not group:
        group = "team"
    groups = action_items.group_counts(filters, group)
    step = min(max(request.args.get("step", 1, type=int) or 1, 1), max(len(groups), 1))

    def pages_of(index: int) -> int:
        shown = min(groups[index][1], PRESENT_LIMIT)
        return max(1, -(-shown // PRESENT_PER_PAGE))

    pages = pages_of(step - 1) if groups else 1
    part = min(max(request.args.get("part", 1, type=int) or 1, 1), pages)
    shown = (action_items.group_items(filters, group, groups[step - 1][0], PRESENT_LIMIT)
             if groups else [])
    items = shown[(part - 1) * PRESENT_PER_PAGE:part * PRESENT_PER_PAGE]
    label = _label(shown[0], group) if shown else ""
    more = groups[step - 1][1] - len(shown) if groups else 0
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("step", "part")}
    previous: dict[str, Any] | None = (
        {"step": step, "part": part - 1} if part > 1 else
        {"step": step - 1, "part": pages_of(step - 2)} if step > 1 else None)
    following: dict[str, Any] | None = (
        {"step": step, "part": part + 1} if part < pages else
        {"step": step + 1, "part": 1} if step < len(groups) else None)
    previous_url = url_for("actions.present", **{**args, **previous}) if previous else None
    following_url = url_for("actions.present", **{**args, **following}) if following else None
    return render_template("actions/present.html", label=label, items=items, step=step, more=more,
                           steps=len(groups), group=group, groupings=GROUPINGS, args=args,
                           part=part, pages=pages, previous_url=previous_url,
                           following_url=following_url,
                           group_total=groups[step - 1][1] if groups else 0,
                           statuses=list(ActionStatus), error=error, today=today())


@bp.get("/action-items/mine")
@login_required
def mine() -> Any:
    """My items: the unfinished ones by default (?all=1 shows the finished too), with counts
    that match the rows and the board's bulk actions."""
    show_all = bool(request.args.get("all"))
    mine = action_items.own_filters(current_user)
    counts = action_items.cached_stats(mine)
    unfinished = sum(counts[status] for status in UNFINISHED)
    filters = mine if show_all else {**mine, "status": list(UNFINISHED)}
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    page = action_items.board_page(filters, "", page_number, BOARD_PER_PAGE)
    return render_template("actions/mine.html", items=list(page.items), page=page,
                           unfinished=unfinished, finished=counts["total"] - unfinished,
                           show_all=show_all, today=today(), statuses=list(ActionStatus))


@bp.get("/action-items.csv")
@login_required
def export_csv() -> Any:
    """The board's items as a spreadsheet, in the board's order, streamed row by row."""
    filters, error = _filters()
    if error is not None:
        abort(400, description=error.message)
    day = today()
    group = _group_by()
    base = request.host_url.rstrip("/")
    item_url = url_for("actions.detail", item_id=0)[:-1]
    incident_url = url_for("incidents.show", key="INC-0")[:-1]

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for count, row in enumerate(action_items.csv_rows(filters, group), start=1):
            (item_id, incident_id, incident_title, title, kind, priority, status, owner,
             owner_email, team, due_on, created_at, completed_at, reviewed_at, verification,
             resolution_note) = row
            overdue = (status in UNFINISHED and due_on is not None and due_on < day)
            writer.writerow([
                f"INC-{incident_id}", incident_title, title, kind, priority or "", label(status),
                owner or "", owner_email or "", team or "", _day(due_on),
                "yes" if overdue else "", _day(created_at), _day(completed_at),
                _day(reviewed_at), verification or "", resolution_note or "",
                f"{base}{item_url}{item_id}", f"{base}{incident_url}{incident_id}", item_id,
            ])
            if count % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="action-items-{day.isoformat()}.csv"'})


def _day(value: date | datetime | None) -> str:
    """A plain date for spreadsheets: 2026-03-14 (UTC)."""
    if value is None:
        return ""
    return (value.astimezone(UTC).date() if isinstance(value, datetime) else value).isoformat()


def _worded(error: ValidationError) -> str:
    """A refusal in the screen's words: 'Reason is required …', never a field's name."""
    return "; ".join(f"{field_label(k)} {', '.join(v)}".strip()
                     for k, v in (error.fields or {}).items()) or error.message


def _clear_flashes() -> str:
    """An out-of-band swap that empties the page's messages: an inline change is its own news."""
    return render_template("_partials/clear_flashes.html")


def _load(item_id: int) -> ActionItem:
    try:
        return action_items.get_action_item(item_id, reader=current_user)
    except NotFound:
        abort(404)


def _back() -> str:
    target = request.form.get("next") or ""
    return target if is_safe_next(target) else url_for("actions.board")


@bp.post("/action-items/<int:item_id>/status")
@role_required(Role.AUTHOR)
def set_status(item_id: int) -> Any:
    item = _load(item_id)
    data = {"status": request.form.get("status")}
    if request.form.get("resolution_note"):
        data["resolution_note"] = request.form["resolution_note"]
    error_message = None
    try:
        action_items.update_action_item(item, current_user, parse(ActionItemChanges, data))
    except ValidationError as error:
        error_message = _worded(error)
    if request.headers.get("HX-Request"):
        return render_template("actions/_row.html", item=item, today=today(),
                               statuses=list(ActionStatus), row_error=error_message,
                               next=request.form.get("next", "")) + _clear_flashes()
    if error_message:
        flash(f"'{item.title}' not updated: {error_message}", "error")
    else:
        flash(f"'{item.title}' is now {label(item.status).lower()}.", "success")
    return redirect(_back())


@bp.post("/action-items/bulk")
@role_required(Role.AUTHOR)
def bulk() -> Any:
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 19]
    items = action_items.get_action_items(ids, reader=current_user)
    operation = request.form.get("operation", "")
    if not items:
        flash("Select at least one action item first.", "error")
    elif operation == "reviewed":
        action_items.mark_reviewed(items)
        flash(f"{len(items)} item(s) stamped as reviewed in today's retro.", "success")
    elif operation in {s.value for s in ActionStatus}:
        data = {"status": operation}
        if request.form.get("resolution_note"):
            data["resolution_note"] = request.form["resolution_note"]
        titles = {item.id: item.title for item in items}
        errors = action_items.bulk_update(items, current_user, parse(ActionItemChanges, data))
        done = len(items) - len(errors)
        if done:
            flash(f"{done} item(s) moved to {label(ActionStatus(operation)).lower()}.", "success")
        for item_id, error in errors.items():
            flash(f"'{titles[item_id]}' not updated: {_worded(error)}", "error")
    else:
        flash("Choose what to do with the selected items.", "error")
    return redirect(_back())


@bp.post("/action-items/<int:item_id>/reviewed")
@role_required(Role.AUTHOR)
def reviewed(item_id: int) -> Any:
    item = _load(item_id)
    action_items.mark_reviewed([item])
    if request.headers.get("HX-Request"):
        return render_template("actions/_row.html", item=item, today=today(),
                               statuses=list(ActionStatus),
                               next=request.form.get("next", "")) + _clear_flashes()
    flash(f"'{item.title}' stamped as reviewed today.", "success")
    return redirect(_back())


# The detail form's fields that a stale edit compares with the row as it is now.
COMPARED = ("title", "description", "status", "resolution_note", "kind", "priority", "owner",
            "team", "due_date", "verification", "external_url")


def _differences(current: dict[str, Any], form: Any) -> list[dict[str, str]]:
    """Each field where the action item as saved now (`current`, the row a StaleRow carries)
    differs from what the form sent: {name, label, theirs, yours}, to show both."""
    return [{"name": name, "label": field_label(name), "theirs": str(current.get(name) or ""),
             "yours": form.get(name, "")}
            for name in COMPARED
            if str(current.get(name) or "").strip() != (form.get(name) or "").strip()]


@bp.route("/action-items/<int:item_id>", methods=["GET", "POST"])
@login_required
def detail(item_id: int) -> Any:
    item = _load(item_id)
    errors: dict[str, list[str]] = {}
    conflict: list[dict[str, str]] = []
    if request.method == "POST":
        if not current_user.can(Role.AUTHOR):
            abort(403)
        form = request.form
        data = {name: form.get(name, "") or None for name in (
            "title", "description", "owner", "team", "priority", "kind", "due_date", "factor_id",
            "verification", "external_url", "status", "resolution_note", "completed_at")}
        if data["status"] != ActionStatus.DONE.value or data["completed_at"] is None:
            data.pop("completed_at")
        data["version"] = form.get("version") or None
        try:
            action_items.update_action_item(item, current_user, parse(ActionItemChanges, data))
        except StaleRow as stale:
            conflict = _differences(stale.extra["current"], form)
            errors = {"_": ["Someone else saved this action item while you were editing it; "
                            "nothing was saved."]}
        except ValidationError as error:
            errors = error.fields or {"title": [error.message]}
        else:
            flash("Action item saved.", "success")
            return redirect(url_for("actions.detail", item_id=item.id))
    return render_template(
        "actions/detail.html", item=item, errors=errors, form=request.form if errors else None,
        conflict=conflict,
        today=today(), statuses=list(ActionStatus), kinds=list(ActionKind),
        priorities=list(Priority),
        owners=accounts.list_owners(),
    ), (422 if errors else 200)
