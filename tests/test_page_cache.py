"""Whole pages shared from the cache: served again without the page's own work, never stale
after a write, never one person's page for another, never a stored flash, and forms on a stored
page carry the reader's own CSRF token."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import event

from postmortem.extensions import db

from . import builders
from .builders import PASSWORD, create_incident


def queries(app: Any, get: Any) -> tuple[Any, int]:
    with app.app_context():
        engine = db.engine
    seen: list[int] = []

    def count(*_args: object) -> None:
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = get()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return response, len(seen)


def test_a_page_is_shared_until_the_next_write(app, api, client, login) -> None:
    author = api("author")
    key = create_incident(author, title="Checkout errors")["key"]
    login("viewer", name="Vera Viewer")
    client.get("/")  # shows the login's "welcome back" (that page is not stored)
    first, work = queries(app, lambda: client.get(f"/incidents/{key}"))
    again, served = queries(app, lambda: client.get(f"/incidents/{key}"))
    assert again.get_data() == first.get_data() and "Checkout errors" in again.get_data(as_text=True)
    assert served == 1 < work  # the stored page, before even the person is loaded
    # A write shows at once, on every page that shows it.
    author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "title": "Checkout outage"})
    assert "Checkout outage" in client.get(f"/incidents/{key}").get_data(as_text=True)
    assert "Checkout outage" in client.get("/incidents").get_data(as_text=True)
    # So does a person's new name (the pages name commanders, owners, authors).
    with app.app_context():
        user = db.session.scalar(db.select(builders.User).filter_by(email=author.email))
        user.name = "Renamed Author"
        db.session.commit()
    assert "Renamed Author" in client.get(f"/incidents/{key}/history").get_data(as_text=True)
    # The API's answers too.
    assert author.get(f"/api/v1/incidents/{key}").get_json()["title"] == "Checkout outage"
    author.patch(f"/api/v1/incidents/{key}", json={"version": 2, "title": "Checkout outage, EU"})
    assert author.get(f"/api/v1/incidents/{key}").get_json()["title"] == "Checkout outage, EU"
    assert [i["title"] for i in author.get("/api/v1/incidents").get_json()["items"]] == \
        ["Checkout outage, EU"]


def test_each_person_gets_their_own_page(app, api) -> None:
    key = create_incident(api("author"))["key"]
    pages = {}
    for role, name in (("author", "Ana Author"), ("viewer", "Vic Viewer")):
        with app.app_context():
            email = builders.make_user(role=role, name=name).email
        client = app.test_client()
        client.post("/login", data={"email": email, "password": PASSWORD})
        pages[name] = client.get(f"/incidents/{key}").get_data(as_text=True)
        pages[name + " again"] = client.get(f"/incidents/{key}").get_data(as_text=True)
    assert "Ana Author" in pages["Ana Author again"] and "Vic Viewer" not in pages["Ana Author again"]
    assert "Vic Viewer" in pages["Vic Viewer again"] and "Ana Author" not in pages["Vic Viewer again"]
    edit = f'href="/incidents/{key}/edit"'
    assert edit in pages["Ana Author again"] and edit not in pages["Vic Viewer again"]


def test_flash_messages_are_never_stored(app, api, client, login) -> None:
    key = create_incident(api("author"))["key"]
    login("author")
    client.get(f"/incidents/{key}")  # stored
    client.post(f"/incidents/{key}/comments", data={"body": "", "section": ""})  # refused: no flash kept
    client.post(f"/incidents/{key}/transition", data={"to": "in_review"})  # empty: refused
    shown = client.get(f"/incidents/{key}/review").get_data(as_text=True)
    assert "Not submitted for review" in shown and "write the post-mortem" in shown
    again = client.get(f"/incidents/{key}/review").get_data(as_text=True)
    assert "Not submitted for review" not in again


def test_a_stored_page_carries_the_readers_own_csrf_token(app, api) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    key = create_incident(api("author"))["key"]
    tokens = []
    for name in ("Ana", "Bea"):
        with app.app_context():
            email = builders.make_user(role="author", name=name).email
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        for _ in range(2):  # the second is the stored page
            page = client.get(f"/incidents/{key}/review").get_data(as_text=True)
        assert "<!--csrf-token-->" not in page
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        tokens.append(token)
        posted = client.post(f"/incidents/{key}/comments",
                             data={"body": f"{name} was here", "section": "", "csrf_token": token})
        assert posted.status_code == 302, posted.get_data(as_text=True)[:300]
    assert tokens[0] != tokens[1]


def test_a_sign_in_counts_once_a_day(app, client) -> None:
    """The users page shows the day each person last signed in: the first sign-in of a day makes
    stored pages stale, the others do not."""
    from postmortem.models import InsightState

    def writes() -> int:
        with app.app_context():
            return db.session.scalar(db.select(InsightState.writes)) or 0

    with app.app_context():
        email = builders.make_user(role="admin", name="Ada Admin").email
    start = writes()
    client.post("/login", data={"email": email, "password": PASSWORD})
    first = writes()
    assert first > start
    assert "never" not in client.get("/admin/users").get_data(as_text=True).split("Ada Admin")[1][:300]
    client.post("/logout")
    client.post("/login", data={"email": email, "password": PASSWORD})
    assert writes() == first


def test_clients_that_accept_gzip_get_the_stored_compressed_copy(app, api, client, login) -> None:
    import gzip
    import json

    author = api("author")
    for n in range(6):
        create_incident(author, title=f"Checkout errors {n}", sections={"impact": "Slow. " * 200})
    plain = author.get("/api/v1/incidents")
    for _ in range(2):  # rendered and stored, then served from the store
        packed = author.get("/api/v1/incidents", headers={"Accept-Encoding": "gzip, deflate"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert json.loads(gzip.decompress(packed.get_data())) == plain.get_json()
        assert len(packed.get_data()) < len(plain.get_data()) / 4
    assert "Content-Encoding" not in author.get("/api/v1/incidents").headers
    # A page with a form carries the reader's own token: never a stored compressed copy.
    login("author")
    page = client.get("/incidents", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in page.headers and b"csrf_token" in page.get_data()


def test_text_that_looks_like_the_token_mark_is_left_alone(api, client, login) -> None:
    author = api("author")
    key = create_incident(author, sections={"impact": "Literally <!--csrf-token--> here."})["key"]
    for _ in range(2):  # rendered and stored, then served from the store
        sections = author.get(f"/api/v1/incidents/{key}").get_json()["sections"]
        assert [s["markdown"] for s in sections if s["key"] == "impact"] == [
            "Literally <!--csrf-token--> here."]
    login("author")
    for _ in range(2):
        assert "Literally <!--csrf-token--> here." in client.get(f"/incidents/{key}.md").get_data(as_text=True)


def test_a_new_token_ticks_the_first_steps_but_using_one_is_not_a_write(app, client, login) -> None:
    from postmortem.models import InsightState

    with app.app_context():
        deployer_id = builders.make_user(role="deployer").id
    login("admin")
    client.get("/")  # the sign-in's welcome
    assert 'class="unmet" data-step="ci_token"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        token = builders.make_token(db.session.get(builders.User, deployer_id), "ci")
    assert 'class="met" data-step="ci_token"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(db.select(InsightState.writes))
    app.test_client().get("/api/v1/services", headers={"Authorization": f"Bearer {token}"})
    with app.app_context():
        assert db.session.scalar(db.select(InsightState.writes)) == before


def _person(app: Any, email: str) -> Any:
    return db.session.scalar(db.select(builders.User).filter_by(email=email))


def test_a_stored_page_is_never_served_past_a_change_to_its_reader(app, api, client, login) -> None:
    """Stored pages are served before the person is loaded: a new role, a new password or a
    deactivation must still reach the same session's next request at once."""
    from postmortem.services import accounts

    key = create_incident(api("author"))["key"]
    with app.app_context():
        builders.make_user(role="admin")  # so that this one may be demoted
    email = login("admin")
    for _ in range(2):
        assert client.get("/admin/users").status_code == 200
        assert client.get(f"/incidents/{key}").status_code == 200
    with app.app_context():  # another admin makes them a viewer
        accounts.update_user(_person(app, email), role="viewer", active=True)
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/incidents/{key}").status_code == 200

    other = app.test_client()  # the same person, signed in elsewhere, changes their password
    other.post("/login", data={"email": email, "password": PASSWORD})
    for _ in range(2):
        assert other.get(f"/incidents/{key}").status_code == 200
    with app.app_context():
        accounts.set_password(_person(app, email), "a-brand-new-passphrase-42")
    gone = client.get(f"/incidents/{key}")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]

    other.post("/login", data={"email": email, "password": "a-brand-new-passphrase-42"})
    for _ in range(2):
        assert other.get(f"/incidents/{key}").status_code == 200
    with app.app_context():
        accounts.update_user(_person(app, email), role="viewer", active=False)
    assert other.get(f"/incidents/{key}").status_code == 302


