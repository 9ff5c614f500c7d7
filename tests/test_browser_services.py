"""The service page in a real browser: deployment timeline, incidents per version, LKG."""

from __future__ import annotations

import pytest

from . import builders
from .browser import browser_login, screenshot
from .test_deployments import deploy

pytestmark = pytest.mark.browser


def test_service_page_shows_history_versions_and_last_known_good(app, api, page) -> None:
    ci, author = api("deployer"), api("author")
    deploy(ci, "1.0.0", "2026-03-14T06:00:00Z")
    good = deploy(ci, "1.1.0", "2026-03-14T07:00:00Z").get_json()
    bad = deploy(ci, "1.2.0", "2026-03-14T08:55:00Z").get_json()
    ci.post("/api/v1/deployments", json={"service": "checkout", "version": "1.2.0-hotfix",
                                         "environment": "production", "kind": "manual",
                                         "deployed_at": "2026-03-14T09:20:00Z",
                                         "notes": "TTL patched by hand on two hosts"})
    deploy(ci, "1.1.0", "2026-03-14T09:40:00Z", kind="rollback")
    key = builders.create_incident(author, services=["checkout"])["key"]
    author.post(f"/api/v1/incidents/{key}/deployments", json={"deployment_id": bad["id"],
                                                              "role": "culprit"})
    author.post(f"/api/v1/incidents/{key}/deployments", json={"deployment_id": good["id"],
                                                              "role": "rollback_target"})
    with app.app_context():
        builders.make_user(role="viewer", email="v@example.com")
    browser_login(page, "v@example.com", builders.PASSWORD)
    page.goto("/services/checkout")
    timeline = page.inner_text("[data-testid=deploy-timeline]")
    assert timeline.index("1.1.0") < timeline.index("1.2.0-hotfix") < timeline.index("1.0.0")
    assert "out-of-band" in timeline and "running" in timeline
    assert f"{key} · Culprit" in timeline
    assert page.inner_text("[data-testid=lkg-version]") == "1.1.0"
    versions = page.inner_text("#versions")
    assert key in versions and "1.2.0" in versions
    assert "TTL patched by hand" in page.inner_text("#out-of-band")
    assert page.inner_text("[data-testid=cfr]") in ("0%", "20%", "25%", "—")
    screenshot(page, "service-page")
    page.click(f"#incidents a:has-text('{key}')")
    assert "Culprit" in page.inner_text("#deployments")
    assert "out-of-band" in page.inner_text("#timeline").lower()
