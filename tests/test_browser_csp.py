"""Every page works under the Content-Security-Policy the app sends (no inline scripts)."""

from __future__ import annotations

import pytest

from . import builders
from .browser import browser_login
from .test_interchange import DOCUMENT, post_import

pytestmark = pytest.mark.browser


def test_pages_raise_no_csp_or_script_errors(app, api, chromium, live_server) -> None:
    key = post_import(api("author"), DOCUMENT.replace("status: published", "status: draft")).get_json()["key"]
    with app.app_context():
        builders.make_user(role="admin", email="csp@example.com")
    context = chromium.new_context(base_url=live_server.url)  # the policy is enforced
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    browser_login(page, "csp@example.com", builders.PASSWORD)
    for path in ("/incidents", f"/incidents/{key}", f"/incidents/{key}/edit",
                 f"/incidents/{key}/review", f"/incidents/{key}/history", "/action-items",
                 "/action-items/mine", "/services", "/services/edge-cache", "/themes",
                 "/insights", "/incidents/new", "/incidents/import", "/account/",
                 "/admin/users", "/admin/templates", "/admin/taxonomy"):
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    # Typing in the editor still previews and saves under the policy.
    page.goto(f"/incidents/{key}/edit")
    page.fill("textarea[name=section-impact]", "**Bold** impact")
    page.wait_for_selector("#preview-impact strong")
    page.click("[data-now]")  # the "Now" button fills the time (Intl, no inline script)
    page.fill("#tl-new-time", "10:00")
    page.fill("#tl-new-text", "Added through htmx under the policy")
    page.click("text=Add event")
    page.wait_for_selector("[data-testid=timeline-row] textarea:text-is('Added through htmx under the policy')")
    context.close()
    assert problems == []
