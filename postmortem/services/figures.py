"""Figures over much of the archive, computed once per change and shared by every worker and
instance (models.CachedFigure). A figure's key names everything it depends on besides the
archive's content (filters, period, today's date); the content is covered by the write
counter (insight_state.writes) every write bumps in its own transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import CachedFigure, InsightState, utcnow

T = TypeVar("T")


def figure_key(name: str, *parts: Any) -> str:
    """A cache key: the figure's name and a digest of what it depends on."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{name}:{digest[:40]}"


MISSING = object()


def fetch(key: str) -> tuple[int, Any]:
    """The write count now and the value stored under key for it (MISSING when there is none,
    or it was computed before the last write): one query."""
    row = db.session.execute(
        select(InsightState.writes, CachedFigure.key, CachedFigure.value)
        .select_from(InsightState)
        .outerjoin(CachedFigure, (CachedFigure.key == key)
                   & (CachedFigure.changes == InsightState.writes))
        .where(InsightState.id == 1)).first()
    if row is None:
        return 0, MISSING
    return row[0] or 0, (MISSING if row[1] is None else row[2])


def store(key: str, changes: int, value: Any) -> None:
    """Keep value under key for the write count it was computed at (read before computing, so
    a write made meanwhile makes it stale at once). Best effort: a busy database skips it."""
    values = {"key": key, "changes": changes, "value": value, "computed_at": utcnow()}
    insert = postgres_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(CachedFigure).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[CachedFigure.key],
        set_={"changes": values["changes"], "value": values["value"],
              "computed_at": values["computed_at"]})
    try:
        with db.engine.begin() as connection:  # its own transaction: the request's is untouched
            connection.execute(statement)
    except SQLAlchemyError:
        pass  # another worker is writing it, or the database is busy: serve what we computed


def cached(key: str, compute: Callable[[], T]) -> T:
    """The figure stored under key for the archive as it is now, computing (and storing) it
    when the archive changed since. compute() must return JSON-serialisable data."""
    changes, value = fetch(key)
    if value is not MISSING:
        return value  # type: ignore[no-any-return]
    value = compute()
    store(key, changes, value)
    return value
