"""A team's day: two sign-ins of one person each with their own page, page views that write
nothing, a save seen at once everywhere, answers a browser revalidates, and the insight job's
incremental step and schedule."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from postmortem.extensions import db
from postmortem.models import (
    ActionItem,
    IncidentNeighbour,
    InsightQueue,
    InsightState,
    Theme,
    ThemeMember,
    utcnow,
)
from postmortem.services import insights
from postmortem.services.insights import incremental, worker

from . import builders
from .conftest import fresh_app

TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def page_token(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    match = TOKEN_RE.search(response.text)
    assert match, f"{path} carries a CSRF token"
    return match.group(1)


def sign_in(app: Any, email: str) -> Any:
    client = app.test_client()
    token = page_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": builders.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.fixture
def csrf_app(tmp_path: Path, database_url: str) -> Iterator[Any]:
    app = fresh_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_two_sign_ins_of_one_person_each_post_with_their_own_pages_token(csrf_app) -> None:
    with csrf_app.app_context():
        author = builders.make_user(role="author", email="ana@example.com")
        incident = builders.new_incident(author, title="Cache TTL rollout")
        key = incident.key
        item = ActionItem(incident_id=incident.id, title="Alert on TTL changes", kind="prevent",
                          priority="P1")
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    laptop = sign_in(csrf_app, "ana@example.com")
    pages = ["/", "/incidents", f"/incidents/{key}", f"/incidents/{key}/edit", "/action-items"]
    first = {path: page_token(laptop, path) for path in pages}
    # The meeting-room PC: the same person, signed in a second time, nobody wrote meanwhile.
    meeting_room = sign_in(csrf_app, "ana@example.com")
    second = {path: page_token(meeting_room, path) for path in pages}
    for path in pages:
        assert second[path] != first[path], f"{path} carries the other sign-in's token"
    # Each posts with its own page's token: autosave, a status change on the board, sign-out.
    editor = meeting_room.get(f"/incidents/{key}/edit").text
    version = re.search(r'name="version" (?:type="hidden" )?value="(\d+)"', editor)
    saved = meeting_room.post(f"/incidents/{key}/autosave", headers={
        "X-CSRFToken": second[f"/incidents/{key}/edit"], "Accept": "application/json"},
        data={"title": "Cache TTL rollout, take two", "severity": "SEV2",
              "version": version.group(1) if version else "1"})
    assert saved.status_code in (200, 422), saved.text  # the token was accepted
    assert "CSRF" not in saved.text
    board = meeting_room.post(f"/action-items/{item_id}/status", data={
        "status": "in_progress", "csrf_token": second["/action-items"]})
    assert board.status_code == 302
    assert "in progress" in meeting_room.get("/action-items").text.lower()
    # The other sign-in's token is refused: it belongs to another session.
    refused = meeting_room.post("/logout", data={"csrf_token": first["/"]})
    assert refused.status_code == 400
    assert meeting_room.post("/logout", data={"csrf_token": second["/"]}).status_code == 302
    assert meeting_room.get("/incidents").status_code == 302  # signed out
    assert laptop.get("/incidents").status_code == 200  # the laptop's sign-in goes on
    assert laptop.post("/logout", data={"csrf_token": first["/"]}).status_code == 302


def test_an_ended_session_never_sees_a_page(csrf_app) -> None:
    with csrf_app.app_context():
        builders.make_user(role="author", email="ana@example.com")
        other = builders.make_user(role="admin", email="omar@example.com")
        token = builders.make_token(other)
    client = sign_in(csrf_app, "ana@example.com")
    assert client.get("/incidents").status_code == 200
    with csrf_app.app_context():
        from postmortem.models import User
        from postmortem.services import accounts

        user = db.session.scalar(select(User).where(User.email == "ana@example.com"))
        accounts.set_password(user, "another-password-1")
        db.session.commit()
    # Sent once with another person's token, then alone: the sign-in page, never a page.
    client.get("/incidents", headers={"Authorization": f"Bearer {token}"})
    response = client.get("/incidents")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


READ_PAGES = [
    "/", "/incidents", "/incidents?status=draft", "/incidents/{key}", "/incidents/{key}/edit",
    "/incidents/{key}/history", "/incidents/{key}/review", "/incidents/{key}.md",
    "/incidents/search?q=cache", "/action-items", "/action-items?status=all",
    "/action-items/mine", "/action-items/present", "/services", "/services/checkout",
    "/insights", "/themes", "/admin/users",
]
API_PAGES = [
    "/api/v1/incidents", "/api/v1/incidents/{key}", "/api/v1/incidents/{key}/similar",
    "/api/v1/action-items", "/api/v1/action-items/stats", "/api/v1/themes",
    "/api/v1/search?q=cache", "/api/v1/deployments", "/api/v1/services",
    "/api/v1/incidents/{key}/suggested-deployments",
]


@contextmanager
def no_writes(app: Any) -> Iterator[list[str]]:
    """Every statement that would write, seen on the app's engine while the block runs."""
    writes: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if re.match(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", statement, re.I):
            writes.append(statement.split("\n")[0][:120])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_page_views_write_nothing(app, client, login, api) -> None:
    author = api("admin")
    key = builders.create_incident(author, title="Cache TTL rollout")["key"]
    author.post(f"/api/v1/incidents/{key}/action-items",
                json={"title": "Alert on TTL changes", "kind": "prevent", "priority": "P1"})
    api.refresh_insights()
    login("admin")
    pages = [p.format(key=key) for p in READ_PAGES]
    apis = [p.format(key=key) for p in API_PAGES]
    for path in pages:  # first views: sign-in bookkeeping, then nothing
        assert client.get(path).status_code == 200, path
    for path in apis:
        assert author.get(path).status_code == 200, path
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    before = None
    if database.startswith("sqlite:///"):
        other = sqlite3.connect(database.removeprefix("sqlite:///"))
        before = other.execute("PRAGMA data_version").fetchone()[0]
    with no_writes(app) as writes:
        for _ in range(2):
            for path in pages:
                assert client.get(path).status_code == 200, path
            for path in apis:
                assert author.get(path).status_code == 200, path
    assert writes == []
    if before is not None:
        # Another connection sees no commit at all (PRAGMA data_version counts them).
        assert other.execute("PRAGMA data_version").fetchone()[0] == before
        other.close()


def test_a_save_shows_at_once_everywhere(app, client, login, api) -> None:
    author = api("author")
    email = login("author")
    key = builders.create_incident(author, title="Queue backlog in refunds")["key"]
    item = author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Page on refund queue depth", "kind": "detect", "priority": "P1",
        "owner": email}).get_json()
    pages = ["/", "/incidents", f"/incidents/{key}", "/incidents/search?q=refunds",
             "/action-items", "/action-items?status=all", "/api/v1/action-items/stats"]
    for path in pages:  # kept answers, if any, are made now
        client.get(path)
    version = author.get(f"/api/v1/incidents/{key}").get_json()["version"]
    assert author.patch(f"/api/v1/incidents/{key}", json={
        "title": "Refund queue backlog after the partner outage", "version": version,
    }).status_code == 200
    assert author.patch(f"/api/v1/action-items/{item['id']}", json={
        "status": "done", "version": item["version"]}).status_code == 200
    for path in ["/", "/incidents", f"/incidents/{key}", "/incidents/search?q=partner"]:
        assert "Refund queue backlog after the partner outage" in client.get(path).text, path
    board = client.get("/action-items?status=all").text
    assert "Page on refund queue depth" in board
    assert "Page on refund queue depth" not in client.get("/action-items").text  # done now
    assert client.get("/api/v1/action-items/stats").get_json()["done"] == 1


