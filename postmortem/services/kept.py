"""Answers kept by what they show (key-based expiration, as Rails' cache keys are): a kept
answer's key names its own inputs (filters, period, the day, a post-mortem's own stamp) and
the version of each kind of data it reads, so a change to that data makes a new key and the
old answer is simply never asked for again.

Kept in two places, neither of them the database, so a page view stays a read: each process's
memory (least recently used dropped), and the instance's folder `instance/kept/`, one file a
key, shared by the workers of the instance (written whole, then renamed into place; files
not read for a day, or beyond KEPT_FILES_BYTES, are removed by `tidy`).

The versions are rows of `input_versions`, one per kind of input (INPUTS), bumped in the
transaction of the write that changed it (services.insights.search notes what each flush
touched). A draft's text saved every second leaves the board's figures kept, and a pipeline
recording deployments leaves the list of post-mortems kept: each answer is recomputed only
when something it shows changed."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
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
    """The versions of these inputs (0 for one never written): all of them read in one query
    once per request (a page asks for several kept answers), and again after the request's
    own write bumps any. An answer computed later in the request is at least as new as the
    versions it is kept under, never older."""
    known = g.get("kept_versions") if has_app_context() else None
    if known is None:
        known = dict(db.session.execute(select(InputVersion.name, InputVersion.version)).all())
        if has_app_context():
            g.kept_versions = known
    return tuple(int(known.get(name, 0)) for name in names)


def bump(session: Any, names: Iterable[str]) -> None:
    """Mark these inputs changed, in the session's transaction (the write's own)."""
    names = sorted(set(names))
    if not names:
        return
    if has_app_context():
        g.pop("kept_versions", None)  # read again after this write
    updated: Any = session.execute(update(InputVersion).where(InputVersion.name.in_(names))
                                   .values(version=InputVersion.version + 1))
    if updated.rowcount == len(names):
        return
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for name in names:  # a database made before the row existed
        session.execute(insert(InputVersion).values(name=name, version=1)
                        .on_conflict_do_nothing(index_elements=[InputVersion.name]))


def digest_of(rows: Iterable[Any]) -> tuple[int, str]:
    """(how many, a digest of them) over rows such as (id, stamp): what a kept answer over a
    collection is keyed on (a row written, added, removed or moved changes it)."""
    digest = hashlib.blake2b(digest_size=16)
    count = 0
    for row in rows:
        digest.update(f"{tuple(row)!r};".encode())
        count += 1
    return count, digest.hexdigest()


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


def _folder() -> Path:
    return Path(current_app.instance_path) / "kept"


def _read_file(key: str) -> Any:
    try:
        with open(_folder() / key.replace(":", "-"), "rb") as file:
            return pickle.load(file)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        return _MISSING


def _write_file(key: str, value: Any) -> None:
    """Best effort: a full disk or a read-only folder only costs the next request's work."""
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(handle, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / key.replace(":", "-"))
    except OSError:
        pass


def keep(name: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """compute(), kept under name and key in this process and the instance's folder. The key
    must hold everything the answer depends on: its own inputs and the versions() (or a
    record's own stamp) of the data it reads."""
    if not current_app.config.get("KEEP_ANSWERS", True):
        return compute()
    full = key_of(name, *key)
    value = _lookup(full)
    if value is _MISSING:
        value = compute()
        _put(full, value)
    return value  # type: ignore[no-any-return]


def recall(name: str, key: tuple[Any, ...]) -> Any:
    """What remember() kept under name and key, or None: for an answer its caller checks
    against what it shows before serving it (see insights.search on PostgreSQL)."""
    if not current_app.config.get("KEEP_ANSWERS", True):
        return None
    value = _lookup(key_of(name, *key))
    return None if value is _MISSING else value


def remember(name: str, key: tuple[Any, ...], value: Any) -> None:
    """Keep value under name and key, in this process and the instance's folder."""
    if current_app.config.get("KEEP_ANSWERS", True):
        _put(key_of(name, *key), value)


def _lookup(full: str) -> Any:
    """The answer kept under this full key, from this process or else the folder (then kept
    in this process too); _MISSING when there is none."""
    value = _store().get(full)
    if value is _MISSING:
        value = _read_file(full)
        if value is not _MISSING:
            _store().put(full, value)
    return value


def _put(full: str, value: Any) -> None:
    _write_file(full, value)
    _store().put(full, value)


KEPT_FILES_BYTES = 512 * 1024 * 1024
KEPT_FILES_AGE = 24 * 3600


def tidy(instance_path: str, now: float | None = None) -> int:
    """Remove kept files not written or read for a day, then the oldest beyond
    KEPT_FILES_BYTES; how many were removed (the insight worker calls it now and then)."""
    folder = Path(instance_path) / "kept"
    now = now or time.time()
    removed = 0
    try:
        entries = [(entry.stat(), entry) for entry in os.scandir(folder) if entry.is_file()]
    except OSError:
        return 0
    entries.sort(key=lambda pair: max(pair[0].st_atime, pair[0].st_mtime))
    total = sum(stat.st_size for stat, _ in entries)
    for stat, entry in entries:
        old = now - max(stat.st_atime, stat.st_mtime) > KEPT_FILES_AGE
        temporary = entry.name.startswith(".tmp-") and now - stat.st_mtime > 600
        if not (old or temporary or total > KEPT_FILES_BYTES):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed += 1
        total -= stat.st_size
    return removed


def once_per_request(name: str, compute: Callable[[], T]) -> T:
    """compute() at most once in this request (several parts of a page ask for it)."""
    if not has_app_context():
        return compute()
    attribute = f"kept_{name}"
    if attribute not in g:
        setattr(g, attribute, compute())
    return getattr(g, attribute)  # type: ignore[no-any-return]
