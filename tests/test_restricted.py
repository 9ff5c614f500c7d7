"""Restricted post-mortems: for everyone but its author, commander, reviewers, readers and
admins it does not exist. Every GET route of the app (read from its URL map, so a new page is
walked without anyone adding it here) is asked as an outsider and as a reader."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import (
    ActionItem,
    Incident,
    IncidentNeighbour,
    Revision,
    Theme,
    ThemeMember,
    User,
    today,
    utcnow,
)
from postmortem.services import incidents, insights

from . import builders
from .conftest import fresh_app

WORD = "zanzibarquill"  # in the restricted post-mortem's title, summary and action item only
SHARED = {
    "summary": "Checkout returned errors after the cache config rollout changed the TTL.",
    "impact": "Checkout requests failed for forty minutes while the cache config was wrong.",
}
# Routes whose arguments cannot be filled from the scenario, and why.
SKIPPED = {
    "static": "serves files from the static folder, never post-mortem data",
}
# Arguments some pages need to show everything they can.
QUERIES = {
    "incidents.search": {"q": f"{WORD} checkout"},
    "api.incidents.search": {"q": f"{WORD} checkout"},
    "incidents.index": {"q": "checkout"},
    "api.incidents.list_incidents": {"view": "full"},
    "reports.index": {"since": "2000-01-01"},
    "reports.digest_pdf": {"since": "2000-01-01"},
    "actions.board": {"status": "all"},
    "actions.export_csv": {"status": "all"},
    "actions.present": {"status": "all", "group": "incident"},
    "api.action_items.list_action_items": {},
    "api.themes.list_themes": {"view": "full", "min_incidents": "1"},
    "themes.index": {},
}


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Any]:
    app = fresh_app(tmp_path, database_url, PDF_DIGEST_APART=False)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Scene:
    """Four post-mortems sharing their words, one of them restricted with a word of its own."""

    def __init__(self, app: Any) -> None:
        self.app = app
        with app.app_context():
            people = {name: builders.make_user(role=role, email=f"{name}@example.com")
                      for name, role in (("author", "author"), ("reader", "viewer"),
                                         ("admin", "admin"), ("outsider", "viewer"),
                                         ("colleague", "author"), ("owner", "viewer"),
                                         ("reviewer", "reviewer"))}
            self.emails = {name: user.email for name, user in people.items()}
            self.tokens = {name: builders.make_token(user) for name, user in people.items()}
            self.ids = {name: user.id for name, user in people.items()}
        self.author = builders.ApiClient(app.test_client(), self.tokens["author"])
        a_year_ago = (utcnow() - timedelta(days=365)).replace(hour=9, minute=0, second=0,
                                                              microsecond=0)
        self.started = a_year_ago.isoformat().replace("+00:00", "Z")
        self.ordinary = [self.post_mortem(f"Checkout cache config errors, part {n}", SHARED)
                         for n in (1, 2, 3)]
        self.key = self.post_mortem(
            f"Checkout cache config {WORD} credential leaked",
            {**SHARED, "summary": f"The {WORD} credential leaked through the cache config."},
            item=f"Rotate every {WORD} credential")
        self.number = int(self.key.split("-")[1])
        with app.app_context():
            item = db.session.scalars(db.select(ActionItem).where(
                ActionItem.incident_id == self.number)).one()
            self.item_id = item.id
            self.factor_id = item.factor_id
        deployment = self.author.client.post("/api/v1/deployments", json={
            "service": "checkout", "version": "1.2.3", "environment": "production",
            "artifact": "registry.example.com/checkout@sha256:" + "a" * 64,
            "deployed_at": self.started}, headers={"Authorization": f"Bearer {self.admin_token}"})
        assert deployment.status_code in (200, 201), deployment.text
        self.deployment_id = deployment.get_json()["id"]
        for key in (self.key, self.ordinary[0]):
            linked = self.author.post(f"/api/v1/incidents/{key}/deployments", json={
                "deployment_id": self.deployment_id, "role": "culprit"})
            assert linked.status_code == 201, linked.text
        # The insight job places it among the others while it is still open …
        with app.app_context():
            insights.refresh(force=True)
            # (so the walk below has something to find: it is a member and a neighbour)
            assert self.number in db.session.scalars(db.select(ThemeMember.incident_id)).all()
            assert self.number in db.session.scalars(
                db.select(IncidentNeighbour.neighbour_id)).all()
        # … then it is restricted: the stored themes and similar lists still name it until the
        # job runs again, so what is read must leave it out by itself.
        version = self.author.get(f"/api/v1/incidents/{self.key}").get_json()["version"]
        restricted = self.author.patch(f"/api/v1/incidents/{self.key}", json={
            "version": version, "restricted": True, "readers": [self.emails["reader"]]})
        assert restricted.status_code == 200, restricted.text
        body = restricted.get_json()
        assert body["restricted"] is True and body["readers"] == [self.emails["reader"]]

    @property
    def admin_token(self) -> str:
        return self.tokens["admin"]

    def post_mortem(self, title: str, sections: dict[str, str], item: str | None = None) -> str:
        created = builders.create_incident(self.author, title=title, services=["checkout"],
                                           tags=["cache"], started_at=self.started,
                                           sections=sections)
        key = created["key"]
        factor = self.author.post(f"/api/v1/incidents/{key}/factors", json={
            "text": "The cache config TTL was validated for type only",
            "category": "config-change"})
        assert factor.status_code == 201, factor.text
        done = self.author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": item or "Validate the cache config TTL range", "kind": "prevent",
            "owner": self.emails["owner"], "due_date": today().isoformat(),
            "factor_id": factor.get_json()["id"]})
        assert done.status_code == 201, done.text
        return str(key)

    def signed_in(self, name: str) -> Any:
        client = self.app.test_client()
        response = client.post("/login", data={"email": self.emails[name],
                                               "password": builders.PASSWORD})
        assert response.status_code == 302
        return client

    def api(self, name: str) -> builders.ApiClient:
        return builders.ApiClient(self.app.test_client(), self.tokens[name])


@pytest.fixture
def scene(app: Any) -> Scene:
    return Scene(app)


def text_of(response: Any) -> str:
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    return response.get_data(as_text=True)


def get_routes(app: Any, scene: Scene) -> list[tuple[str, str, bool]]:
    """(endpoint, url, under the restricted post-mortem) for every GET route."""
    with app.app_context():
        theme_ids = [theme["id"] for theme in insights.list_themes(min_incidents=1, seen="all")]
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        values: dict[str, Any] = {}
        for argument in rule.arguments:
            if argument == "key":
                values["key"] = "standard" if rule.endpoint.startswith("admin_templates") \
                    else scene.key
            elif argument == "item_id":
                values["item_id"] = scene.item_id
            elif argument == "deployment_id":
                values["deployment_id"] = scene.deployment_id
            elif argument == "number":
                values["number"] = 1
            elif argument == "name":
                values["name"] = "checkout"
            elif argument == "user_id":
                values["user_id"] = scene.ids["outsider"]
            elif argument == "theme_id":
                values["theme_id"] = "config-change"
            else:
                raise AssertionError(f"{rule.rule}: fill in <{argument}> or skip it with a reason")
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values, **QUERIES.get(rule.endpoint, {}))
        under = ("key" in values and values["key"] == scene.key) or "item_id" in values
        routes.append((rule.endpoint, url, under))
        if rule.endpoint.endswith("themes.show") or rule.endpoint.endswith("get_theme"):
            for theme_id in theme_ids:
                with app.test_request_context():
                    from flask import url_for

                    routes.append((rule.endpoint, url_for(rule.endpoint, theme_id=theme_id),
                                   False))
    assert len(routes) > 40
    return routes


def leaks(text: str, scene: Scene) -> list[str]:
    """The restricted post-mortem's key and word where they show in text (a search page's own
    echo of what was asked is not a leak)."""
    found = []
    for echo in (f"{WORD} checkout", f"{WORD}+checkout", f"{WORD}%20checkout"):
        text = text.replace(echo, "")
    if WORD in text.lower():
        found.append(WORD)
    if re.search(rf"\b{re.escape(scene.key)}\b", text):
        found.append(scene.key)
    return found


def walk(client: Any, routes: list[tuple[str, str, bool]]) -> dict[str, Any]:
    return {url: client.get(url) for _, url, _ in routes}


def assert_outsider_sees_nothing(scene: Scene, name: str) -> None:
    routes = get_routes(scene.app, scene)
    browser, api = scene.signed_in(name), scene.api(name)
    for endpoint, url, under in routes:
        response = (api if url.startswith("/api/") else browser).get(url)
        if under:
            if response.status_code == 403:
                # A page their role does not open answers 403 for any key, so it tells nothing.
                client = api if url.startswith("/api/") else browser
                missing = client.get(url.replace(scene.key, "INC-999999").replace(
                    f"/{scene.item_id}", "/999999"))
                assert missing.status_code == 403, (name, url)
            else:
                assert response.status_code == 404, (name, url, response.status_code)
            if url.startswith("/api/"):
                assert response.get_json()["error"]["status"] == 404
            continue  # (a 404 may repeat the key that was asked: the same as for any key)
        assert response.status_code < 500, (url, response.status_code)
        assert not leaks(text_of(response), scene), (name, endpoint, url, leaks(
            text_of(response), scene))


def test_an_outsider_gets_404_under_its_key_and_never_sees_its_key_or_word(scene) -> None:
    assert_outsider_sees_nothing(scene, "outsider")
    # An author who is not among its people is an outsider too.
    assert_outsider_sees_nothing(scene, "colleague")


def test_after_the_insight_job_runs_again_it_is_out_of_every_theme_and_similar_list(
        scene) -> None:
    with scene.app.app_context():
        insights.refresh(force=True)
        themes = insights.list_themes(min_incidents=1, seen="all")
        assert themes and all(scene.key not in theme["incidents"] for theme in themes)
    assert_outsider_sees_nothing(scene, "outsider")


def test_after_the_incremental_step_places_it_nothing_names_it_either(scene) -> None:
    from postmortem.services.insights import incremental

    def patch(**changes: Any) -> None:
        version = scene.author.get(f"/api/v1/incidents/{scene.key}").get_json()["version"]
        done = scene.author.patch(f"/api/v1/incidents/{scene.key}",
                                  json={"version": version, **changes})
        assert done.status_code == 200, done.text

    # Open, its fix done a while ago: the job names the fix beside the later post-mortems …
    patch(restricted=False)
    with scene.app.app_context():
        item = db.session.get(ActionItem, scene.item_id)
        item.status, item.completed_at = "done", utcnow() - timedelta(days=400)
        db.session.commit()
        insights.refresh(force=True)
        documents = " ".join(db.session.scalars(db.select(Theme.document)))
        assert f"Rotate every {WORD} credential" in documents
    # … then it is restricted again: read, the themes leave out its fix as well as itself …
    patch(restricted=True, readers=[scene.emails["reader"]])
    assert_outsider_sees_nothing(scene, "outsider")
    # … and once the incremental step has placed it, it is out of every stored theme.
    with scene.app.app_context():
        assert incremental.place_due(everything=True) >= 1
        assert scene.number not in db.session.scalars(db.select(ThemeMember.incident_id)).all()
    assert_outsider_sees_nothing(scene, "outsider")


@pytest.mark.parametrize("name", ["reader", "author", "admin"])
def test_its_people_read_it_and_find_it(scene, name) -> None:
    browser, api = scene.signed_in(name), scene.api(name)
    routes = get_routes(scene.app, scene)
    for _endpoint, url, under in routes:
        response = (api if url.startswith("/api/") else browser).get(url)
        if under:  # there for them (a viewer's role still closes the editor: 403)
            assert response.status_code in (200, 403), (name, url, response.status_code)
            assert response.status_code == 200 or name == "reader", (name, url)
        assert response.status_code < 500, (url, response.status_code)
    page = browser.get(f"/incidents/{scene.key}")
    assert page.status_code == 200 and WORD in page.text
    assert "no-store" in page.headers["Cache-Control"]
    assert "no-store" in api.get(f"/api/v1/incidents/{scene.key}").headers["Cache-Control"]
    assert "Restricted" in page.text and scene.emails["reader"] in page.text
    found = api.get("/api/v1/search", query_string={"q": WORD}).get_json()
    assert [row["key"] for row in found["items"]] == [scene.key]
    listed = browser.get("/incidents/search", query_string={"q": WORD})
    assert scene.key in listed.text
    assert scene.key in browser.get("/incidents").text
    assert scene.key in browser.get("/").text  # on this day, a year ago
    assert WORD in browser.get(f"/incidents/{scene.key}.md").text
    csv = browser.get("/action-items.csv", query_string={"status": "all"}).text
    assert WORD in csv


def test_reading_by_key_is_404_on_every_door(scene) -> None:
    browser, api = scene.signed_in("outsider"), scene.api("outsider")
    for url in (f"/incidents/{scene.key}", f"/incidents/{scene.key}.md",
                f"/incidents/{scene.key}.pdf", f"/incidents/{scene.key}/history",
                f"/incidents/{scene.key}/history/diff"):
        assert browser.get(url).status_code == 404, url
    for url in (f"/api/v1/incidents/{scene.key}", f"/api/v1/incidents/{scene.key}/revisions",
                f"/api/v1/incidents/{scene.key}/similar"):
        builders.assert_error(api.get(url), 404)
    # Writing to it answers the same: nobody learns it exists by trying.
    colleague = scene.api("colleague")
    builders.assert_error(colleague.patch(f"/api/v1/incidents/{scene.key}",
                                          json={"version": 1, "title": "x"}), 404)
    builders.assert_error(colleague.post(f"/api/v1/incidents/{scene.key}/timeline",
                                         json={"at": scene.started, "text": "x"}), 404)
    builders.assert_error(colleague.open(f"/api/v1/action-items/{scene.item_id}",
                                         method="PATCH", json={"status": "done"}), 404)
    # A key that does not exist answers exactly alike.
    missing = api.get("/api/v1/incidents/INC-999999").get_json()["error"]
    hidden = api.get(f"/api/v1/incidents/{scene.key}").get_json()["error"]
    assert missing["status"] == hidden["status"] == 404
    assert missing["message"].replace("INC-999999", "K") == hidden["message"].replace(
        scene.key, "K")


def test_its_action_items_owner_sees_the_item_but_not_the_post_mortem(scene) -> None:
    owner = scene.signed_in("owner")
    mine = owner.get("/action-items/mine", query_string={"all": "1"})
    assert f"Rotate every {WORD} credential" in mine.text
    assert not re.search(rf"\b{scene.key}\b", mine.text)
    assert "credential leaked" not in mine.text
    assert "From a restricted post-mortem" in mine.text
    detail = owner.get(f"/action-items/{scene.item_id}")
    assert detail.status_code == 200 and not re.search(rf"\b{scene.key}\b", detail.text)
    item = scene.api("owner").get(f"/api/v1/action-items/{scene.item_id}").get_json()
    assert item["incident_key"] is None and item["incident_title"] is None
    # On the board, the CSV and the API's list it is left out like its post-mortem.
    assert WORD not in owner.get("/action-items", query_string={"status": "all"}).text
    listed = scene.api("owner").get("/api/v1/action-items").get_json()["items"]
    assert scene.item_id not in [row["id"] for row in listed]


def test_restricting_opening_and_readers_are_kept_in_its_history_with_who(scene) -> None:
    author = scene.author
    version = author.get(f"/api/v1/incidents/{scene.key}").get_json()["version"]
    changed = author.patch(f"/api/v1/incidents/{scene.key}", json={
        "version": version, "readers": [scene.emails["outsider"]]})
    assert changed.status_code == 200, changed.text
    version = changed.get_json()["version"]
    opened = author.patch(f"/api/v1/incidents/{scene.key}", json={
        "version": version, "restricted": False})
    assert opened.status_code == 200 and opened.get_json()["restricted"] is False
    with scene.app.app_context():
        rows = db.session.scalars(db.select(Revision).where(
            Revision.incident_id == scene.number).order_by(Revision.number)).all()
        history = [(row.summary, row.author.email if row.author else None) for row in rows]
    by = scene.emails["author"]
    assert ("Restricted to its readers; Readers added: reader@example.com", by) in history
    assert ("Readers added: outsider@example.com; Readers removed: reader@example.com",
            by) in history
    assert ("Opened to everyone", by) in history
    page = scene.signed_in("admin").get(f"/incidents/{scene.key}/history")
    assert "Opened to everyone" in page.text and "Restricted to its readers" in page.text
    # Open again: everyone reads it.
    assert scene.signed_in("colleague").get(f"/incidents/{scene.key}").status_code == 200


def test_restricting_a_published_post_mortem_needs_no_reopening(scene) -> None:
    key = scene.ordinary[1]
    reviewer = scene.api("reviewer")
    builders.make_publishable(scene.author, key)
    builders.submit_for_review(scene.author, key)
    assert reviewer.post(f"/api/v1/incidents/{key}/transition",
                         json={"to": "published"}).status_code == 200
    version = scene.author.get(f"/api/v1/incidents/{key}").get_json()["version"]
    builders.assert_error(scene.author.patch(f"/api/v1/incidents/{key}", json={
        "version": version, "title": "New title", "restricted": True}), 409)
    done = scene.author.patch(f"/api/v1/incidents/{key}", json={
        "version": version, "restricted": True})
    assert done.status_code == 200, done.text
    builders.assert_error(scene.api("outsider").get(f"/api/v1/incidents/{key}"), 404)


def test_bad_restriction_input_is_a_422_naming_the_field(scene) -> None:
    version = scene.author.get(f"/api/v1/incidents/{scene.key}").get_json()["version"]
    builders.assert_error(scene.author.patch(f"/api/v1/incidents/{scene.key}", json={
        "version": version, "readers": ["nobody@example.com"]}), 422, "readers")
    builders.assert_error(scene.author.patch(f"/api/v1/incidents/{scene.key}", json={
        "version": version, "readers": "reader@example.com, x"}), 422, "readers")
    builders.assert_error(scene.author.patch(f"/api/v1/incidents/{scene.key}", json={
        "version": version, "restricted": "perhaps"}), 422, "restricted")
    builders.assert_error(scene.author.post("/api/v1/incidents", json=builders.incident_payload(
        restricted=True, readers=["nobody@example.com"])), 422, "readers")


def test_an_admin_and_a_reader_do_not_share_kept_pages_with_an_outsider(scene) -> None:
    # The reader's pages are kept first; the outsider must not be served them.
    reader, outsider = scene.signed_in("reader"), scene.signed_in("outsider")
    pages = ["/", "/themes", "/insights?since=2000-01-01", "/services/checkout",
             "/action-items?status=all", f"/incidents/{scene.ordinary[0]}"]
    for url in pages:
        assert reader.get(url).status_code == 200
    for url in pages:
        assert not leaks(outsider.get(url).text, scene), url


def test_the_incident_service_check_is_one_rule(app, scene) -> None:
    with app.app_context():
        outsider = db.session.get(User, scene.ids["outsider"])
        reader = db.session.get(User, scene.ids["reader"])
        restricted = incidents.get_incident(scene.key, reader=None)
        assert incidents.may_read(restricted, reader) and not incidents.may_read(restricted,
                                                                                 outsider)
        assert incidents.sight(outsider) == [] and incidents.sight(reader) == [scene.number]
        shown = db.session.scalars(db.select(Incident.id).where(
            incidents.visible_to(outsider))).all()
        assert scene.number not in shown


def test_the_editor_has_the_switch_and_the_people_picker_and_the_page_a_banner(scene) -> None:
    key = scene.ordinary[2]
    author = scene.signed_in("author")
    editor = author.get(f"/incidents/{key}/edit")
    assert 'name="restricted"' in editor.text and 'name="readers"' in editor.text
    assert 'list="people"' in editor.text and "restricted-banner" not in editor.text
    with scene.app.app_context():
        incident = incidents.get_incident(key, reader=None)
        form = {"version": str(incident.version), "timezone": "UTC", "title": incident.title,
                "severity": incident.severity, "services": "checkout", "tags": "cache",
                "commander": "", "reviewers": "", "started_at": scene.started[:16],
                "restricted": "on", "readers": scene.emails["reader"],
                **{f"section-{s.key}": s.markdown for s in incident.sections}}
    saved = author.post(f"/incidents/{key}/edit", data=form)
    assert saved.status_code == 302, saved.text
    page = author.get(f"/incidents/{key}")
    assert 'data-testid="restricted-banner"' in page.text and scene.emails["reader"] in page.text
    assert scene.signed_in("outsider").get(f"/incidents/{key}").status_code == 404
    assert scene.signed_in("reader").get(f"/incidents/{key}").status_code == 200
    # The read view's own form opens it again (it works once published too).
    version = scene.author.get(f"/api/v1/incidents/{key}").get_json()["version"]
    opened = author.post(f"/incidents/{key}/access", data={"version": version, "readers": ""})
    assert opened.status_code == 302
    assert scene.signed_in("outsider").get(f"/incidents/{key}").status_code == 200
    with scene.app.app_context():
        summaries = [r.summary for r in incidents.get_incident(key, reader=None).revisions]
    assert summaries[-1] == "Opened to everyone; Readers removed: reader@example.com"


def test_its_markdown_says_restricted_and_an_import_of_it_is_restricted_too(scene) -> None:
    reader = scene.signed_in("reader")
    text = reader.get(f"/incidents/{scene.key}.md").text
    assert "restricted: true" in text and scene.emails["reader"] in text
    imported = scene.author.client.post(
        "/api/v1/import", data=text.encode(), query_string={"allow_duplicate": "true"},
        headers={"Authorization": f"Bearer {scene.tokens['author']}",
                 "Content-Type": "text/markdown"})
    assert imported.status_code == 201, imported.text
    key = imported.get_json()["key"]
    builders.assert_error(scene.api("outsider").get(f"/api/v1/incidents/{key}"), 404)
    assert scene.api("reader").get(f"/api/v1/incidents/{key}").get_json()["restricted"] is True
    pdf = text_of(reader.get(f"/incidents/{scene.key}.pdf"))
    assert "Restricted." in pdf and WORD in pdf


def test_an_outsiders_import_names_no_restricted_duplicate(scene) -> None:
    from postmortem.services import exchange

    text = scene.signed_in("admin").get(f"/incidents/{scene.key}.md").text
    with scene.app.app_context():
        colleague = db.session.get(User, scene.ids["colleague"])
        admin = db.session.get(User, scene.ids["admin"])
        assert exchange.preview_import(text, colleague).duplicate is None
        assert exchange.preview_import(text, admin).duplicate == scene.key


def test_the_digest_command_leaves_it_out_unless_its_sight_is_given(app, scene,
                                                                   tmp_path) -> None:
    from postmortem.services.exchange import pdf

    runner = app.test_cli_runner()
    for sight, shown in (("", False), (str(scene.number), True), ("all", True)):
        output = tmp_path / f"digest-{sight or 'none'}.pdf"
        result = runner.invoke(args=["digest", "--since", "2000-01-01", "--sight", sight,
                                     "-o", str(output)])
        assert result.exit_code == 0, result.output
        text = "\n".join(page.extract_text() for page in PdfReader(output).pages)
        assert (WORD in text) is shown, sight
        assert ("Checkout cache config errors, part 1" in text)
    bad = runner.invoke(args=["digest", "--sight", "INC-4", "-o", str(tmp_path / "x.pdf")])
    assert bad.exit_code != 0 and "--sight" in bad.output
    assert pdf.sight_of_text(pdf.sight_text([3, 5])) == [3, 5]
    assert pdf.sight_of_text(pdf.sight_text("all")) == "all"


def test_another_post_mortems_history_does_not_name_it_once_restricted(app) -> None:
    """A deployment linked to two post-mortems is saved in each one's revisions with both keys;
    once one is restricted, an outsider reading the other's history no longer sees its key."""
    with app.app_context():
        builders.make_user(role="admin", email="ada@example.com")
        admin_token = builders.make_token(db.session.scalar(
            select(User).where(User.email == "ada@example.com")))
        builders.make_user(role="viewer", email="vic@example.com")
        viewer_token = builders.make_token(db.session.scalar(
            select(User).where(User.email == "vic@example.com")))
    admin = builders.ApiClient(app.test_client(), admin_token)
    viewer = builders.ApiClient(app.test_client(), viewer_token)
    deployed = admin.post("/api/v1/deployments", json={
        "service": "checkout", "version": "7.1.0", "environment": "production",
        "artifact": "registry.example.com/checkout@sha256:" + "b" * 64}).get_json()
    secret = builders.create_incident(admin, title="Leaked signing key")["key"]
    ordinary = builders.create_incident(admin, title="Checkout errors")["key"]
    for key in (secret, ordinary):
        assert admin.post(f"/api/v1/incidents/{key}/deployments",
                          json={"deployment_id": deployed["id"]}).status_code in (200, 201)
    version = admin.get(f"/api/v1/incidents/{ordinary}").get_json()["version"]
    admin.patch(f"/api/v1/incidents/{ordinary}", json={"title": "Checkout errors again",
                                                        "version": version})
    numbers = [r["number"] for r in admin.get(f"/api/v1/incidents/{ordinary}/revisions").get_json()]
    assert secret in str(admin.get(f"/api/v1/incidents/{ordinary}/revisions/{numbers[-1]}").get_json())
    version = admin.get(f"/api/v1/incidents/{secret}").get_json()["version"]
    assert admin.patch(f"/api/v1/incidents/{secret}", json={
        "restricted": True, "version": version}).status_code == 200
    for number in numbers:
        seen = viewer.get(f"/api/v1/incidents/{ordinary}/revisions/{number}")
        assert seen.status_code == 200 and secret not in seen.text
    assert secret in str(admin.get(f"/api/v1/incidents/{ordinary}/revisions/{numbers[-1]}").get_json())