def test_answers_carry_cache_headers_and_revalidate(app, client, login, api) -> None:
    login("author")
    flashed = client.get("/incidents")  # shows the sign-in's message: this answer only
    assert flashed.headers["Cache-Control"] == "private, no-store" and "ETag" not in flashed.headers
    page = client.get("/incidents")
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in page.headers["Vary"]
    etag = page.headers["ETag"]
    again = client.get("/incidents", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    answer = api("author").get("/api/v1/incidents")
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in answer.headers["Vary"]
    assert api("author").get("/api/v1/incidents", headers={
        "If-None-Match": answer.headers["ETag"]}).status_code == 304
    builders.create_incident(api("author"), title="A new one")
    assert api("author").get("/api/v1/incidents", headers={
        "If-None-Match": answer.headers["ETag"]}).status_code == 200


def test_an_https_caller_gets_https_urls(api) -> None:
    author = api("author")
    builders.create_incident(author, title="Over TLS")
    plain = author.get("/api/v1/incidents").get_json()["items"][0]["url"]
    secure = author.get("/api/v1/incidents", base_url="https://localhost").get_json()
    assert plain.startswith("http://") and secure["items"][0]["url"].startswith("https://")


CACHE_TEXT = ("The edge cache TTL was set to zero by a config rollout; the origin was "
              "overwhelmed by cache misses and checkout returned errors.")
CERT_TEXT = ("An internal TLS certificate expired at midnight; the login service refused "
             "connections until the certificate was renewed and rotated.")


def _archive(author: Any) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"cache": [], "cert": []}
    for number in range(4):
        keys["cache"].append(builders.create_incident(
            author, title=f"Cache TTL config rollout overwhelmed the origin ({number})",
            sections={"summary": CACHE_TEXT})["key"])
        keys["cert"].append(builders.create_incident(
            author, title=f"Expired TLS certificate on login ({number})",
            sections={"summary": CERT_TEXT})["key"])
    return keys


