"""The first thing a new user meets, in a real browser: log in, look around, log out."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from . import builders
from .browser import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_log_in_navigate_and_log_out(app, page) -> None:
    with app.app_context():
        builders.make_user(role="admin", email="admin@example.com", name="Ada Admin")
    page.goto("/incidents")
    assert "/login" in page.url
    screenshot(page, "login")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator(".form-errors").inner_text().strip() == "Wrong email or password."
    browser_login(page, "admin@example.com", builders.PASSWORD)
    assert urlparse(page.url).path == "/"  # signing in lands on the home page
    assert page.locator("h1").inner_text().startswith("Hello")
    page.goto("/incidents")
    assert page.locator("h1").inner_text() == "Incidents"
    nav = page.locator(".nav-links").inner_text()
    assert "Incidents" in nav and "Services" in nav
    page.click("text=Services")
    page.fill("input[name=name]", "checkout")
    page.fill("input[name=team]", "payments")
    page.click("text=Add service")
    assert page.locator("h1").inner_text() == "checkout"
    page.click(".user-menu summary")
    page.click("text=Users & roles")
    assert "Ada Admin" in page.locator("table").inner_text()
    page.click(".user-menu summary")
    page.click("text=Log out")
    page.wait_for_url("**/login")
    page.goto("/services")
    assert "/login" in page.url
