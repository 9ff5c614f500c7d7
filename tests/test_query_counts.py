"""No query per row: every list, board and read page runs as many queries with three times the
rows as with the first ones (each counted on a warm second request, after the insight job, with
whole-page caching off so the page's own queries are counted)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from postmortem.extensions import db

from .builders import PASSWORD, create_incident

HTML_PAGES = [
    "/", "/incidents", "/incidents?service=checkout", "/incidents/INC-1", "/incidents/INC-1/edit",
    "/incidents/INC-1/history", "/incidents/INC-1/review", "/incidents/INC-1.md",
    "/action-items", "/action-items?status=all&group=owner", "/action-items?group=incident",
    "/action-items/mine?all=1", "/action-items/present", "/services", "/services/checkout",
    "/themes", "/insights", "/incidents/search?q=cache",
]
API_PAGES = [
    "/api/v1/incidents", "/api/v1/incidents?view=full", "/api/v1/incidents/INC-1",
    "/api/v1/action-items",
    "/api/v1/action-items/stats", "/api/v1/deployments", "/api/v1/services",
    "/api/v1/services/checkout", "/api/v1/themes", "/api/v1/themes?view=full",
    "/api/v1/search?q=cache",
    "/api/v1/incidents/INC-1/similar", "/api/v1/incidents/INC-1/action-items",
]


def _count(app: Any, get: Any, path: str) -> int:
    app.config["KEEP_ANSWERS"] = False  # count the page's own work
    with app.app_context():
        engine = db.engine
    get(path)  # warm: shared figures are computed once per change
    seen: list[int] = []

    def count(*_args: object) -> None:
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen)


def _add_rows(author: Any, deployer: Any, start: int, count: int) -> None:
    """Post-mortems with everything a page lists per row: services, tags, timeline events,
    factors, owned action items (some done), linked deployments, reviewers."""
    for n in range(start, start + count):
        key = create_incident(author, title=f"Cache outage number {n}", tags=["cache", f"t{n}"],
                              services=["checkout", "edge-cache"])["key"]
        author.post(f"/api/v1/incidents/{key}/timeline", json={
            "at": "2026-03-14T09:10:00Z", "text": f"Cache hit rate fell, event {n}"})
        factor = author.post(f"/api/v1/incidents/{key}/factors", json={
            "text": f"Cache TTL set to zero {n}", "category": "config-change"}).get_json()
        for m in range(2):
            item = author.post(f"/api/v1/incidents/{key}/action-items", json={
                "title": f"Check cache TTLs {n}.{m}", "kind": "prevent", "owner": author.email,
                "team": f"team-{m}", "due_date": "2026-01-01", "factor_id": factor["id"]}).get_json()
            if m:
                author.patch(f"/api/v1/action-items/{item['id']}", json={
                    "status": "done", "completed_at": "2026-04-01T00:00:00Z"})
        deployed = deployer.post("/api/v1/deployments", json={
            "service": "checkout", "version": f"1.{n}.0", "environment": "production",
            "artifact": f"registry.example.com/checkout@sha256:{n:064x}",
            "deployed_at": f"2026-03-{10 + n % 4:02d}T08:00:00Z"}).get_json()
        author.post(f"/api/v1/incidents/{key}/deployments", json={
            "deployment_id": deployed["id"], "role": "suspected"})


@pytest.mark.parametrize("kind", ["html", "api"])
def test_pages_do_not_query_per_row(app, api, client, kind) -> None:  # noqa: ANN001
    author, deployer = api("author"), api("deployer")
    _add_rows(author, deployer, 1, 2)
    api.refresh_insights()
    if kind == "html":
        client.post("/login", data={"email": author.email, "password": PASSWORD})
        get, paths = client.get, HTML_PAGES
    else:
        get, paths = author.get, API_PAGES
    before = {path: _count(app, get, path) for path in paths}
    _add_rows(author, deployer, 3, 4)
    api.refresh_insights()
    after = {path: _count(app, get, path) for path in paths}
    grew = {path: (before[path], after[path]) for path in paths if after[path] > before[path]}
    assert grew == {}, f"queries grew with the rows (before, after): {grew}"
