"""Several writers at once (as with several app instances on one database): nothing is lost."""

from __future__ import annotations

import threading

from .builders import create_incident


def test_concurrent_saves_of_the_same_version_let_exactly_one_win(app, api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    tokens = [api("author").token, api("reviewer").token]
    barrier = threading.Barrier(len(tokens))
    results: list[int] = []

    def save(token: str, text: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.patch(f"/api/v1/incidents/{key}", json={
            "version": 1, "sections": {"summary": text}},
            headers={"Authorization": f"Bearer {token}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=save, args=(token, f"writer {n}"))
               for n, token in enumerate(tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [200, 409]
    body = author.get(f"/api/v1/incidents/{key}").get_json()
    assert body["version"] == 2
    assert body["sections"][0]["markdown"] in ("writer 0", "writer 1")
    revisions = author.get(f"/api/v1/incidents/{key}/revisions").get_json()
    assert [r["number"] for r in revisions] == [1, 2]


def test_concurrent_timeline_additions_all_land(app, api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    barrier = threading.Barrier(4)
    results: list[int] = []

    def add(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/incidents/{key}/timeline", json={
            "at": f"2026-03-14T09:1{n}:00Z", "text": f"event {n}"},
            headers={"Authorization": f"Bearer {author.token}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [201] * 4
    body = author.get(f"/api/v1/incidents/{key}").get_json()
    assert len(body["timeline"]) == 4
    numbers = [r["number"] for r in author.get(f"/api/v1/incidents/{key}/revisions").get_json()]
    assert numbers == [1, 2, 3, 4, 5]
