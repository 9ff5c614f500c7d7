"""Who else has a post-mortem open: each open editor or review page pings every few seconds,
and a person counts as there until a ping is missed for PRESENT_FOR."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Incident, Presence, User, utcnow

PRESENT_FOR = timedelta(seconds=45)
ACTIVITIES = ("editing", "reviewing", "reading")


def ping(incident: Incident, user: User, activity: str) -> list[Presence]:
    """Note that `user` is on the post-mortem now; the others seen there recently, by name."""
    activity = activity if activity in ACTIVITIES else "reading"
    now = utcnow()
    row = db.session.scalar(select(Presence).where(Presence.incident_id == incident.id,
                                                    Presence.user_id == user.id))
    if row is None:
        db.session.add(Presence(incident_id=incident.id, user_id=user.id, activity=activity,
                                seen_at=now))
    else:
        row.activity, row.seen_at = activity, now
    try:
        db.session.commit()
    except IntegrityError:  # the same person's other tab inserted it first: theirs stands
        db.session.rollback()
    return others_here(incident, user)


def leave(incident: Incident | None, user: User) -> None:
    """The page was closed (or, without an incident, the person logged out): drop them at once
    rather than when their ping runs out."""
    stmt = delete(Presence).where(Presence.user_id == user.id)
    if incident is not None:
        stmt = stmt.where(Presence.incident_id == incident.id)
    db.session.execute(stmt)
    db.session.commit()


def others_here(incident: Incident, user: User) -> list[Presence]:
    stmt = (select(Presence).join(Presence.user)
            .where(Presence.incident_id == incident.id, Presence.user_id != user.id,
                   Presence.seen_at >= utcnow() - PRESENT_FOR)
            .order_by(User.name))
    return list(db.session.scalars(stmt))
