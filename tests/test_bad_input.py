"""A sweep of hostile and malformed values over every writable API field: never a 500,
always the contract's error shape."""

from __future__ import annotations

import pytest

from .builders import create_incident

BAD = [None, 1, -1, 1.5, True, "", "x", [], [1], {}, {"a": 1}, "2026-13-01", "9" * 400,
       "<script>", "\x00", [None], 10**40]


@pytest.fixture
def target(api):  # noqa: ANN001, ANN201
    admin = api("admin")
    key = create_incident(admin)["key"]
    item = admin.post(f"/api/v1/incidents/{key}/action-items",
                      json={"title": "t", "kind": "detect"}).get_json()["id"]
    return admin, key, item


def check(response) -> None:  # noqa: ANN001
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert set(response.get_json()) == {"error"}


def test_post_fields(target) -> None:
    admin, key, _ = target
    cases = {
        "/api/v1/incidents": ({"title": "t", "severity": "SEV2", "started_at": "2026-03-14T09:00:00Z"},
                              ["title", "severity", "started_at", "detected_at", "services", "tags",
                               "template", "sections", "commander"]),
        f"/api/v1/incidents/{key}/timeline": ({"at": "2026-03-14T09:00:00Z", "text": "x"},
                                              ["at", "kind", "text"]),
        f"/api/v1/incidents/{key}/factors": ({"text": "x"}, ["text", "category"]),
        f"/api/v1/incidents/{key}/action-items": (
            {"title": "x", "kind": "detect"},
            ["title", "kind", "owner", "team", "priority", "due_date", "factor_id", "status",
             "completed_at", "resolution_note", "external_url"]),
        "/api/v1/deployments": ({"service": "s", "version": "1", "environment": "p"},
                                ["service", "version", "environment", "deployed_at", "artifact",
                                 "kind", "url"]),
        f"/api/v1/incidents/{key}/deployments": ({"service": "s", "version": "1"},
                                                 ["deployment_id", "service", "version", "role"]),
        f"/api/v1/incidents/{key}/transition": ({"to": "draft"}, ["to", "comment"]),
        "/api/v1/services": ({"name": "zz"}, ["name", "team", "description"]),
    }
    for url, (base, fields) in cases.items():
        for field in fields:
            for value in BAD:
                check(admin.post(url, json={**base, field: value}))


def test_patch_fields(target) -> None:
    admin, key, item = target
    for field in ("version", "title", "severity", "started_at", "resolved_at", "services", "tags",
                  "commander", "sections", "metadata"):
        for value in BAD:
            version = admin.get(f"/api/v1/incidents/{key}").get_json()["version"]
            check(admin.patch(f"/api/v1/incidents/{key}", json={"version": version, field: value}))
    for field in ("title", "kind", "owner", "status", "due_date", "factor_id", "completed_at"):
        for value in BAD:
            check(admin.patch(f"/api/v1/action-items/{item}", json={field: value}))


def test_query_strings_and_ids(target) -> None:
    admin, key, _ = target
    for query in ("page=-1", "per_page=abc", "status=x", "since=x", "until=2026-13-01",
                  "overdue=maybe", "q=" + "x" * 1000, "severity=", "hours=0", "hours=x"):
        for url in ("/api/v1/incidents", "/api/v1/action-items", "/api/v1/deployments",
                    "/api/v1/services", "/api/v1/action-items/stats",
                    f"/api/v1/incidents/{key}/suggested-deployments"):
            check(admin.get(f"{url}?{query}"))
    for url in ("/api/v1/action-items/99999999999999999999999",
                "/api/v1/deployments/99999999999999999999999",
                f"/api/v1/incidents/{key}/revisions/99999999999999999999999",
                "/api/v1/incidents/INC-99999999999999999999999"):
        response = admin.get(url)
        assert response.status_code == 404, url
        check(response)