def test_a_revoked_token_is_refused_at_once_though_its_answers_were_stored(app, api) -> None:
    from postmortem.models import ApiToken
    from postmortem.services import accounts

    author = api("author")
    create_incident(author)
    for _ in range(2):
        assert author.get("/api/v1/incidents").status_code == 200
    again, served = queries(app, lambda: author.get("/api/v1/incidents"))
    assert again.status_code == 200 and served == 1  # stored, and the token's use is recent
    with app.app_context():
        person = _person(app, author.email)
        token_id = db.session.scalar(db.select(ApiToken.id).filter_by(user_id=person.id))
        accounts.revoke_token(person, token_id)
    assert author.get("/api/v1/incidents").status_code == 401


def test_a_page_asked_for_with_a_session_and_a_token_is_the_sessions(app, api, client, login) -> None:
    """Pages take the signed-in session over a token (as flask-login does): the answer stored
    for one is never served to the other."""
    key = create_incident(api("author"), title="Checkout errors")["key"]
    login("viewer", name="Vic Viewer")
    author = api("author")
    both = {"Authorization": f"Bearer {author.token}"}
    alone = app.test_client()  # the token alone: the author's page, stored
    for _ in range(2):
        page = alone.get(f"/incidents/{key}", headers=both).get_data(as_text=True)
        assert f'href="/incidents/{key}/edit"' in page and "Vic Viewer" not in page
    for _ in range(2):
        page = client.get(f"/incidents/{key}", headers=both).get_data(as_text=True)
        assert "Vic Viewer" in page and f'href="/incidents/{key}/edit"' not in page


