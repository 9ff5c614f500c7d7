"""Figures over much of the archive, computed once per change and shared by every worker and
instance (models.CachedFigure). A figure's key names everything it depends on besides the
archive's content (filters, period, today's date); the content is covered by the write
counter (insight_state.writes) every write bumps in its own transaction."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Integer, bindparam, case, null, select
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
    gzip gets the compressed copy where there is one, else the body; neither is sent when the
    process holds the answer for this write count already (`have`, see _Held)."""
    held = counter == bindparam("have", type_=Integer)

    def unless_held(column: Any) -> Any:
        return case((held, null()), else_=column)

    return {
        (False, False): _fetch_statement(counter, CachedFigure.value),
        (False, True): _fetch_statement(counter, CachedFigure.value),
        (True, False): _fetch_statement(counter, CachedFigure.value,
                                        unless_held(CachedFigure.body), null()),
        (True, True): _fetch_statement(
            counter, CachedFigure.value,
            unless_held(case((CachedFigure.gzip.is_(None), CachedFigure.body), else_=null())),
            unless_held(CachedFigure.gzip)),
    }


class _Held:
    """Large answers kept in this process's memory too, by key, with the write count they
    were made at (least recently used dropped beyond HELD_BYTES). Fetching one from the
    database costs more than serving it: about 2.6 ms for half a megabyte from PostgreSQL,
    against 0.16 ms for a query that returns one number. A held answer still costs the query
    that reads the write count, which says whether it is current."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, tuple[int, Any, str | None, bytes | None]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str, gzip: bool) -> tuple[int, Any, str | None, bytes | None] | None:
        """What is held under key, if it can answer this client (gzip or not)."""
        with self.lock:
            held = self.items.get(key)
            if held is None:
                return None
            _, meta, body, gzipped = held
            has_gzip = isinstance(meta, dict) and bool(meta.get("gzip"))
            if (gzip and has_gzip and gzipped is None) or (body is None and not
                                                           (gzip and gzipped is not None)):
                return None  # it lacks the form this client gets: ask the database
            self.items.move_to_end(key)
            return held

    def put(self, key: str, changes: int, meta: Any, body: str | None,
            gzipped: bytes | None) -> None:
        if not HELD_FROM <= _size((changes, meta, body, gzipped)) <= HELD_BYTES // 4:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= _size(old)
                if old[0] == changes:  # the same answer: keep the form this one lacks
                    body, gzipped = body or old[2], gzipped or old[3]
            self.items[key] = held = (changes, meta, body, gzipped)
            self.size += _size(held)
            while self.size > HELD_BYTES:
                self.size -= _size(self.items.popitem(last=False)[1])


def _size(held: tuple[int, Any, str | None, bytes | None]) -> int:
    """What a held answer weighs: its body and its gzip copy."""
    return len(held[2] or "") + len(held[3] or b"")


HELD_FROM = 32 * 1024  # smaller answers come from the database as cheaply as from memory
HELD_BYTES = 32 * 1024 * 1024  # per process (and app)


def _held() -> _Held:
    """This app's held answers (one app per serving process; tests make many)."""
    held = current_app.extensions.get("figures.held")
    if held is None:
        held = current_app.extensions["figures.held"] = _Held()
    return held  # type: ignore[no-any-return]


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
    held = _held().get(key, gzip) if with_body else None
    # Core, not the ORM: nothing here is an entity, and this runs for every shared page.
    row = db.session.connection().execute(
        statement, {"key": key, "have": held[0] if held else -1}).first()
    if row is None:
        return 0, MISSING, None, None
    changes = row[0] or 0
    if held is not None and held[0] == changes:  # current: the database sent no body
        _, meta, body, gzipped = held
        if gzip and gzipped is not None:
            return changes, meta, None, gzipped
        return changes, meta, body, None
    if row[1] is None:
        return changes, MISSING, None, None
    if not with_body:
        return changes, row[2], None, None
    _held().put(key, changes, row[2], row[3], row[4])
    return changes, row[2], row[3], row[4]


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
    _held().put(key, changes, value, body, gzipped)
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
