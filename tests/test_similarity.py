"""Similar post-mortems and full-text search."""

from __future__ import annotations

from .builders import assert_error, create_incident


def test_similar_incidents_rank_the_closest_first(api) -> None:
    author = api("author")
    cache = create_incident(author, title="Checkout errors after cache TTL config rollout",
                            sections={"summary": "The edge cache TTL was set to zero by a config "
                                                 "rollout; the origin was overwhelmed."})["key"]
    again = create_incident(author, title="Cache TTL config change overwhelmed the origin",
                            sections={"summary": "Another config rollout set the cache TTL too "
                                                 "low and the origin was overwhelmed."})["key"]
    other = create_incident(author, title="Certificate expired on the login service",
                            sections={"summary": "An internal TLS certificate expired at "
                                                 "midnight."})["key"]
    assert author.get(f"/api/v1/incidents/{cache}/similar").get_json() == []  # not computed yet
    api.refresh_insights()
    found = author.get(f"/api/v1/incidents/{cache}/similar").get_json()
    assert found[0]["key"] == again and found[0]["score"] > 0
    assert cache not in [f["key"] for f in found]
    scores = [f["score"] for f in found]
    assert scores == sorted(scores, reverse=True)
    assert {"cache", "origin"} & set(found[0]["reasons"]["terms"])
    assert found[0]["reasons"]["services"] == ["checkout", "edge-cache"]  # the builder's default
    assert found[0]["reasons"]["versions"] == []
    if other in [f["key"] for f in found]:
        assert [f["key"] for f in found].index(other) > 0
    assert len(author.get(f"/api/v1/incidents/{cache}/similar?limit=1").get_json()) == 1
    assert_error(author.get(f"/api/v1/incidents/{cache}/similar?limit=0"), 422, "limit")
    assert_error(author.get("/api/v1/incidents/INC-999/similar"), 404)


def test_search_finds_words_anywhere_best_first(api, client, login) -> None:
    author = api("author")
    first = create_incident(author, title="Refunds stuck in a queue",
                            sections={"impact": "2,300 refunds waited six hours."})["key"]
    second = create_incident(author, title="Search slow during the sale")["key"]
    author.post(f"/api/v1/incidents/{second}/timeline", json={
        "at": "2026-03-14T09:30:00Z", "text": "A refund batch job competed for the database"})
    body = author.get("/api/v1/search?q=refunds").get_json()
    assert [i["key"] for i in body["items"]][0] == first
    assert "refunds" in body["items"][0]["snippet"].lower()
    # Word forms match: the second one's timeline says "refund".
    assert body["total"] == 2 and body["page"] == 1 and body["items"][1]["key"] == second
    assert "<mark>" in body["items"][0]["snippet_html"]
    assert [i["key"] for i in author.get("/api/v1/search?q=database+batch").get_json()["items"]] == [second]
    assert_error(author.get("/api/v1/search"), 422, "q")
    assert_error(author.get("/api/v1/search?q=a"), 422, "q")
    login("viewer")
    page = client.get("/incidents/search?q=refunds")
    assert page.status_code == 200 and "Refunds stuck in a queue" in page.text
    shown = client.get(f"/incidents/{first}")
    assert shown.status_code == 200


def test_the_editor_shows_similar_post_mortems_with_reasons(api, client, login) -> None:
    author = api("author")
    first = create_incident(author, title="Checkout errors after cache TTL config rollout",
                            sections={"summary": "A cache TTL config rollout overwhelmed the "
                                                 "origin."})["key"]
    draft = create_incident(author, title="Cache TTL set to zero again",
                            sections={"summary": "The cache TTL config was zero and the origin "
                                                 "was overwhelmed."})["key"]
    login("author")
    editor = client.get(f"/incidents/{draft}/edit")
    assert f'/incidents/{draft}/similar' in editor.text  # the panel loads itself
    assert "None yet" in client.get(f"/incidents/{draft}/similar").text
    api.refresh_insights()  # what the worker does a moment after the save
    panel = client.get(f"/incidents/{draft}/similar").text
    assert first in panel and "shares" in panel and "same service" in panel
