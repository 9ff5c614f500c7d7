"""The retro board in a real browser: inline status changes and a bulk update."""

from __future__ import annotations

import pytest

from . import builders
from .browser import SCREENSHOTS, browser_login, screenshot
from .builders import create_incident
from .test_action_items import three_items

pytestmark = pytest.mark.browser


def test_inline_and_bulk_updates_on_the_board(app, api, page) -> None:
    author, key, items = three_items(api)
    with app.app_context():
        builders.make_user(role="author", email="retro@example.com", name="Retro Lead")
    browser_login(page, "retro@example.com", builders.PASSWORD)
    page.goto("/action-items?status=all")
    first = page.locator(f"#item-{items[0]['id']}")
    # Inline: the select saves on change, without a page load.
    first.locator("select[name=status]").select_option("in_progress")
    page.wait_for_function(
        f"document.querySelector('#item-{items[0]['id']} select[name=status]').classList.contains('status-in_progress')")
    assert author.get(f"/api/v1/action-items/{items[0]['id']}").get_json()["status"] == "in_progress"
    # Won't do asks for a reason first.
    second = page.locator(f"#item-{items[1]['id']}")
    second.locator("select[name=status]").select_option("wont_do")
    note = second.locator(".note-input")
    assert note.is_visible()
    note.fill("Covered by the new config service")
    note.press("Enter")
    page.wait_for_function(
        f"document.querySelector('#item-{items[1]['id']} select[name=status]').classList.contains('status-wont_do')")
    body = author.get(f"/api/v1/action-items/{items[1]['id']}").get_json()
    assert body["status"] == "wont_do" and body["resolution_note"] == "Covered by the new config service"
    # Bulk: select two rows and mark them done, without a page load.
    page.evaluate("window.stillTheSamePage = true")
    for item in (items[0], items[2]):
        page.check(f"#item-{item['id']} input[name=ids]")
    page.select_option("#bulk-op", "done")
    page.click("text=Apply to selected")
    page.wait_for_selector(".flash-success")
    assert "2 item(s) moved to done" in page.inner_text(".flashes")
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator(f"#item-{items[0]['id']} select[name=status]").input_value() == "done"
    for item in (items[0], items[2]):
        assert author.get(f"/api/v1/action-items/{item['id']}").get_json()["status"] == "done"
    screenshot(page, "action-items-board")


def test_board_on_a_projector_and_the_presentation_view(app, api, page) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    for title, team, due in (("Add TTL range validation", "edge", "2026-01-10"),
                             ("Alert on cache hit ratio", "edge", "2099-01-10"),
                             ("Runbook for cache rollbacks", "sre", "2026-02-01"),
                             ("Canary for config bundles", "payments", "2099-03-01")):
        author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": title, "kind": "prevent", "team": team, "due_date": due})
    with app.app_context():
        builders.make_user(role="author", email="ana@example.com", name="Ana Lima")
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/action-items")
    # The items come first on a projector's first screen; the charts follow them.
    first_row = page.locator("[data-testid=item-row]").first.bounding_box()
    assert first_row is not None and first_row["y"] < 720
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "action-items-board-1280", height=720)
    # The charts, further down: legends and labels legible at projector size.
    charts = page.locator(".charts")
    charts.scroll_into_view_if_needed()
    legend = page.locator(".charts svg .legends text").first
    assert legend.bounding_box() is not None and legend.bounding_box()["height"] >= 10
    charts.screenshot(path=str(SCREENSHOTS / "action-items-board-charts-1280.png"))
    page.click("[data-testid=present-link]")
    page.wait_for_url("**/action-items/present**")
    assert page.inner_text("[data-testid=present-title]") == "edge"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('[data-testid=present-title]').textContent === 'payments'")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('[data-testid=present-title]').textContent === 'sre'")
    page.click("button:has-text('Mark reviewed')")
    page.wait_for_selector("text=reviewed today")
    page.wait_for_load_state("load")  # the page came back whole: its keys answer again
    assert page.inner_text("[data-testid=present-title]") == "sre"  # still on the same group
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("document.querySelector('[data-testid=present-title]').textContent === 'payments'")
    screenshot(page, "action-items-present", height=720)