def test_a_new_post_mortem_is_placed_without_a_full_recomputation(app, api) -> None:
    author = api("author")
    keys = _archive(author)
    api.refresh_insights()
    with app.app_context():
        computed = db.session.scalar(select(InsightState.computed_at))
        assert db.session.scalar(select(func.count()).select_from(InsightQueue)) == 0
    new = builders.create_incident(author, title="Cache TTL rollout took the origin down again",
                                   sections={"summary": CACHE_TEXT})["key"]
    number = int(new.split("-")[1])
    with app.app_context():
        queued = db.session.get(InsightQueue, number)
        assert queued is not None and queued.placed_at is None
        # Not yet quiet: nothing is due; later it is, and it is placed on its own.
        assert incremental.due(queued.written_at) == []
        assert incremental.place_due(utcnow() + timedelta(seconds=5)) == 1
        assert db.session.scalar(select(InsightState.computed_at)) == computed  # no full run
    similar = author.get(f"/api/v1/incidents/{new}/similar").get_json()
    assert similar and similar[0]["key"] in keys["cache"]
    assert all(s["key"] not in keys["cert"] for s in similar[:3])
    with app.app_context():
        themes = set(db.session.scalars(select(ThemeMember.theme_id)
                                        .where(ThemeMember.incident_id == number)))
        peers = set(db.session.scalars(select(ThemeMember.theme_id).join(Theme).where(
            ThemeMember.incident_id == int(keys["cache"][0].split("-")[1]),
            Theme.source == "detected")))
        assert peers and peers <= themes, "it joins its neighbours' theme at once"
        theme = db.session.get(Theme, sorted(peers)[0])
        assert new in theme.brief and theme.incident_count == 5
        # …and the nearest of its neighbours now lists it.
        assert db.session.scalar(select(func.count()).select_from(IncidentNeighbour).where(
            IncidentNeighbour.neighbour_id == number)) > 0


def test_the_full_recomputation_runs_on_its_schedule(app, api) -> None:
    author = api("author")
    _archive(author)
    with app.app_context():
        now = utcnow()
        assert worker.full_due(app, worker._status(), now)  # never computed
    api.refresh_insights()
    builders.create_incident(author, title="One more", sections={"summary": CERT_TEXT})
    with app.app_context():
        status = worker._status()
        now = utcnow()
        assert not worker.full_due(app, status, now)  # within the hour
        later = now + timedelta(hours=2)
        assert worker.full_due(app, status, later)  # 1 of 9 written: more than 5 %
        app.config["INSIGHTS_FULL_SHARE"] = 0.5
        assert not worker.full_due(app, status, later)
        insights.mark_changed()
        db.session.commit()
        assert worker.full_due(app, worker._status(), now)  # asked for


