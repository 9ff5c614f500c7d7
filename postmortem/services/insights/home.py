"""The home page: what needs this person now, and what the archive says today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import extract, func, or_, select
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
from ..kept import INCIDENTS, THEMES, keep, versions
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


def home_for(user: User, owed_after_days: dict[Any, int] | None = None) -> Home:
    """Everything the home page shows for this person (all UTC; archived post-mortems left
    out). owed_after_days: {severity: days} after resolution before a post-mortem is owed."""
    day = today()
    live = Incident.archived_at.is_(None)
    due = (ActionItem.incident_id.not_in(select(Incident.id).where(~live)),
           ActionItem.owner_id == user.id, ActionItem.status.in_(UNFINISHED),
           ActionItem.due_on.is_not(None), ActionItem.due_on <= day + timedelta(days=SOON_DAYS))
    # The earliest due first; the rest are counted (the list links to all of them).
    mine = list(db.session.scalars(
        select(ActionItem).where(*due).order_by(ActionItem.due_on, ActionItem.id)
        .limit(ITEMS_SHOWN).options(selectinload(ActionItem.incident))))
    home = Home(overdue=[item for item in mine if item.is_overdue(day)],
                soon=[item for item in mine if not item.is_overdue(day)])
    if len(mine) == ITEMS_SHOWN:
        home.more_items = (db.session.scalar(select(func.count()).select_from(ActionItem)
                                             .where(*due)) or 0) - ITEMS_SHOWN
    # Archived ones are dropped here rather than in SQL, so the database walks the
    # (status, updated_at) index instead of sorting every live post-mortem.
    home.drafts = [incident for incident in db.session.scalars(
        select(Incident).where(Incident.status == IncidentStatus.DRAFT, or_(
            Incident.commander_id == user.id, Incident.created_by_id == user.id))
        .order_by(Incident.updated_at.desc()).limit(30)) if incident.archived_at is None][:10]
    home.reviews = list(db.session.scalars(
        select(Incident).where(live, Incident.status == IncidentStatus.IN_REVIEW, Incident.id.in_(
            select(incident_reviewers.c.incident_id).where(incident_reviewers.c.user_id == user.id)))
        .order_by(Incident.updated_at.desc())))
    now = utcnow()
    for severity, days in (owed_after_days or DEFAULT_OWED_AFTER_DAYS).items():
        severity = Severity(severity)
        home.owed += list(db.session.scalars(
            select(Incident).where(live, Incident.severity == severity,
                                   Incident.status != IncidentStatus.PUBLISHED,
                                   Incident.resolved_at.is_not(None),
                                   Incident.resolved_at < now - timedelta(days=days))
            .order_by(Incident.resolved_at).limit(OWED_SHOWN)))
    since = day_start(day) - timedelta(days=RECENT_THEME_DAYS)
    home.themes_back = keep("themes-back", (since, *versions(THEMES)), lambda: [
        {"id": t["id"], "name": t["name"], "recurred_after_fix": t["recurred_after_fix"]}
        for t in list_themes(since=since) if t["recurred_after_fix"]][:5])
    home.recent = list(db.session.scalars(
        select(Incident).where(live).order_by(Incident.updated_at.desc()).limit(6)))
    # Which post-mortems started on this day in earlier years: a scan of every start date,
    # kept for the day until a post-mortem changes.
    ids = keep("on-this-day", (day, *versions(INCIDENTS)), lambda: list(db.session.scalars(
        select(Incident.id).where(live, extract("month", Incident.started_at) == day.month,
                                  extract("day", Incident.started_at) == day.day,
                                  extract("year", Incident.started_at) < day.year)
        .order_by(Incident.started_at.desc()).limit(10))))
    home.on_this_day = list(db.session.scalars(
        select(Incident).where(Incident.id.in_(ids)).order_by(Incident.started_at.desc())))
    return home
