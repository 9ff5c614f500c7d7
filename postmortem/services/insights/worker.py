"""Running the insight job off the request path.

Every process that serves requests starts one daemon thread (`ensure_worker`, again after a
fork), at low priority. Once a second it looks at the insight_state row and the queue of
post-mortems written since the last full recomputation:

- the incremental step (incremental.py) places each queued post-mortem once its writes paused
  for a few seconds: its similar list and its themes, work bounded by what was written;
- the full recomputation (engine.refresh) runs when none ever ran, when one was asked for
  (`mark_changed`: a migration, an import), or on the schedule: at most once every
  INSIGHTS_FULL_INTERVAL seconds (default: an hour), and only when at least
  INSIGHTS_FULL_SHARE of the archive (default: 5 %) was written since the last one. It runs in
  a child process (`postmortem insights refresh`) at low priority, so its memory is returned
  when it ends and serving threads come first.

The job's lease in the database lets one worker of one instance run either at a time (never
two full recomputations at once); the others see it is taken and try again a second later.
`postmortem insights refresh` runs the full recomputation from cron or a queue at any time.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from ...database import checkpoint, child_environment, use_background_checkpoints
from ...extensions import db
from ...models import InsightQueue, InsightState, SearchDocument, utcnow
from .. import kept
from . import engine, incremental

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
QUICK_SECONDS = 2.0  # a full recomputation this quick: the archive is small
NICENESS = 10  # the worker thread and the recomputation's child process yield to requests
TIDY_SECONDS = 600  # how often the kept answers' folder is tidied
CHECKPOINT_SECONDS = 2.0  # how often SQLite's WAL is checkpointed (database.checkpoint)
_started: dict[int, threading.Thread] = {}
_start_lock = threading.Lock()


def refresh(force: bool = False) -> engine.Outcome:
    """Recompute now, in this process (the CLI and the tests)."""
    return engine.refresh(force=force)


def ensure_worker(app: Flask) -> None:
    """Start this process's insight worker unless it runs already (or the app says not to)."""
    if not app.config.get("INSIGHTS_WORKER", True):
        return
    pid = os.getpid()
    if pid in _started:
        return
    with _start_lock:
        if pid in _started:
            return
        use_background_checkpoints()
        thread = threading.Thread(target=_loop, args=(app,), name="insights", daemon=True)
        _started[pid] = thread
        thread.start()


def _lower_priority() -> None:
    """On Linux a thread has its own niceness: requests' threads come first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: run as it is
        pass


def _status() -> tuple[Any, ...] | None:
    row = db.session.execute(select(
        InsightState.changes, InsightState.computed_changes, InsightState.computed_at,
        InsightState.locked_until).where(InsightState.id == 1)).first()
    db.session.rollback()  # end the read, so the next one sees new commits (SQLite snapshots)
    return tuple(row) if row else None


def full_due(app: Flask, status: tuple[Any, ...] | None, now: datetime) -> bool:
    """Whether the schedule calls for a full recomputation now."""
    if status is None:
        return True
    changes, computed, computed_at, _ = status
    if computed_at is None or computed < changes:
        return True
    interval = float(app.config.get("INSIGHTS_FULL_INTERVAL", 3600))
    if (now - computed_at).total_seconds() < interval:
        return False
    written = db.session.scalar(select(func.count()).select_from(InsightQueue)) or 0
    size = db.session.scalar(select(func.count()).select_from(SearchDocument)) or 0
    db.session.rollback()
    return written > 0 and written >= float(app.config.get("INSIGHTS_FULL_SHARE", 0.05)) * size


def tick(app: Flask, now: datetime | None = None) -> str | None:
    """One look at the job: what it ran ("full", "incremental") or None."""
    now = now or utcnow()
    status = _status()
    if status is not None and status[3] is not None and status[3] > now:
        return None  # another worker holds the lease
    if full_due(app, status, now):
        _run_full(app)
        return "full"
    return "incremental" if incremental.place_due(now) else None


def _loop(app: Flask) -> None:
    _lower_priority()
    tidied = checkpointed = time.monotonic()
    while True:
        time.sleep(POLL_SECONDS)
        try:
            if time.monotonic() - tidied > TIDY_SECONDS:
                tidied = time.monotonic()
                kept.tidy(app.instance_path)
            with app.app_context():
                if time.monotonic() - checkpointed > CHECKPOINT_SECONDS:
                    checkpointed = time.monotonic()
                    checkpoint()
                tick(app)
        except Exception:  # the worker must outlive one failed run; the error is in the row
            log.exception("insight job failed")
        finally:
            with app.app_context():
                db.session.remove()


def _run_full(app: Flask) -> None:
    if not app.config.get("INSIGHTS_SUBPROCESS", True):
        engine.refresh()
        return
    command = [sys.executable, "-m", "postmortem", "insights", "refresh", "--nice", str(NICENESS)]
    subprocess.run(command, check=False, env=child_environment(app), stdout=subprocess.DEVNULL,
                   timeout=3600)


def wait_until_fresh(app: Flask, incident_id: int | None = None, timeout: float = 5.0) -> None:
    """Let a read right after a write see its effect: while this post-mortem (or, on a small
    archive whose job is quick, any) waits for the incremental step, wait for it up to
    timeout. Computes nothing itself."""
    if not app.config.get("INSIGHTS_WORKER", True):
        return
    deadline = time.monotonic() + timeout
    waiting = InsightQueue.placed_at.is_(None) | (InsightQueue.placed_at < InsightQueue.written_at)
    if incident_id is not None:
        waiting = waiting & (InsightQueue.incident_id == incident_id)
    while time.monotonic() < deadline:
        row = db.session.execute(select(InsightState.computed_at, InsightState.seconds)
                                 .where(InsightState.id == 1)).first()
        pending = db.session.scalar(select(func.count()).select_from(InsightQueue).where(waiting))
        db.session.rollback()
        if not pending or row is None or row[0] is None:
            return
        if incident_id is None and (row[1] is None or row[1] > QUICK_SECONDS):
            return
        time.sleep(0.2)
