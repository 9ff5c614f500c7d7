"""The retro board over a large archive: its figures counted in SQL, its items a page at a
time in group order, its groups counted, and the CSV streamed row by row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, case, func, literal, literal_column, select
from sqlalchemy.orm import aliased, selectinload

from ...extensions import db
from ...models import ActionItem, ActionStatus, Incident, User, today
from ..kept import ACTION_ITEMS, PEOPLE, digest_of, keep, key_of, once_per_request, versions
from ..pages import ListPage
from .items import action_items_query, day_start, due_order

Owner = aliased(User, name="board_owner")
GROUP_LABELS = {"team": "No team", "owner": "No owner"}


def _over(filters: dict[str, Any], *columns: Any) -> Select[Any]:
    """columns over the items the filters select (the list's own FROM and WHERE)."""
    return (action_items_query(filters, load=False).select_from(ActionItem)
            .with_only_columns(*columns).order_by(None))


def _days_to_done() -> Any:
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", ActionItem.completed_at - ActionItem.created_at) / 86400.0
    return func.julianday(ActionItem.completed_at) - func.julianday(ActionItem.created_at)


def stats(filters: dict[str, Any]) -> dict[str, Any]:
    """Counts per status, overdue, completion rate and median days to done over the items the
    list shows for the same filters — counted by the database."""
    counts = {status.value: 0 for status in ActionStatus}
    overdue = 0
    for _made, _finished, status, late, count in _tallies(filters):
        counts[ActionStatus(status).value] += count
        overdue += count if late else 0
    total = sum(counts.values())
    considered = total - counts[ActionStatus.WONT_DO.value]
    done = counts[ActionStatus.DONE.value]
    return {**counts, "total": total, "overdue": overdue,
            "completion_rate": round(done / considered, 4) if considered > 0 else 0,
            "median_days_to_done": _median_days(filters, done)}


WEEKS = 12  # the board's chart


def _tallies(filters: dict[str, Any]) -> list[tuple[int, int, str, bool, int]]:
    """(week created, week completed, status, overdue, how many) over the items the filters
    select, in one grouped pass read once per request (stats and weekly_progress share it).
    An item's week is the first of the last WEEKS whose end comes after the moment (most items
    fall in the first at the first comparison); WEEKS when none does or it has no moment."""
    moments = [day_start(day) + timedelta(days=1) for day in _week_ends()]

    def week(column: Any) -> Any:
        return case(*((column < moment, index) for index, moment in enumerate(moments)),
                    else_=WEEKS)

    created, completed = week(ActionItem.created_at), week(ActionItem.completed_at)
    late = case((ActionItem.is_overdue(today()), True), else_=False)
    return once_per_request("board-tallies-" + key_of("f", filters), lambda: [
        (int(made), int(finished), str(status), bool(overdue), int(count))
        for made, finished, status, overdue, count in db.session.execute(
            # Grouped by position: PostgreSQL takes an expression with its own bound
            # values in GROUP BY as different from the same one in the select list.
            _over(filters, created, completed, ActionItem.status, late, func.count())
            .group_by(*(literal_column(str(n)) for n in range(1, 5))))])


def _week_ends() -> list[Any]:
    end = today()
    return [end - timedelta(days=7 * back) for back in range(WEEKS - 1, -1, -1)]


def _median_days(filters: dict[str, Any], count: int) -> float | None:
    """The median of completed_at - created_at over the done items, in days (the database
    sorts; only the middle one or two rows come back)."""
    if not count:
        return None
    days = _days_to_done()
    finished = (ActionItem.status == ActionStatus.DONE, ActionItem.completed_at.is_not(None))
    count = db.session.scalar(_over(filters, func.count()).where(*finished)) or 0
    if not count:
        return None
    middle = list(db.session.scalars(_over(filters, days).where(*finished).order_by(days)
                                     .offset((count - 1) // 2).limit(2 - count % 2)))
    return round(sum(float(m) for m in middle) / len(middle), 2)


def weekly_progress(filters: dict[str, Any]) -> dict[str, list]:
    """Open and done counts at the end of each of the last WEEKS weeks (the board's chart):
    running sums over the tallies' weeks (a done item counts from the week both its creation
    and its completion are past)."""
    opened_at, done_at, dropped_at = [0] * (WEEKS + 1), [0] * (WEEKS + 1), [0] * (WEEKS + 1)
    for made, finished, status, _late, count in _tallies(filters):
        opened_at[made] += count
        if status == ActionStatus.DONE:
            done_at[max(made, finished)] += count  # no completion: past the last week
        elif status == ActionStatus.WONT_DO:
            dropped_at[made] += count
    opened, done = [], []
    made_total = done_total = dropped_total = 0
    for index in range(WEEKS):
        made_total += opened_at[index]
        done_total += done_at[index]
        dropped_total += dropped_at[index]
        done.append(done_total)
        opened.append(made_total - done_total - dropped_total)
    return {"labels": [day.strftime("%d %b") for day in _week_ends()], "open": opened,
            "done": done}


def overdue_by_team(filters: dict[str, Any]) -> dict[str, int]:
    """{team (or owner, or 'unassigned'): overdue items}, most first."""
    label = func.coalesce(ActionItem.team, Owner.name, literal("unassigned"))
    rows = db.session.execute(
        _over(filters, label, func.count()).outerjoin(Owner, Owner.id == ActionItem.owner_id)
        .where(ActionItem.is_overdue(today())).group_by(label)).all()
    return dict(sorted(((str(k), int(v)) for k, v in rows), key=lambda kv: (-kv[1], kv[0])))


def _shows() -> tuple[Any, ...]:
    """What the board's figures are computed from besides their filters and the day: the
    action items (and which post-mortems are archived) and the people who own them."""
    return (today(), *versions(ACTION_ITEMS, PEOPLE))


def board_figures(filters: dict[str, Any]) -> dict[str, Any]:
    """The retro board's figures over the items its filters select, kept until an action item
    or a person changes (or the day does)."""
    return keep("board", (filters, *_shows()), lambda: {
        "stats": stats(filters), "progress": weekly_progress(filters),
        "overdue_by_team": overdue_by_team(filters)})


def cached_stats(filters: dict[str, Any]) -> dict[str, Any]:
    """stats(filters), kept until an action item or a person changes (or the day does)."""
    return keep("stats", (filters, *_shows()), lambda: stats(filters))


def _group_key(group: str) -> Any:
    if group == "team":
        return ActionItem.team
    if group == "owner":
        return Owner.name
    if group == "incident":
        return ActionItem.incident_id
    return None


def _grouped(filters: dict[str, Any], group: str, load: bool = True) -> Select[Any]:
    stmt = action_items_query(filters, load=False)
    if load:  # what a board row shows: its post-mortem and owner
        stmt = stmt.options(selectinload(ActionItem.incident), selectinload(ActionItem.owner))
    if group == "owner":
        stmt = stmt.outerjoin(Owner, Owner.id == ActionItem.owner_id)
    key = _group_key(group)
    if key is None:
        return stmt
    if group == "incident":
        return stmt.order_by(None).order_by(key.desc(), *due_order())
    return stmt.order_by(None).order_by(key.is_(None), key, *due_order())


def board_page_ids(filters: dict[str, Any], group: str, page: int, per_page: int
                   ) -> dict[str, Any]:
    """{"ids", "total"}: one page of the board's item ids in group order (a group may go on
    over the next page), kept until an action item or a person changes."""
    page = max(page, 1)

    def ids_of_page() -> dict[str, Any]:
        ordered = _grouped(filters, group, load=False).select_from(ActionItem).with_only_columns(
            ActionItem.id)
        ids = list(db.session.scalars(ordered.offset((page - 1) * per_page).limit(per_page)))
        total = db.session.scalar(_over(filters, func.count())) or 0
        return {"ids": ids, "total": int(total)}

    return keep("board-page", (filters, group, page, per_page, *_shows()), ids_of_page)


def board_page(filters: dict[str, Any], group: str, page: int, per_page: int) -> ListPage:
    """One page of the board's items in group order. The page's ids are kept (board_page_ids);
    a view reads its own rows, so what they show is always current."""
    found = board_page_ids(filters, group, page, per_page)
    rows = {item.id: item for item in db.session.scalars(
        select(ActionItem).where(ActionItem.id.in_(found["ids"])).options(
            selectinload(ActionItem.incident), selectinload(ActionItem.owner)))}
    return ListPage([rows[i] for i in found["ids"] if i in rows], max(page, 1), per_page,
                    found["total"])


def stamps_of_items(ids: list[int]) -> str:
    """A digest of the stamps of the post-mortems these items belong to: what a kept board
    page is keyed on besides the items themselves (a row shows its post-mortem's key and
    title)."""
    return digest_of(db.session.execute(
        select(Incident.id, Incident.stamp).where(Incident.id.in_(
            select(ActionItem.incident_id).where(ActionItem.id.in_(ids))))
        .order_by(Incident.id)))[1]


def group_counts(filters: dict[str, Any], group: str) -> list[tuple[Any, int]]:
    """[(group value, items)] in board order; None is the group without a value (kept until an
    action item or a person changes)."""
    return [(value, count) for value, count in keep(
        "groups", (filters, group, *_shows()), lambda: _group_counts(filters, group))]


def _group_counts(filters: dict[str, Any], group: str) -> list[tuple[Any, int]]:
    key = _group_key(group)
    if key is None:
        return []
    stmt = _over(filters, key, func.count())
    if group == "owner":
        stmt = stmt.outerjoin(Owner, Owner.id == ActionItem.owner_id)
    stmt = stmt.group_by(key)
    rows = [(value, int(count)) for value, count in db.session.execute(stmt)]
    if group == "incident":
        return sorted(rows, key=lambda r: -(r[0] or 0))
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or ""))


def group_items(filters: dict[str, Any], group: str, value: Any,
                limit: int | None = None) -> list[ActionItem]:
    """The items of one group, earliest due first (the presentation view shows one group at a
    time); at most limit of them."""
    key = _group_key(group)
    stmt = _grouped(filters, group)
    if key is not None:
        stmt = stmt.where(key.is_(None) if value is None else key == value)
    return list(db.session.scalars(stmt.limit(limit)))


CSV_ROW = (ActionItem.id, ActionItem.incident_id, Incident.title, ActionItem.title,
           ActionItem.kind, ActionItem.priority, ActionItem.status, Owner.name, Owner.email,
           ActionItem.team, ActionItem.due_on, ActionItem.created_at, ActionItem.completed_at,
           ActionItem.reviewed_at, ActionItem.verification, ActionItem.resolution_note)


def csv_rows(filters: dict[str, Any], group: str) -> Iterator[Any]:
    """The board's rows in its order, as plain tuples (CSV_ROW), fetched a thousand at a time so
    the first ones go out before the last are read."""
    grouped = _grouped(filters, group, load=False).join(
        Incident, Incident.id == ActionItem.incident_id)
    if group != "owner":
        grouped = grouped.outerjoin(Owner, Owner.id == ActionItem.owner_id)
    rows: Any = grouped.with_only_columns(*CSV_ROW).execution_options(yield_per=1000)
    yield from db.session.execute(rows)