def test_a_recomputation_killed_midway_leaves_the_previous_results(app, api, tmp_path) -> None:
    author = api("author")
    _archive(author)
    api.refresh_insights()
    with app.app_context():
        before_neighbours = db.session.execute(select(
            IncidentNeighbour.incident_id, IncidentNeighbour.neighbour_id)).all()
        before_members = db.session.execute(select(
            ThemeMember.theme_id, ThemeMember.incident_id)).all()
        url = db.engine.url.render_as_string(hide_password=False)
    assert before_neighbours and before_members
    builders.create_incident(author, title="Cache TTL again", sections={"summary": CACHE_TEXT})
    # A child process runs the job and is killed (SIGKILL) after it deleted the old results in
    # its transaction, before it commits.
    script = textwrap.dedent(f"""
        import os, signal
        from postmortem import create_app
        from postmortem.services.insights import engine
        original = engine.theme_document
        def killed(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        engine.theme_document = killed
        app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "INSIGHTS_WORKER": False,
                          "INSTANCE_PATH": {str(tmp_path)!r}}})
        with app.app_context():
            engine.refresh(force=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ}, timeout=120)
    assert done.returncode == -9
    with app.app_context():
        db.session.remove()
        assert db.session.execute(select(IncidentNeighbour.incident_id,
                                         IncidentNeighbour.neighbour_id)).all() == before_neighbours
        assert db.session.execute(select(ThemeMember.theme_id,
                                         ThemeMember.incident_id)).all() == before_members
        # The lease it held runs out; the next run recomputes.
        state = db.session.get(InsightState, 1)
        state.locked_until = None
        db.session.commit()
    assert api.refresh_insights().skipped is False


def test_kept_pages_follow_what_they_show(app, client, login, api) -> None:
    """The read view and the service page are kept by what they show: a write to the
    post-mortem, another post-mortem of the service, a person's name or a deployment shows at
    once, and the similar list always names others by their current title."""
    author = api("admin")
    login("admin")
    keys = _archive(author)
    api.refresh_insights()
    first, second = keys["cache"][0], keys["cache"][1]
    assert client.get(f"/incidents/{first}").status_code == 200  # kept now
    assert client.get("/services/checkout").status_code == 200
    version = author.get(f"/api/v1/incidents/{second}").get_json()["version"]
    author.patch(f"/api/v1/incidents/{second}", json={
        "title": "Origin overwhelmed after the TTL rollout", "version": version})
    assert "Origin overwhelmed after the TTL rollout" in client.get(f"/incidents/{first}").text
    assert "Origin overwhelmed after the TTL rollout" in client.get("/services/checkout").text
    author.post(f"/api/v1/incidents/{first}/timeline", json={
        "at": "2026-03-14T09:30:00Z", "text": "Purged the edge cache by hand"})
    assert "Purged the edge cache by hand" in client.get(f"/incidents/{first}").text
    deployed = author.post("/api/v1/deployments", json={
        "service": "checkout", "version": "9.9.9", "environment": "production",
        "artifact": "registry.example.com/checkout@sha256:" + "a" * 64})
    assert deployed.status_code == 201, deployed.text
    assert "9.9.9" in client.get("/services/checkout").text


def test_theme_pages_are_kept_by_the_post_mortems_they_name(app, client, login, api) -> None:
    """A saved draft that no theme card names leaves the themes pages and the themes' version
    as they were (its placement moved no theme); a new title of a post-mortem a card names
    shows at once on the list and on the theme's page."""
    from postmortem.services import kept

    author = api("admin")
    login("admin")
    keys = _archive(author)
    api.refresh_insights()
    theme = next(t for t in author.get("/api/v1/themes").get_json()
                 if set(t["incidents"]) & set(keys["cache"]))
    named = sorted(set(theme["incidents"]) & set(keys["cache"]))[-1]
    pages = ["/themes", f"/themes/{theme['id']}"]
    assert all(client.get(path).status_code == 200 for path in pages)  # kept now
    draft = builders.create_incident(author, title="Unrelated disk alarm",
                                     sections={"summary": "A disk alarm fired."})["key"]
    with app.app_context():
        incremental.place_due(everything=True)
        themes_version = kept.versions(kept.THEMES)
    version = author.get(f"/api/v1/incidents/{draft}").get_json()["version"]
    author.patch(f"/api/v1/incidents/{draft}", json={
        "version": version, "sections": {"summary": "A disk alarm fired twice."}})
    with app.app_context():
        incremental.place_due(everything=True)
        assert kept.versions(kept.THEMES) == themes_version, "no theme's members changed"
    version = author.get(f"/api/v1/incidents/{named}").get_json()["version"]
    author.patch(f"/api/v1/incidents/{named}", json={
        "version": version, "title": "Origin melted after the TTL rollout"})
    for path in pages:
        assert "Origin melted after the TTL rollout" in client.get(path).text, path


def test_kept_files_are_tidied(tmp_path) -> None:
    from postmortem.services import kept

    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "page-old").write_bytes(b"x" * 10)
    (folder / "page-new").write_bytes(b"y" * 10)
    old = 1_000_000.0
    os.utime(folder / "page-old", (old, old))
    assert kept.tidy(str(tmp_path), now=old + kept.KEPT_FILES_AGE + 10) == 1
    assert not (folder / "page-old").exists() and (folder / "page-new").exists()


