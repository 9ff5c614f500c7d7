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


def ping(incident: Incident, user: User, activity: str, page: str = "") -> list[Presence]:
    """Note that `user` is on the post-mortem now; the others seen there recently, by name.
    `page` names the open page: a ping from a page that has already said it left (one sent
    just before it closed, answered after the leave) does not bring the person back."""
    activity = activity if activity in ACTIVITIES else "reading"
    now = utcnow()
    row = db.session.scalar(select(Presence).where(Presence.incident_id == incident.id,
                                                    Presence.user_id == user.id))
    if row is not None and page and row.activity == left_mark(page):
        return others_here(incident, user)
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


def left_mark(page: str) -> str:
    """What a left page leaves behind in the activity column (at most 20 characters)."""
    return "left:" + "".join(ch for ch in page if ch.isalnum())[:15]


def leave(incident: Incident | None, user: User, page: str = "") -> None:
    """The page was closed (or, without an incident, the person logged out): drop them at once
    rather than when their ping runs out. With `page`, a mark stays that turns away that page's
    last ping if it arrives after this."""
    if incident is not None and page:
        row = db.session.scalar(select(Presence).where(Presence.incident_id == incident.id,
                                                        Presence.user_id == user.id))
        if row is None:
            db.session.add(Presence(incident_id=incident.id, user_id=user.id,
                                    activity=left_mark(page), seen_at=utcnow()))
        else:
            row.activity = left_mark(page)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        return
    stmt = delete(Presence).where(Presence.user_id == user.id)
    if incident is not None:
        stmt = stmt.where(Presence.incident_id == incident.id)
    db.session.execute(stmt)
    db.session.commit()


def others_here(incident: Incident, user: User) -> list[Presence]:
    stmt = (select(Presence).join(Presence.user)
            .where(Presence.incident_id == incident.id, Presence.user_id != user.id,
                   Presence.activity.in_(ACTIVITIES), Presence.seen_at >= utcnow() - PRESENT_FOR)
            .order_by(User.name))
    return list(db.session.scalars(stmt))
