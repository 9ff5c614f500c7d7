"""Knowledge spread: for each service, how many people have handled its incidents (as
commander or author) and how much of it rests on one person — the "bus factor" of a service's
incident knowledge."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import Incident, User, incident_services
from ..kept import INCIDENTS, PEOPLE, keep, once_per_request, versions

CONCENTRATED_SHARE = 0.6  # one person handled more than this share…
CONCENTRATED_MIN_INCIDENTS = 3  # …of at least this many incidents: flagged
NO_KNOWLEDGE = {"people": 0, "top_person": None, "top_share": 0.0, "incidents": 0}


def knowledge_by_service() -> dict[str, dict[str, Any]]:
    """{service id (text): {"people", "top_person", "top_share", "incidents"}} over every
    service's live incidents, kept until a post-mortem or a person changes (and read once a
    request)."""
    return once_per_request("service_knowledge", lambda: keep(
        "knowledge", versions(INCIDENTS, PEOPLE), _compute))


def _compute(service_id: int | None = None) -> dict[str, dict[str, Any]]:
    """The knowledge spread of every service, or of one (its rows found by the index on
    incident_services.service_id)."""
    handled: dict[int, Counter[int]] = defaultdict(Counter)
    incidents: Counter[int] = Counter()
    stmt = (select(incident_services.c.service_id, Incident.commander_id, Incident.created_by_id)
            .join(Incident, Incident.id == incident_services.c.incident_id)
            .where(Incident.archived_at.is_(None)))
    if service_id is not None:
        stmt = stmt.where(incident_services.c.service_id == service_id)
    for row_service, commander_id, author_id in db.session.execute(stmt):
        incidents[row_service] += 1
        for person in {commander_id, author_id} - {None}:
            handled[row_service][person] += 1
    wanted = {person for people in handled.values() for person in people}
    emails = dict(db.session.execute(select(User.id, User.email)
                                     .where(User.id.in_(wanted))).all()) if wanted else {}
    result = {}
    for row_service, count in incidents.items():
        people = handled[row_service]
        top = people.most_common(1)[0] if people else None
        result[str(row_service)] = {
            "people": len(people),
            "top_person": emails.get(top[0]) if top else None,
            "top_share": round(top[1] / count, 4) if top else 0.0,
            "incidents": count,
        }
    return result


def knowledge_of(service_id: int) -> dict[str, Any]:
    """The knowledge spread of one service (zeros when it has no incident), worked out from
    its own post-mortems: a service page kept by their stamps does not wait for the whole
    archive's figures after every save elsewhere."""
    return _compute(service_id).get(str(service_id)) or dict(NO_KNOWLEDGE)


def concentrated(knowledge: dict[str, Any]) -> bool:
    """True when one person holds most of what the team knows about a service's incidents."""
    return (knowledge["incidents"] >= CONCENTRATED_MIN_INCIDENTS
            and knowledge["top_share"] > CONCENTRATED_SHARE)