def test_new_deployments_leave_the_pages_that_show_none_stored(app, api, client, login) -> None:
    """A pipeline records deployments all day: the pages that show no deployment (the board,
    the list, themes, search) stay stored, while every page that shows deployments is fresh."""
    def deploy(version: str, service: str = "checkout") -> Any:
        return ci.post("/api/v1/deployments", json={
            "service": service, "version": version, "environment": "production",
            "deployed_at": f"2026-03-14T0{len(version)}:00:00Z",
            "artifact": f"registry.example.com/{service}@sha256:{version.replace('.', '') * 16}"})

    ci, author = api("deployer"), api("author")
    assert deploy("1.0.0").status_code == 201
    key = create_incident(author, title="Checkout errors", services=["checkout"])["key"]
    login("viewer")
    client.get("/")  # the sign-in's welcome
    for _ in range(2):
        client.get("/action-items"), client.get("/incidents"), client.get(f"/incidents/{key}")
        author.get("/api/v1/action-items"), author.get("/api/v1/deployments")
    assert deploy("1.1.0").status_code == 201
    board, work = queries(app, lambda: client.get("/action-items"))
    listing, listed = queries(app, lambda: client.get("/incidents"))
    assert board.status_code == listing.status_code == 200 and work == listed == 1
    _, items = queries(app, lambda: author.get("/api/v1/action-items"))
    assert items == 1
    # What shows deployments has the new one at once.
    assert "1.1.0" in [d["version"] for d in author.get("/api/v1/deployments").get_json()["items"]]
    assert "1.1.0" in client.get("/services/checkout").get_data(as_text=True)
    # A deployment of a new service is more than that: the list's service filter offers it.
    assert deploy("2.0.0", service="ledger").status_code == 201
    assert 'value="ledger"' in client.get("/incidents").get_data(as_text=True)
    # And any other write still reaches every page at once.
    author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "title": "Checkout outage"})
    assert "Checkout outage" in client.get("/incidents").get_data(as_text=True)


def test_a_large_answer_is_held_in_memory_until_the_next_write(app, api) -> None:
    """A large stored answer is served from the process's memory while it is current: the
    query that checks the write count sends no body (here the stored row is overwritten behind
    the cache's back, and the held copy is still what is served), and any write ends it."""
    import gzip

    from sqlalchemy import update

    from postmortem.models import CachedFigure
    from postmortem.services import figures

    author = api("author")
    long_text = "A long narrative paragraph about the outage. " * 1200  # ~54 KB
    create_incident(author, sections={"summary": long_text})
    path = "/api/v1/incidents?view=full"
    first = author.get(path)
    assert first.status_code == 200 and len(first.data) > figures.HELD_FROM
    with app.app_context():
        db.session.execute(update(CachedFigure).values(body='{"tampered": true}', gzip=None))
        db.session.commit()
    held, count = queries(app, lambda: author.get(path))
    assert held.data == first.data and count == 1
    # A client that accepts gzip is not sent the plain copy held for the others.
    with app.app_context():
        db.session.execute(update(CachedFigure).values(gzip=gzip.compress(first.data)))
        db.session.commit()
    zipped = author.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.data) == first.data
    assert author.get(path).data == first.data  # both forms held now
    # A write makes it stale: the next answer is rendered again, with the change.
    create_incident(author, title="Another outage")
    after = author.get(path).get_json()
    assert after["total"] == 2 and "tampered" not in after
