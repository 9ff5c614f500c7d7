"""The home page: what needs this person now, and what the archive says today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, extract, func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    ActionItem,
    Incident,
    IncidentStatus,
    Severity,
    User,
    incident_reviewers,
    today,
    utcnow,
)
from ...models.enums import UNFINISHED
from ..action_items.items import day_start
from ..incidents.visibility import sight, visible_in
from ..kept import PUBLISHED, THEMES, digest_of, keep, versions
from .themes import list_themes

SOON_DAYS = 7
RECENT_THEME_DAYS = 90
# A SEV1 or SEV2 resolved longer ago than this with no published post-mortem is owed.
DEFAULT_OWED_AFTER_DAYS = {Severity.SEV1: 5, Severity.SEV2: 10}


@dataclass
class Home:
    overdue: list[ActionItem] = field(default_factory=list)
    soon: list[ActionItem] = field(default_factory=list)
    drafts: list[Incident] = field(default_factory=list)
    reviews: list[Incident] = field(default_factory=list)
    owed: list[Incident] = field(default_factory=list)
    themes_back: list[dict[str, Any]] = field(default_factory=list)
    recent: list[Incident] = field(default_factory=list)
    on_this_day: list[Incident] = field(default_factory=list)
    more_items: int = 0  # overdue or due-soon items of mine beyond those listed


OWED_SHOWN = 10  # per severity: the longest owed first
ITEMS_SHOWN = 15  # of my overdue and soon-due action items


def _lists(user: User, owed_after_days: dict[Any, int] | None) -> dict[str, Select[Any]]:
    """The home page's lists as queries of whole rows (home_for) or of ids and stamps alone
    (home_shows), newest or most urgent first."""
    day = today()
    seen = sight(user)
    live = Incident.archived_at.is_(None) & visible_in(seen)
    lists: dict[str, Select[Any]] = {
        # The earliest due first; the rest are counted (the list links to all of them).
        "mine": select(ActionItem).where(*_due(user, day))
        .order_by(ActionItem.due_on, ActionItem.id).limit(ITEMS_SHOWN),
        # Archived ones are dropped after the query rather than in SQL, so the database walks
        # the (status, updated_at) index instead of sorting every live post-mortem.
        "drafts": select(Incident).where(Incident.status == IncidentStatus.DRAFT, or_(
            Incident.commander_id == user.id, Incident.created_by_id == user.id))
        .order_by(Incident.updated_at.desc()).limit(30),
        # The person's few review requests first: the database would otherwise walk every
        # live post-mortem by its update time to find them.
        "reviews": select(Incident).where(
            live, Incident.status == IncidentStatus.IN_REVIEW, Incident.id.in_(list(
                db.session.scalars(select(incident_reviewers.c.incident_id)
                                   .where(incident_reviewers.c.user_id == user.id)))))
        .order_by(Incident.updated_at.desc()),
        "recent": select(Incident).where(live).order_by(Incident.updated_at.desc()).limit(6),
    }
    now = utcnow()
    for severity, days in (owed_after_days or DEFAULT_OWED_AFTER_DAYS).items():
        severity = Severity(severity)
        # One list per unfinished status, so each is read in order from its own index range
        # (ix_incidents_owed); home_for merges them, the longest owed first.
        for status in (IncidentStatus.DRAFT, IncidentStatus.IN_REVIEW):
            lists[f"owed-{severity.value}-{status.value}"] = (
                select(Incident).where(live, Incident.severity == severity,
                                       Incident.status == status,
                                       Incident.resolved_at.is_not(None),
                                       Incident.resolved_at < now - timedelta(days=days))
                .order_by(Incident.resolved_at).limit(OWED_SHOWN))
    # Which post-mortems started on this day in earlier years: a scan of every start date,
    # kept for the day until a post-mortem is made, removed, archived, restricted or opened,
    # or has its start moved (each bumps `published`; a draft's text saved every second does
    # not). Their titles are read fresh.
    ids = keep("on-this-day", (day, seen, *versions(PUBLISHED)), lambda: list(db.session.scalars(
        select(Incident.id).where(live, extract("month", Incident.started_at) == day.month,
                                  extract("day", Incident.started_at) == day.day,
                                  extract("year", Incident.started_at) < day.year)
        .order_by(Incident.started_at.desc()).limit(10))))
    lists["on_this_day"] = (select(Incident).where(Incident.id.in_(ids))
                            .order_by(Incident.started_at.desc()))
    return lists


def _due(user: User, day: Any) -> tuple[Any, ...]:
    # Its owner sees their own item even where they may not read its post-mortem (the page
    # then does not name it).
    return (ActionItem.incident_id.not_in(select(Incident.id).where(
                Incident.archived_at.is_not(None))),
            ActionItem.owner_id == user.id, ActionItem.status.in_(UNFINISHED),
            ActionItem.due_on.is_not(None), ActionItem.due_on <= day + timedelta(days=SOON_DAYS))


def home_shows(user: User, owed_after_days: dict[Any, int] | None = None) -> str:
    """A digest of what the home page shows this person, read from ids, stamps and versions
    alone (a kept home page's key): each list's post-mortems and their stamps, the person's
    due items and their versions and post-mortems' stamps, how many more there are."""
    shown: list[tuple[str, Any]] = []
    for name, stmt in _lists(user, owed_after_days).items():
        if name == "mine":
            columns: tuple[Any, ...] = (ActionItem.id, ActionItem.version, Incident.stamp)
            stmt = stmt.join(Incident, Incident.id == ActionItem.incident_id)
        else:
            columns = (Incident.id, Incident.stamp, Incident.archived_at)
        rows = [tuple(row) for row in db.session.execute(stmt.with_only_columns(*columns))]
        shown.append((name, rows))
        if name == "mine" and len(rows) == ITEMS_SHOWN:
            shown.append(("more", _more_items(user)))
    return digest_of(shown)[1]


def _more_items(user: User) -> int:
    return (db.session.scalar(select(func.count()).select_from(ActionItem)
                              .where(*_due(user, today()))) or 0) - ITEMS_SHOWN


def home_for(user: User, owed_after_days: dict[Any, int] | None = None) -> Home:
    """Everything the home page shows for this person (all UTC; archived post-mortems left
    out). owed_after_days: {severity: days} after resolution before a post-mortem is owed."""
    day = today()
    seen = sight(user)
    lists = _lists(user, owed_after_days)
    mine = list(db.session.scalars(lists["mine"].options(selectinload(ActionItem.incident))))
    home = Home(overdue=[item for item in mine if item.is_overdue(day)],
                soon=[item for item in mine if not item.is_overdue(day)])
    if len(mine) == ITEMS_SHOWN:
        home.more_items = _more_items(user)
    home.drafts = [incident for incident in db.session.scalars(lists["drafts"])
                   if incident.archived_at is None][:10]
    home.reviews = list(db.session.scalars(lists["reviews"]))
    owed: dict[str, list[Incident]] = {}
    for name, stmt in lists.items():
        if name.startswith("owed-"):
            owed.setdefault(name.rsplit("-", 1)[0], []).extend(db.session.scalars(stmt))
    for incidents in owed.values():  # by severity, as the lists were made
        home.owed += sorted(incidents, key=lambda i: (i.resolved_at, i.id))[:OWED_SHOWN]
    since = day_start(day) - timedelta(days=RECENT_THEME_DAYS)
    home.themes_back = keep("themes-back", (since, seen, *versions(THEMES)), lambda: [
        {"id": t["id"], "name": t["name"], "recurred_after_fix": t["recurred_after_fix"]}
        for t in list_themes(since=since, seen=seen) if t["recurred_after_fix"]][:5])
    home.recent = list(db.session.scalars(lists["recent"]))
    home.on_this_day = list(db.session.scalars(lists["on_this_day"]))
    return home
