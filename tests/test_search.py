"""Search on the database's own full-text engine (SQLite FTS5, PostgreSQL tsvector): it finds
what people type, wherever in a post-mortem it is, right after every write; and no page view
computes similar post-mortems or themes."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import create_incident


def keys(client: Any, query: str) -> list[str]:
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.get_json()["items"]]


@pytest.fixture
def archive(api: Any) -> dict[str, Any]:
    author, deployer = api("author"), api("deployer")
    plain = create_incident(author, title="Login page slow for some users",
                            sections={"summary": "Pages took seconds to load."})["key"]
    timeline = create_incident(author, title="Queue backlog")["key"]
    author.post(f"/api/v1/incidents/{timeline}/timeline", json={
        "at": "2026-03-14T09:30:00Z", "text": "Kafka rebalancing storm seen on the consumers"})
    items = create_incident(author, title="Invoices late")["key"]
    item = author.post(f"/api/v1/incidents/{items}/action-items", json={
        "title": "Review invoice worker sizing", "kind": "prevent",
        "description": "Measure the flamegraph of the renderer under month-end load"}).get_json()
    version = create_incident(author, title="Bad release", services=["checkout"])["key"]
    deployed = deployer.post("/api/v1/deployments", json={
        "service": "checkout", "version": "8.10.0", "environment": "production",
        "artifact": "registry.example.com/checkout@sha256:" + "9f86d081884c7d65" + "0" * 48,
        "deployed_at": "2026-03-14T08:55:00Z"}).get_json()
    author.post(f"/api/v1/incidents/{version}/deployments", json={
        "deployment_id": deployed["id"], "role": "culprit"})
    db = create_incident(author, title="Orders db failover",
                         sections={"summary": "The db failed over and the certificate of the "
                                              "new primary was not trusted."})["key"]
    return {"author": author, "plain": plain, "timeline": timeline, "items": items,
            "item": item, "version": version, "db": db}


def test_search_finds_words_wherever_they_are(archive: dict[str, Any]) -> None:
    author = archive["author"]
    assert keys(author, "rebalancing") == [archive["timeline"]]  # only in a timeline event
    assert keys(author, "flamegraph") == [archive["items"]]  # only in an item's description
    assert keys(author, "8.10.0") == [archive["version"]]  # a version label
    assert keys(author, "9f86d081884c") == [archive["version"]]  # the start of a digest
    assert keys(author, "db") == [archive["db"]]  # a word of two letters
    assert keys(author, "certificates") == [archive["db"]]  # the text says "certificate"
    assert keys(author, "checkout 8.10.0") == [archive["version"]]  # every word must match
    assert keys(author, "no-such-word-anywhere") == []


def test_search_finds_people_and_marks_the_match(api: Any, archive: dict[str, Any]) -> None:
    author = archive["author"]
    found = keys(author, author.email.split("@")[0])  # the commander of every one of them
    assert set(found) == {archive[k] for k in ("plain", "timeline", "items", "version", "db")}
    body = author.get("/api/v1/search?q=failover").get_json()["items"][0]
    assert body["key"] == archive["db"] and body["status"] == "draft"
    assert "<mark>failover</mark>" in body["snippet_html"].lower() or \
        "<mark>failed</mark>" in body["snippet_html"].lower()
    assert "<" not in body["snippet"] and body["score"] >= 0


def test_search_follows_an_action_item_edit_at_once(archive: dict[str, Any]) -> None:
    author, item = archive["author"], archive["item"]
    assert keys(author, "sizing") == [archive["items"]]
    changed = author.patch(f"/api/v1/action-items/{item['id']}", json={
        "title": "Autoscale the invoice workers on queue depth"})
    assert changed.status_code == 200, changed.text
    assert keys(author, "sizing") == []
    assert keys(author, "autoscale") == [archive["items"]]


def test_archived_post_mortems_leave_search(api: Any, archive: dict[str, Any]) -> None:
    admin = api("admin")
    assert admin.delete(f"/api/v1/incidents/{archive['db']}").status_code == 204
    assert keys(archive["author"], "db") == []
    assert admin.post(f"/api/v1/incidents/{archive['db']}/restore").status_code == 200
    assert keys(archive["author"], "db") == [archive["db"]]


def test_search_text_that_is_not_a_query_is_refused_clearly(api: Any) -> None:
    author = api("author")
    for query in ("", "   ", "*", '"', "a"):
        response = author.get("/api/v1/search", query_string={"q": query})
        assert response.status_code == 422, (query, response.text)
        assert "q" in response.get_json()["error"]["fields"]
    for query in ('"unbalanced', "NEAR(", "a OR", "col:umn", "-minus", "x" * 600):
        assert author.get("/api/v1/search", query_string={"q": query}).status_code == 200


def test_no_page_view_computes_similar_post_mortems_or_themes(app: Any, api: Any, client: Any,
                                                              login: Any, monkeypatch: Any) -> None:
    from postmortem.services.insights import engine

    author = api("author")
    key = create_incident(author, title="Cache TTL zero", sections={"summary": "cache ttl"})["key"]
    create_incident(author, title="Cache TTL zero again", sections={"summary": "cache ttl"})
    api.refresh_insights()

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a page view computed insights")

    monkeypatch.setattr(engine, "compute_and_store", refuse)
    monkeypatch.setattr(engine, "load_corpus", refuse)
    login("author")
    for path in ("/", "/themes", f"/incidents/{key}", f"/incidents/{key}/edit",
                 f"/incidents/{key}/similar", "/insights", "/incidents/search?q=cache"):
        assert client.get(path).status_code == 200, path
    for path in ("/api/v1/themes", f"/api/v1/incidents/{key}/similar", "/api/v1/search?q=cache",
                 f"/api/v1/incidents/{key}", "/api/v1/themes?since=2026-01-01"):
        assert author.get(path).status_code == 200, path
