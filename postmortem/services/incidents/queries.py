"""Finding post-mortems: the list filters and the query behind every list of incidents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    ActionItem,
    Deployment,
    Factor,
    Incident,
    IncidentDeployment,
    IncidentSection,
    IncidentTag,
    Service,
    TimelineEvent,
    User,
    incident_reviewers,
    incident_services,
)
from ...models.enums import UNFINISHED
from ...schemas import IncidentFilters, parse
from ..kept import digest_of
from .visibility import shown

# Load a page of incidents with everything the API returns in a handful of queries.
WHOLE_INCIDENT = (
    selectinload(Incident.services), selectinload(Incident.tag_rows),
    selectinload(Incident.sections), selectinload(Incident.timeline),
    selectinload(Incident.factors), selectinload(Incident.commander),
    selectinload(Incident.reviewers), selectinload(Incident.readers),
    selectinload(Incident.action_items).selectinload(ActionItem.owner),
    selectinload(Incident.deployment_links).selectinload(IncidentDeployment.deployment).options(
        selectinload(Deployment.artifact), selectinload(Deployment.service),
        selectinload(Deployment.incident_links)),
)
# What a row of the incident list shows: no narrative, timeline or action items.
LIST_ROW = (selectinload(Incident.services), selectinload(Incident.tag_rows))
# What the API's list gives of each incident by default (snapshots.incident_head).
INCIDENT_HEAD = (
    selectinload(Incident.services), selectinload(Incident.tag_rows),
    selectinload(Incident.factors), selectinload(Incident.commander),
    selectinload(Incident.reviewers), selectinload(Incident.readers),
    selectinload(Incident.deployment_links).selectinload(IncidentDeployment.deployment).options(
        selectinload(Deployment.artifact), selectinload(Deployment.service),
        selectinload(Deployment.incident_links)),
)


def row_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    """{incident id: {"timeline", "action_items", "action_items_unfinished"}}: how much each
    of these incidents holds that a summary leaves out, in two queries."""
    counts = {i: {"timeline": 0, "action_items": 0, "action_items_unfinished": 0} for i in ids}
    if not ids:
        return counts
    for incident_id, events in db.session.execute(
            select(TimelineEvent.incident_id, func.count()).where(
                TimelineEvent.incident_id.in_(ids)).group_by(TimelineEvent.incident_id)):
        counts[incident_id]["timeline"] = events
    unfinished = func.sum(case((ActionItem.status.in_(UNFINISHED), 1), else_=0))
    for incident_id, items, open_items in db.session.execute(
            select(ActionItem.incident_id, func.count(), unfinished).where(
                ActionItem.incident_id.in_(ids)).group_by(ActionItem.incident_id)):
        counts[incident_id]["action_items"] = items
        counts[incident_id]["action_items_unfinished"] = int(open_items or 0)
    return counts

def archived_incidents(limit: int = 200, *, reader: User | None) -> tuple[list[Incident], int]:
    """The archived post-mortems this reader may read, most recently archived first (at most
    `limit`), and how many there are."""
    where = Incident.archived_at.is_not(None) & shown(reader)
    total = db.session.scalar(select(func.count(Incident.id)).where(where)) or 0
    rows = db.session.scalars(select(Incident).where(where).options(*LIST_ROW)
                              .order_by(Incident.archived_at.desc(), Incident.id.desc())
                              .limit(limit))
    return list(rows), total


def incidents_query(filters: dict[str, Any], load: tuple[Any, ...] = WHOLE_INCIDENT, *,
                    reader: User | None) -> Select[Incident]:
    """The incidents this reader may read matching the filters, newest started_at first unless
    `sort` says otherwise.

    Filters: status, severity, service, tag, since, until (datetimes), q (text), sort.
    """
    stmt = select(Incident).where(Incident.archived_at.is_(None), shown(reader))
    if filters.get("status"):
        stmt = stmt.where(Incident.status == filters["status"])
    if filters.get("severity"):
        stmt = stmt.where(Incident.severity == filters["severity"])
    if filters.get("service"):
        stmt = stmt.where(Incident.id.in_(
            select(incident_services.c.incident_id)
            .join(Service, Service.id == incident_services.c.service_id)
            .where(Service.name == filters["service"])
        ))
    if filters.get("tag"):
        stmt = stmt.where(Incident.id.in_(
            select(IncidentTag.incident_id).where(IncidentTag.tag == filters["tag"])
        ))
    if filters.get("reviewer"):
        stmt = stmt.where(Incident.id.in_(
            select(incident_reviewers.c.incident_id)
            .join(User, User.id == incident_reviewers.c.user_id)
            .where(User.email == filters["reviewer"].strip().lower())
        ))
    if filters.get("since"):
        stmt = stmt.where(Incident.started_at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(Incident.started_at <= filters["until"])
    if filters.get("theme_incident_ids") is not None:
        stmt = stmt.where(Incident.id.in_(filters["theme_incident_ids"]))
    elif filters.get("theme"):
        # A taxonomy theme is a factor category: the incidents with a factor of that category.
        stmt = stmt.where(Incident.id.in_(
            select(Factor.incident_id).where(Factor.category == filters["theme"])
        ))
    if filters.get("q"):
        like = f"%{filters['q'].strip().lower()}%"
        stmt = stmt.where(or_(
            func.lower(Incident.title).like(like),
            Incident.id.in_(
                select(IncidentSection.incident_id).where(func.lower(IncidentSection.markdown).like(like))
            ),
        ))
    order: tuple[Any, ...] = {
        "oldest": (Incident.started_at.asc(), Incident.id.asc()),
        "severity": (Incident.severity.asc(), Incident.started_at.desc()),
        "updated": (Incident.updated_at.desc(), Incident.id.desc()),
        "title": (Incident.title.asc(), Incident.id.asc()),
    }.get(filters.get("sort") or "", (Incident.started_at.desc(), Incident.id.desc()))
    return stmt.order_by(*order).options(*load)


def parse_incident_filters(args: dict[str, Any]) -> dict[str, Any]:
    """Validated list filters from query arguments; ValidationError for bad values."""
    filters = parse(IncidentFilters, args).model_dump()
    filters["tag"] = (filters["tag"] or "").lower() or None
    return filters


def stamps_of_service(service_id: int) -> tuple[int, str]:
    """(how many post-mortems name the service, a digest of their ids and stamps): changes
    whenever one of them is written, linked to or unlinked from the service (a kept answer's
    key over that collection)."""
    return digest_of(db.session.execute(
        select(Incident.id, Incident.stamp)
        .join(incident_services, incident_services.c.incident_id == Incident.id)
        .where(incident_services.c.service_id == service_id).order_by(Incident.id)))
