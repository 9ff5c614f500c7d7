"""Answers kept in this process's memory, keyed on what they show (key-based expiration, as
Rails' cache keys are): a kept answer's key names its own inputs (filters, period, the day)
and the version of each kind of data it reads, so a change to that data makes a new key and
the old answer is simply never asked for again. Nothing is written to the database to keep an
answer, so a page view stays a read.

The versions are rows of `input_versions`, one per kind of input (INPUTS), bumped in the
transaction of the write that changed it (services.insights.search notes what each flush
touched). A draft's text saved every second leaves the board's figures kept, and a pipeline
recording deployments leaves the list of post-mortems kept: each answer is recomputed only
when something it shows changed."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app, g, has_app_context
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import InputVersion

T = TypeVar("T")

# The kinds of input a kept answer may depend on.
INCIDENTS = "incidents"  # post-mortems and their rows (sections, timeline, factors, links…)
# Published post-mortems and their rows, and any post-mortem made, removed, archived or moved
# to another status: what the digest and the insights page count (a draft's text is not).
PUBLISHED = "published"
ACTION_ITEMS = "action_items"  # action items, and what the board filters them by (archiving)
DEPLOYMENTS = "deployments"  # deployments, artifacts and services
PEOPLE = "people"  # who people are: name, address, role, active; API tokens made or revoked
CATALOG = "catalog"  # templates, the taxonomy, settings
THEMES = "themes"  # what the insight job stored: themes and their members
INPUTS = (INCIDENTS, PUBLISHED, ACTION_ITEMS, DEPLOYMENTS, PEOPLE, CATALOG, THEMES)

KEPT_BYTES = 32 * 1024 * 1024  # per process (and app)


def versions(*names: str) -> tuple[int, ...]:
    """The versions of these inputs now, in one query (0 for one never written)."""
    found = dict(db.session.execute(
        select(InputVersion.name, InputVersion.version).where(InputVersion.name.in_(names))).all())
    return tuple(int(found.get(name, 0)) for name in names)


def bump(session: Any, names: Iterable[str]) -> None:
    """Mark these inputs changed, in the session's transaction (the write's own)."""
    names = sorted(set(names))
    if not names:
        return
    updated: Any = session.execute(update(InputVersion).where(InputVersion.name.in_(names))
                                   .values(version=InputVersion.version + 1))
    if updated.rowcount == len(names):
        return
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for name in names:  # a database made before the row existed
        session.execute(insert(InputVersion).values(name=name, version=1)
                        .on_conflict_do_nothing(index_elements=[InputVersion.name]))


def key_of(name: str, *parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{name}:{digest[:40]}"


class _Kept:
    """Least recently used answers up to KEPT_BYTES, by key."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            held = self.items.get(key)
            if held is None:
                return _MISSING
            self.items.move_to_end(key)
            return held[1]

    def put(self, key: str, value: Any) -> None:
        size = _size(value)
        if size > KEPT_BYTES // 8:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= old[0]
            self.items[key] = (size, value)
            self.size += size
            while self.size > KEPT_BYTES:
                self.size -= self.items.popitem(last=False)[1][0]

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


_MISSING = object()


def _size(value: Any) -> int:
    if isinstance(value, str | bytes):
        return len(value) + 64
    return len(json.dumps(value, default=str)) + 64


def _store() -> _Kept:
    kept = current_app.extensions.get("postmortem.kept")
    if kept is None:
        kept = current_app.extensions["postmortem.kept"] = _Kept()
    return kept  # type: ignore[no-any-return]


def keep(name: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute(), kept in this process under name and key. The key must hold everything the
    answer depends on: its own inputs and the versions() of the data it reads."""
    if not current_app.config.get("KEEP_ANSWERS", True):
        return compute()
    full = key_of(name, *key)
    store = _store()
    value = store.get(full)
    if value is _MISSING:
        value = compute()
        store.put(full, value)
    return value  # type: ignore[no-any-return]


def once_per_request(name: str, compute: Callable[[], T]) -> T:
    """compute() at most once in this request (several parts of a page ask for it)."""
    if not has_app_context():
        return compute()
    attribute = f"kept_{name}"
    if attribute not in g:
        setattr(g, attribute, compute())
    return getattr(g, attribute)  # type: ignore[no-any-return]