def test_kept_lists_history_board_and_api_follow_what_they_show(app, client, login, api) -> None:
    """The list, a history, the board and the API's post-mortem are kept by what they show:
    a write to a post-mortem on the page, a new revision and another host show at once (the
    board's own CSRF token: test_two_sign_ins_of_one_person_each_post_with_their_own_pages_token)."""
    author = api("admin")
    email = login("admin")
    key = builders.create_incident(author, title="Checkout timeouts at peak")["key"]
    author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Alert on checkout latency", "kind": "detect", "priority": "P2",
        "owner": email}).get_json()
    for path in ["/incidents", f"/incidents/{key}/history", "/action-items"]:
        assert client.get(path).status_code == 200  # kept now
    listed = author.get("/api/v1/incidents").get_json()["items"][0]
    assert listed["key"] == key and listed["counts"]["action_items"] == 1
    first = author.get(f"/api/v1/incidents/{key}").get_json()
    author.patch(f"/api/v1/incidents/{key}", json={
        "title": "Checkout timeouts during the sale", "version": first["version"]})
    assert "Checkout timeouts during the sale" in client.get("/incidents").text
    assert "Checkout timeouts during the sale" in client.get("/action-items").text
    history = client.get(f"/incidents/{key}/history").text
    assert history.count('name="a"') == 2  # the new revision is listed
    again = author.get(f"/api/v1/incidents/{key}").get_json()
    assert again["title"] == "Checkout timeouts during the sale"
    assert again["version"] == first["version"] + 1
    author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Load test the sale path", "kind": "prevent", "priority": "P2"})
    listed = author.get("/api/v1/incidents").get_json()["items"][0]
    assert listed["title"] == "Checkout timeouts during the sale"
    assert listed["counts"]["action_items"] == 2
    secure = author.get(f"/api/v1/incidents/{key}", base_url="https://localhost").get_json()
    assert secure["url"].startswith("https://") and again["url"].startswith("http://")


def test_the_worker_checkpoints_the_wal_so_saves_do_not(tmp_path) -> None:
    """With a worker thread, a connection leaves the WAL's checkpoints to it (a save that
    landed on one waited for it); database.checkpoint empties the WAL into the database."""
    from postmortem import database

    app = fresh_app(tmp_path, f"sqlite:///{tmp_path / 'wal.db'}")
    saved = dict(database._background)
    try:
        with app.app_context():
            db.engine.dispose()
            database.use_background_checkpoints()
            with db.engine.connect() as connection:
                pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                assert pages == database.BACKGROUND_AUTOCHECKPOINT_PAGES
            builders.make_user(role="author", email="wal@example.com", name="Wal Writer")

            def in_the_database_file() -> bool:  # the file itself, without the WAL
                reader = sqlite3.connect(f"file:{tmp_path / 'wal.db'}?immutable=1", uri=True)
                try:
                    return reader.execute("SELECT count(*) FROM users WHERE email = ?",
                                          ("wal@example.com",)).fetchone()[0] == 1
                finally:
                    reader.close()

            assert not in_the_database_file()  # the commit left it in the WAL
            database.checkpoint()
            assert in_the_database_file()
            db.session.remove()
            db.engine.dispose()
    finally:
        database._background.clear()
        database._background.update(saved)


