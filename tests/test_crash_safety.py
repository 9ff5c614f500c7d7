"""Crash safety on SQLite: the server killed with SIGKILL under concurrent writes loses no
acknowledged write, the database file stays sound, and concurrent writers never get a 500
("database is locked") while it runs."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .listeners import free_port

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="SQLite's own durability; PostgreSQL's is its own")
POSTMORTEM = str(Path(sys.executable).parent / "postmortem")
WRITERS = 8


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([POSTMORTEM, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("the server did not start")


def _call(port: int, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def test_sigkill_under_write_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    database = tmp_path / "crash.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "POSTMORTEM_INSTANCE_PATH": str(tmp_path), "POSTMORTEM_SECRET_KEY": "crash-test"}
    env.pop("TEST_DATABASE_URL", None)
    subprocess.run([POSTMORTEM, "init-db"], env=env, check=True, capture_output=True)
    subprocess.run([POSTMORTEM, "users", "create", "--email", "writer@example.com", "--name",
                    "Writer", "--role", "author", "--password", "crash-test-password"],
                   env=env, check=True, capture_output=True)
    token = subprocess.run([POSTMORTEM, "tokens", "create", "--email", "writer@example.com"],
                           env=env, check=True, capture_output=True, text=True
                           ).stdout.strip().splitlines()[-1]
    port = free_port()
    server = _serve(env, port)

    acknowledged: list[tuple[str, str]] = []  # (incident key, title) answered 201
    events: list[tuple[str, int]] = []  # (incident key, event id) answered 201
    failures: list[int] = []
    stop = threading.Event()

    def write(writer: int) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            title = f"Writer {writer} outage {number}"
            try:
                status, body = _call(port, token, "POST", "/api/v1/incidents", {
                    "title": title, "severity": "SEV3", "started_at": "2026-03-14T09:00:00Z"})
                if status == 201:
                    acknowledged.append((body["key"], title))
                    status, event = _call(port, token, "POST",
                                          f"/api/v1/incidents/{body['key']}/timeline",
                                          {"at": "2026-03-14T09:05:00Z", "text": f"Noted {title}"})
                    if status == 201:
                        events.append((body["key"], event["id"]))
                if status >= 500:
                    failures.append(status)
            except (OSError, http.client.HTTPException):
                return  # the server is gone (killed before or while it answered)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=40)

    assert len(acknowledged) > 20, "too little load to prove anything"
    assert failures == [], f"writers got server errors: {failures}"
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()

    server = _serve(env, port)
    try:
        for key, title in acknowledged:
            status, body = _call(port, token, "GET", f"/api/v1/incidents/{key}")
            assert status == 200 and body["title"] == title, key
        for key, event_id in events:
            status, body = _call(port, token, "GET", f"/api/v1/incidents/{key}")
            assert event_id in [e["id"] for e in body["timeline"]], (key, event_id)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
