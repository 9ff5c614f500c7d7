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


def knowledge_by_service() -> dict[str, dict[str, Any]]:
    """{service id (text): {"people", "top_person", "top_share", "incidents"}} over every
    service's live incidents, kept until a post-mortem or a person changes (and read once a
    request)."""
    return once_per_request("service_knowledge", lambda: keep(
        "knowledge", versions(INCIDENTS, PEOPLE), _compute))


def _compute() -> dict[str, dict[str, Any]]:
    handled: dict[int, Counter[int]] = defaultdict(Counter)
    incidents: Counter[int] = Counter()
    for service_id, commander_id, author_id in db.session.execute(
            select(incident_services.c.service_id, Incident.commander_id, Incident.created_by_id)
            .join(Incident, Incident.id == incident_services.c.incident_id)
            .where(Incident.archived_at.is_(None))):
        incidents[service_id] += 1
        for person in {commander_id, author_id} - {None}:
            handled[service_id][person] += 1
    emails = dict(db.session.execute(select(User.id, User.email)).all())
    result = {}
    for service_id, count in incidents.items():
        people = handled[service_id]
        top = people.most_common(1)[0] if people else None
        result[str(service_id)] = {
            "people": len(people),
            "top_person": emails.get(top[0]) if top else None,
            "top_share": round(top[1] / count, 4) if top else 0.0,
            "incidents": count,
        }
    return result


def knowledge_of(service_id: int) -> dict[str, Any]:
    """The knowledge spread of one service (zeros when it has no incident)."""
    return knowledge_by_service().get(str(service_id)) or {
        "people": 0, "top_person": None, "top_share": 0.0, "incidents": 0}


def concentrated(knowledge: dict[str, Any]) -> bool:
    """True when one person holds most of what the team knows about a service's incidents."""
    return (knowledge["incidents"] >= CONCENTRATED_MIN_INCIDENTS
            and knowledge["top_share"] > CONCENTRATED_SHARE)
