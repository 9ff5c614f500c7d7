"""Running the insight job after writes, off the request path.

Every process that serves requests starts one daemon thread (`ensure_worker`, again after a
fork). Once a second it reads the insight_state row; when the archive changed since the last
recomputation and has been quiet for a moment (debounce), it runs the job — in the thread for
a small archive, in a child process (`postmortem insights refresh`) for a large one, so the
memory the computation needs is returned when it ends. The job's lease in the database lets
only one worker of one instance run at a time; the others see it is taken and wait for the
next change. `postmortem insights refresh` runs the same job from cron or a queue.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from ...database import child_environment
from ...extensions import db
from ...models import Incident, InsightState, utcnow
from . import engine

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
IN_PROCESS_LIMIT = 2000  # post-mortems; above it the job runs in a child process
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
        thread = threading.Thread(target=_loop, args=(app,), name="insights", daemon=True)
        _started[pid] = thread
        thread.start()


def _status() -> tuple[Any, ...] | None:
    row = db.session.execute(select(
        InsightState.changes, InsightState.computed_changes, InsightState.changed_at,
        InsightState.locked_until, InsightState.seconds).where(InsightState.id == 1)).first()
    db.session.rollback()  # end the read, so the next one sees new commits (SQLite snapshots)
    return tuple(row) if row else None


def _loop(app: Flask) -> None:
    debounce = float(app.config.get("INSIGHTS_DEBOUNCE_SECONDS", 1.0))
    while True:
        time.sleep(POLL_SECONDS)
        try:
            with app.app_context():
                status = _status()
                if status is None:  # never computed: a database from before the job existed
                    _run(app)
                    continue
                changes, computed, changed_at, locked_until, _ = status
                now = utcnow()
                if computed >= changes or (locked_until is not None and locked_until > now):
                    continue
                if changed_at is not None and (now - changed_at).total_seconds() < debounce:
                    continue
                _run(app)
        except Exception:  # the worker must outlive one failed run; the error is in the row
            log.exception("insight job failed")
        finally:
            with app.app_context():
                db.session.remove()


def _run(app: Flask) -> None:
    size = db.session.scalar(select(func.count(Incident.id))) or 0
    db.session.rollback()
    if size <= IN_PROCESS_LIMIT or not app.config.get("INSIGHTS_SUBPROCESS", True):
        engine.refresh()
        return
    subprocess.run([sys.executable, "-m", "postmortem", "insights", "refresh"], check=False,
                   env=child_environment(app), stdout=subprocess.DEVNULL, timeout=3600)


def wait_until_fresh(app: Flask, timeout: float = 5.0) -> None:
    """Let a read right after a write see its effect: when the archive changed and the job is
    quick (a small archive), wait for it up to timeout. Computes nothing itself."""
    if not app.config.get("INSIGHTS_WORKER", True):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = _status()
        if status is None:
            return
        changes, computed, _, _, seconds = status
        if computed >= changes or (seconds is not None and seconds > timeout / 2):
            return
        time.sleep(0.1)
