"""Finding a post-mortem and guarding its writes: the row lock, the publish freeze, the revision."""

from __future__ import annotations

import re

from sqlalchemy import update

from ...errors import Frozen, NotFound
from ...extensions import db
from ...models import Incident, User, utcnow
from . import revisions

KEY_RE = re.compile(r"^INC-(\d+)$", re.IGNORECASE)


def get_incident(key: str, whole: bool = True, *, reader: User | None) -> Incident:
    """The incident with this key ('INC-7') if `reader` may read it (visibility.may_read;
    None: the system itself); NotFound otherwise, the same answer whether it does not exist or
    is restricted from this reader. With whole, everything a page of it shows comes in a few
    queries (not one per row); without, just its own row."""
    from .queries import WHOLE_INCIDENT
    from .visibility import may_read

    match = KEY_RE.match(key or "")
    number = int(match.group(1)) if match else 0
    incident = (db.session.get(Incident, number, options=WHOLE_INCIDENT if whole else ())
                if 0 < number < 2**63 else None)
    if incident is None or not may_read(incident, reader):
        raise NotFound(f"No incident {key}.")
    return incident


def lock(incident: Incident, *, take_turn: bool = True) -> None:
    """Reload the incident holding its row lock until commit (SELECT … FOR UPDATE on
    PostgreSQL), so concurrent writers from several app instances take turns. On SQLite,
    with take_turn, the database's write lock is taken first (a write that changes nothing):
    a row added beside a save (a timeline event, an action item) then reads the save's
    version and cannot fail as stale when the save commits in between."""
    if take_turn and db.engine.dialect.name == "sqlite":
        db.session.execute(update(Incident).where(Incident.id == incident.id)
                           .values(id=Incident.id).execution_options(synchronize_session=False))
    db.session.refresh(incident, with_for_update=True)


def ensure_editable(incident: Incident, *, take_turn: bool = True) -> None:
    """Lock the incident for this write (see lock); raise Frozen while it is published."""
    lock(incident, take_turn=take_turn)
    if incident.is_published:
        raise Frozen(
            f"{incident.key} is published and frozen; a reviewer must reopen it before it changes."
        )


def touch(incident: Incident, actor: User | None, summary: str) -> None:
    """Record a change made through a sub-resource (timeline, factors, links) and commit."""
    incident.updated_at = utcnow()
    db.session.flush()
    db.session.expire(incident, ["timeline", "factors", "action_items", "deployment_links"])
    revisions.record_revision(incident, actor, summary)
    db.session.commit()
