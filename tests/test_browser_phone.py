"""A 390-pixel phone: no page scrolls sideways, the navigation wraps, previews stay out of the way."""

from __future__ import annotations

import pytest

from . import builders
from .browser import browser_login, screenshot
from .builders import create_incident

pytestmark = pytest.mark.browser


def test_pages_fit_a_phone(app, api, page) -> None:
    with app.app_context():
        builders.make_user(role="author", email="ana@example.com", name="Ana Lima")
    author = api("author")
    key = create_incident(author, sections={"summary": "Checkout failed for 39 minutes."})["key"]
    author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Add a range check to the cache config schema", "kind": "prevent",
        "due_date": "2026-04-01", "team": "edge"})
    author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:05:00Z", "kind": "detection", "text": "Alert fired"})
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    overflowing = {}
    author.post(f"/api/v1/incidents/{key}/factors", json={"text": "TTL validated for type only"})
    for path in ("/", "/incidents", f"/incidents/{key}", f"/incidents/{key}/edit",
                 f"/incidents/{key}/review", f"/incidents/{key}/history", "/action-items",
                 "/services", "/insights", "/themes", "/incidents/import", "/incidents/search?q=checkout"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            overflowing[path] = width
    assert overflowing == {}
    page.goto(f"/incidents/{key}/edit")
    # Every navigation link is reachable (the bar wraps instead of hiding links).
    assert page.locator("nav .nav-links a:has-text('Insights')").is_visible()
    screenshot(page, "editor-phone", height=844)
