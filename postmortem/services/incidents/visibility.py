"""Who may read a post-mortem: the one rule behind every list, search, figure and read by key.

A post-mortem is open to everyone who may sign in unless it is restricted; a restricted one is
read by its author, its commander, its reviewers, the readers named on it and the admins, and
for everyone else it does not exist (a 404, never a 403). Every listing goes through
`visible_to` (a condition on `Incident`) or `visible_incident_ids` (a condition on a column
holding an incident id); a read by key goes through `get_incident(key, reader=…)`
(services.incidents.guard), which calls `may_read`.

`reader=None` stands for the system itself (the CLI, the insight job, an import): it sees
everything. A kept answer that lists post-mortems is keyed on `sight(reader)`, which names the
restricted post-mortems the reader may read ("all" for admins), and computed with the same
sight, so two readers share an answer only when they see the same post-mortems."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from ...extensions import db
from ...models import Incident, Role, User, incident_readers, incident_reviewers
from ..kept import once_per_request


def sees_everything(reader: User | None) -> bool:
    """True for the system (None) and for admins."""
    return reader is None or reader.can(Role.ADMIN)


def visible_to(reader: User | None) -> ColumnElement[bool]:
    """A condition on `Incident`: true for the post-mortems this reader may read."""
    if sees_everything(reader):
        return true()
    assert reader is not None
    if not reader.active:
        return Incident.restricted.is_(False)
    return or_(
        Incident.restricted.is_(False),
        Incident.created_by_id == reader.id,
        Incident.commander_id == reader.id,
        Incident.id.in_(select(incident_reviewers.c.incident_id)
                        .where(incident_reviewers.c.user_id == reader.id)),
        Incident.id.in_(select(incident_readers.c.incident_id)
                        .where(incident_readers.c.user_id == reader.id)),
    )


# What a reader sees, as a value a kept answer's key and a filter can hold: "all" (the system
# and admins), or the ids of the restricted post-mortems the reader may read (usually none).
Sight = str | list[int]


def sight(reader: User | None) -> Sight:
    """What this reader sees (Sight), worked out once per request."""
    if sees_everything(reader):
        return "all"
    assert reader is not None
    return once_per_request(f"sight_{reader.id}", lambda: readable_restricted_ids(reader))


def visible_in(seen: Sight) -> ColumnElement[bool]:
    """A condition on `Incident`: true for the post-mortems shown to a reader who sees `seen`."""
    if seen == "all":
        return true()
    if not seen:
        return Incident.restricted.is_(False)
    return or_(Incident.restricted.is_(False), Incident.id.in_(seen))


def hidden_in(seen: Sight) -> Select[Any]:
    """The ids of the post-mortems hidden from a reader who sees `seen` (restricted: few)."""
    if seen == "all":
        return select(Incident.id).where(false())
    return select(Incident.id).where(Incident.restricted.is_(True), ~visible_in(seen))


def visible_ids(column: Any, seen: Sight) -> ColumnElement[bool]:
    """A condition on a column holding an incident id (an action item's, a search document's,
    a theme member's, a neighbour's): true where that post-mortem is shown to `seen`."""
    if seen == "all":
        return true()
    return column.not_in(hidden_in(seen))  # type: ignore[no-any-return]


def visible_incident_ids(column: Any, reader: User | None) -> ColumnElement[bool]:
    """visible_ids for this reader."""
    return visible_ids(column, sight(reader))


def shown(reader: User | None) -> ColumnElement[bool]:
    """visible_in for this reader: a condition on `Incident` every listing adds."""
    return visible_in(sight(reader))


def may_read(incident: Incident, reader: User | None) -> bool:
    """True when this reader may read this post-mortem (see the module's docstring)."""
    if not incident.restricted or sees_everything(reader):
        return True
    assert reader is not None
    if not reader.active:
        return False
    if reader.id in (incident.created_by_id, incident.commander_id):
        return True
    return any(person.id == reader.id for person in (*incident.reviewers, *incident.readers))


def readable_restricted_ids(reader: User | None) -> list[int]:
    """The restricted post-mortems this reader may read, by id (all of them for admins)."""
    return list(db.session.scalars(select(Incident.id).where(
        Incident.restricted.is_(True), visible_to(reader)).order_by(Incident.id)))
