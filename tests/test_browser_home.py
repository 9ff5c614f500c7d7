"""The home page looked at in a browser: a reviewer with overdue items, and a new install."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from . import builders
from .browser import browser_login, screenshot
from .builders import create_incident, submit_for_review

pytestmark = pytest.mark.browser


def test_home_for_a_reviewer_with_overdue_items(app, api, page) -> None:
    with app.app_context():
        builders.make_user(role="reviewer", email="rui@example.com", name="Rui Costa")
    author = api("author")
    key = create_incident(author, title="Checkout errors after cache config rollout")["key"]
    today = datetime.now(UTC).date()
    for title, days in (("Add range validation to the cache config schema", -4),
                        ("Alert on config error rates", 3)):
        author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": title, "kind": "prevent", "owner": "rui@example.com",
            "due_date": (today + timedelta(days=days)).isoformat()})
    review = create_incident(author, title="Search latency during the sale",
                             reviewers=["rui@example.com"])["key"]
    submit_for_review(author, review)
    browser_login(page, "rui@example.com", builders.PASSWORD)
    page.goto("/")
    assert "Add range validation" in page.inner_text("[data-testid=my-items]")
    assert "Search latency during the sale" in page.inner_text("[data-testid=waiting]")
    assert page.inner_text("[data-testid=review-queue]").startswith("To review")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
    screenshot(page, "home-reviewer", height=900)


def test_first_run_checklist_on_an_empty_install(app, page) -> None:
    with app.app_context():
        builders.make_user(role="admin", email="admin@example.com", name="Admin")
    browser_login(page, "admin@example.com", builders.PASSWORD)
    page.goto("/")
    steps = page.locator("[data-testid=first-run] li")
    assert steps.count() == 5  # the admin's four install steps, and their own clock
    assert page.locator("[data-testid=first-run] li.unmet").count() == 5
    assert "/api/v1/deployments" in page.inner_text("[data-testid=first-run] pre")
    screenshot(page, "first-run", height=900)
