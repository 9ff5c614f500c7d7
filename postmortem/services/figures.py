"""Figures over much of the archive, computed once per change and shared by every worker and
instance (models.CachedFigure). A figure's key names everything it depends on besides the
archive's content (filters, period, today's date); the content is covered by the write
counter (insight_state.writes) every write bumps in its own transaction."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, null, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import CachedFigure, InsightState, utcnow

T = TypeVar("T")
log = logging.getLogger(__name__)


def figure_key(name: str, *parts: Any) -> str:
    """A cache key: the figure's name and a digest of what it depends on."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{name}:{digest[:40]}"


MISSING = object()


def _fetch_statement(counter: Any, *columns: Any) -> Any:
    return (select(counter, CachedFigure.key, *columns)
            .select_from(InsightState)
            .outerjoin(CachedFigure, (CachedFigure.key == bindparam("key"))
                       & (CachedFigure.changes == counter))
            .where(InsightState.id == 1))


def _statements(counter: Any) -> dict[tuple[bool, bool], Any]:
    """(with_body, gzip) → the fetch statement keyed on this counter. A client that accepts
    gzip gets the compressed copy where there is one, else the body."""
    return {
        (False, False): _fetch_statement(counter, CachedFigure.value),
        (False, True): _fetch_statement(counter, CachedFigure.value),
        (True, False): _fetch_statement(counter, CachedFigure.value, CachedFigure.body, null()),
        (True, True): _fetch_statement(
            counter, CachedFigure.value,
            case((CachedFigure.gzip.is_(None), CachedFigure.body), else_=null()),
            CachedFigure.gzip),
    }


# Built once: a page served from the cache spends its time on little else. Every write bumps
# `writes`; `content_writes` is not bumped by new deployments alone (pages showing none).
FETCH = {"writes": _statements(InsightState.writes),
         "content_writes": _statements(InsightState.content_writes)}


def fetch(key: str, with_body: bool = False, gzip: bool = False, counter: str = "writes"
          ) -> tuple[int, Any, str | None, bytes | None]:
    """The write count now, the value stored under key for it (MISSING when there is none, or
    it was computed before the last write) and, with_body, its body (or, for a client that
    accepts gzip, its compressed copy when it has one): one query. `counter` names the write
    count the value depends on ("writes", or "content_writes" for what shows no deployment)."""
    statement = FETCH[counter][(with_body, gzip)]
    # Core, not the ORM: nothing here is an entity, and this runs for every shared page.
    row = db.session.connection().execute(statement, {"key": key}).first()
    if row is None:
        return 0, MISSING, None, None
    if row[1] is None:
        return row[0] or 0, MISSING, None, None
    if not with_body:
        return row[0] or 0, row[2], None, None
    return row[0] or 0, row[2], row[3], row[4]


def store(key: str, changes: int, value: Any, body: str | None = None,
          gzipped: bytes | None = None) -> None:
    """Keep value (and a body of text, and its gzip copy) under key for the write count it was
    computed at (read before computing, so a write made meanwhile makes it stale at once).
    Best effort: a busy database skips it."""
    values = {"key": key, "changes": changes, "value": value, "body": body, "gzip": gzipped,
              "computed_at": utcnow()}
    insert = postgres_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(CachedFigure).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[CachedFigure.key],
        set_={name: values[name] for name in ("changes", "value", "body", "gzip",
                                              "computed_at")})
    try:
        with db.engine.begin() as connection:  # its own transaction: the request's is untouched
            connection.execute(statement)
    except SQLAlchemyError as error:
        # Another worker is writing it, or the database is busy: serve what we computed.
        log.info("figure %s not stored: %s", key, error)


def cached(key: str, compute: Callable[[], T]) -> T:
    """The figure stored under key for the archive as it is now, computing (and storing) it
    when the archive changed since. compute() must return JSON-serialisable data."""
    changes, value, _, _ = fetch(key)
    if value is not MISSING:
        return value  # type: ignore[no-any-return]
    value = compute()
    store(key, changes, value)
    return value