def test_a_kept_search_page_is_what_a_fresh_search_shows_after_saves(app, api) -> None:
    """A page of matches kept on PostgreSQL (by the stamps of every match) is served again
    only while it is what the search shows: a match saved elsewhere that stays below the page
    leaves it, one that now ranks onto the page, a title changed on the page and a new match
    all show at once. Each answer equals the one worked out with nothing kept."""
    author = api("author")
    keys = [builders.create_incident(author, title=f"Replica lag {n}", sections={
        "summary": "replica " * (n % 4 + 1) + "the nightly batch ran long."})["key"]
            for n in range(12)]

    def page() -> dict[str, Any]:
        response = author.get("/api/v1/search?q=replica&per_page=5")
        assert response.status_code == 200, response.text
        return response.get_json()

    def fresh() -> dict[str, Any]:
        app.config["KEEP_ANSWERS"] = False
        try:
            return page()
        finally:
            app.config["KEEP_ANSWERS"] = True

    def save(key: str, **changes: Any) -> None:
        version = author.get(f"/api/v1/incidents/{key}").get_json()["version"]
        saved = author.patch(f"/api/v1/incidents/{key}", json={"version": version, **changes})
        assert saved.status_code == 200, saved.text

    first = page()
    assert first == fresh() and first["total"] == 12
    shown = [item["key"] for item in first["items"]]
    below = [key for key in keys if key not in shown]
    save(below[0], sections={"summary": "replica: the nightly batch ran long again."})
    assert page() == fresh()
    save(below[1], sections={"summary": "replica " * 40 + "lag everywhere."})
    now = page()
    assert now == fresh() and now["items"][0]["key"] == below[1]
    save(now["items"][1]["key"], title="Replica lag, renamed")
    assert page() == fresh() and "Replica lag, renamed" in {i["title"] for i in page()["items"]}
    builders.create_incident(author, title="Replica lag again", sections={"summary": "replica"})
    assert page() == fresh() and page()["total"] == 13


def test_a_row_added_beside_a_save_is_not_refused(app, api, monkeypatch) -> None:
    """A timeline event added while someone's save of the same post-mortem commits is kept,
    and so is the save: the added row takes its turn at the database's write lock before it
    reads the post-mortem (SQLite; PostgreSQL's row lock does the same), instead of failing
    as stale when the save lands between its read and its write."""
    import threading
    import time

    from postmortem.services.incidents import timeline

    author = api("author")
    key = builders.create_incident(author)["key"]
    version = author.get(f"/api/v1/incidents/{key}").get_json()["version"]
    paused, go = threading.Event(), threading.Event()
    real_touch = timeline.touch

    def slow_touch(*args: Any, **kwargs: Any) -> Any:
        paused.set()
        go.wait(10)
        return real_touch(*args, **kwargs)

    monkeypatch.setattr(timeline, "touch", slow_touch)
    answers: dict[str, Any] = {}
    adding = threading.Thread(target=lambda: answers.setdefault("add", author.post(
        f"/api/v1/incidents/{key}/timeline",
        json={"at": "2026-03-14T09:30:00Z", "text": "Paged the edge team"})))
    saving = threading.Thread(target=lambda: answers.setdefault("save", author.patch(
        f"/api/v1/incidents/{key}", json={"version": version,
                                          "sections": {"summary": "Saved meanwhile"}})))
    adding.start()
    assert paused.wait(10)
    saving.start()
    time.sleep(0.5)  # the save reaches the database while the event is being added
    go.set()
    adding.join(30)
    saving.join(30)
    assert answers["add"].status_code == 201, answers["add"].text
    assert answers["save"].status_code == 200, answers["save"].text
    whole = author.get(f"/api/v1/incidents/{key}").get_json()
    assert "Paged the edge team" in [event["text"] for event in whole["timeline"]]
    assert next(s for s in whole["sections"] if s["key"] == "summary")["markdown"] == "Saved meanwhile"
