"""A person's day without snags: the board on a phone, one clock, sign-in landing home, the
review page, the presentation view; each takes a screenshot for docs/screenshots/."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from . import builders
from .browser import browser_login, htmx_idle, screenshot
from .builders import create_incident, submit_for_review

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# Every word of the element's text that the layout broke over two lines ("searc h", "202 6").
BROKEN_WORDS = """(root) => {
  const broken = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def _board(app, api) -> str:
    author = api("author")
    with app.app_context():
        builders.make_user(role="author", email="sam@example.com", name="Sam Okafor")
    key = create_incident(author, title="Search slow during the autumn sale")["key"]
    for title, team, due in (
            ("Load-test search at 5x the normal peak before each sale", "discovery", "2026-01-10"),
            ("Prevent unbounded result sets in the autocomplete endpoint", "discovery", "2099-03-01"),
            ("Alert on the age of the oldest refund message", "payments", "2026-02-01")):
        author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": title, "kind": "prevent", "team": team, "due_date": due,
            "owner": "sam@example.com"})
    return key


def test_the_board_on_a_phone_is_cards_without_broken_words(app, api, page) -> None:
    key = _board(app, api)
    browser_login(page, "sam@example.com", builders.PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto("/action-items")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rows = page.locator("[data-testid=item-row]")
    assert rows.count() == 3
    for index in range(rows.count()):
        row = rows.nth(index)
        box = row.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # Status is a control inside the card, on screen.
        status = row.locator("select[name=status]").bounding_box()
        assert status is not None and status["x"] + status["width"] <= PHONE["width"]
        assert row.evaluate(BROKEN_WORDS) == []
    # The headline counts what it says it counts.
    assert "Counting every status" in page.inner_text("[data-testid=stats-caption]")
    # The filters wait behind a button on a phone.
    assert not page.locator("#f-team").is_visible()
    screenshot(page, "board-phone", height=844)
    # The read view's action items: cards too, Status on screen.
    page.goto(f"/incidents/{key}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    table = page.locator(".doc-section .stack-table, .stack-table").first
    assert table.evaluate(BROKEN_WORDS) == []
    status = page.locator(".stack-table td[data-label=Status]").first.bounding_box()
    assert status is not None and status["x"] + status["width"] <= PHONE["width"]
    # The home page: the getting-started list folded, my action items on the first screen.
    page.goto("/")
    assert page.locator("[data-testid=first-run]").get_attribute("open") is None
    top = page.locator("[data-testid=my-items]").bounding_box()
    assert top is not None and top["y"] < PHONE["height"] * 0.6
    screenshot(page, "home-phone", height=844)


def test_signing_in_lands_on_the_home_page(app, page) -> None:
    with app.app_context():
        builders.make_user(role="viewer", email="vera@example.com", name="Vera Santos")
    browser_login(page, "vera@example.com", builders.PASSWORD)
    assert urlparse(page.url).path == "/"
    assert page.inner_text("h1").startswith("Hello, Vera")
    # A viewer's getting-started list holds only a viewer's step.
    steps = page.locator("[data-testid=first-run] li")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == ["clock"]


def test_one_clock_everywhere(app, api, page) -> None:
    author = api("author")
    with app.app_context():
        builders.make_user(role="author", email="lee@example.com", name="Lee Chen")
    key = create_incident(author, commander="lee@example.com",
                          started_at="2026-03-14T14:02:00Z", detected_at="2026-03-14T14:09:00Z")["key"]
    author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T14:40:00Z", "kind": "detection", "text": "Alert fired"})
    browser_login(page, "lee@example.com", builders.PASSWORD)
    # The default: 24-hour, everywhere, the zone named.
    page.goto(f"/incidents/{key}")
    timeline = page.inner_text("ol.timeline")
    assert "14:40" in timeline and "PM" not in timeline
    assert "Times in UTC" in page.inner_text("[data-testid=timeline-zone]")
    page.goto(f"/incidents/{key}/edit")
    started = page.locator("#f-started_at")
    assert started.input_value() == "2026-03-14 14:02"
    # Nothing clipped: the whole value fits its field.
    assert started.evaluate("el => el.scrollWidth <= el.clientWidth")
    page.fill("[name=title]", "Checkout errors after the cache config rollout")
    page.wait_for_function("document.querySelector('#save-status')"
                           " && /Saved at/.test(document.querySelector('#save-status').textContent)")
    saved = page.inner_text("#save-status")
    assert re.search(r"Saved at \d\d:\d\d:\d\d UTC", saved) and "AM" not in saved and "PM" not in saved
    # A person who prefers a 12-hour clock gets it everywhere, in their own zone.
    page.goto("/account/")
    page.select_option("#p-clock", "12h")
    page.select_option("#p-zone", "Europe/Berlin")
    page.click(".preferences-form button[type=submit]")
    page.wait_for_selector("text=times are shown your way")
    screenshot(page, "account-clock", height=700)
    page.goto(f"/incidents/{key}")
    timeline = page.inner_text("ol.timeline")
    assert "3:40 PM" in timeline  # 14:40 UTC is 15:40 in Berlin in March
    assert "Times in Europe/Berlin" in page.inner_text("[data-testid=timeline-zone]")
    page.goto(f"/incidents/{key}/edit")
    started = page.locator("#f-started_at")
    assert started.input_value() == "2026-03-14 3:02 PM"
    assert started.evaluate("el => el.scrollWidth <= el.clientWidth")
    row_time = page.locator("[data-testid=timeline-row] .tl-time").first
    assert row_time.input_value() == "3:40 PM"
    assert row_time.evaluate("el => el.scrollWidth <= el.clientWidth")
    # A 12-hour time typed into the quick-entry row lands where it says.
    page.fill("#tl-new-time", "4:05 PM")
    page.fill("#tl-new-text", "Rolled back the edge config bundle")
    page.press("#tl-new-text", "Enter")
    htmx_idle(page)
    page.wait_for_selector("text=Rolled back the edge config bundle", state="attached")
    with app.app_context():
        from postmortem.services import incidents

        event = [e for e in incidents.get_incident(key, reader=None).timeline if "Rolled back" in e.text][0]
        assert event.at.isoformat().startswith("2026-03-14T15:05")  # 4:05 PM Berlin
    # The metrics follow 12-hour times too.
    page.fill("#f-detected_at", "2026-03-14 3:12 PM")
    assert page.inner_text("[data-metric=time_to_detect_s]") == "10m"
    page.fill("[name=title]", "Checkout errors after a cache config rollout")
    page.wait_for_function("/Saved at \\d{1,2}:\\d\\d:\\d\\d [AP]M (CET|CEST|GMT\\+1|GMT\\+2)/.test("
                           "document.querySelector('#save-status')"
                           ".textContent)")
    screenshot(page, "editor-clock", height=900)


def test_long_texts_grow_and_the_review_page_has_no_stray_button(app, api, page) -> None:
    author = api("author")
    with app.app_context():
        builders.make_user(role="reviewer", email="ana@example.com", name="Ana Lima")
    key = create_incident(author, reviewers=["ana@example.com"])["key"]
    long_text = ("The cache TTL was validated for its type but not for its range, so a value of "
                 "one day passed review and reached every edge node within four minutes.")
    author.post(f"/api/v1/incidents/{key}/factors", json={"text": long_text})
    submit_for_review(author, key)
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/review")
    assert not page.locator("button:has-text('Comment on this passage')").is_visible()
    changes = page.locator("form.transition-form:has(input[name=to][value=draft])")
    changes.locator("[name=comment]").fill("The impact section needs numbers.")
    changes.locator("button[type=submit]").click()
    page.wait_for_load_state()
    # The reviewer stays on the review page.
    assert page.url.endswith(f"/incidents/{key}/review")
    assert "Changes requested" in page.inner_text("#flashes")
    screenshot(page, "review-after-request", height=800)
    # The factor's whole text shows in the editor: the field grew to hold it.
    page.goto(f"/incidents/{key}/edit")
    field = page.locator("[id^=factor-text-]").first
    assert field.input_value() == long_text
    assert field.evaluate("el => el.scrollHeight <= el.clientHeight + 2")


def ready(page) -> None:  # noqa: ANN001
    """Wait until the presentation's keys work (its script ran on this page)."""
    page.wait_for_function("document.documentElement.classList.contains('js-present')")


def test_the_presentation_view_fills_a_screen_and_works_from_the_keyboard(app, api, page) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    for n in range(7):
        author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": f"Edge follow-up number {n + 1} with a title of ordinary length",
            "kind": "prevent", "team": "edge", "due_date": f"2026-0{n + 1}-10"})
    author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Payments follow-up", "kind": "detect", "team": "payments", "due_date": "2099-01-01"})
    with app.app_context():
        builders.make_user(role="author", email="retro@example.com", name="Retro Lead")
    browser_login(page, "retro@example.com", builders.PASSWORD)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/action-items/present")
    # Full screen: no site navigation, large type, and one page fits the screen.
    assert page.locator(".topbar").count() == 0
    assert page.locator("[data-testid=present-title]").inner_text() == "edge"
    assert "page 1 of 2" in (page.locator("[data-testid=present-where]").text_content() or "")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    size = page.locator(".present-item-title").first.evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 28
    badge = page.locator(".present-item .status-select").first.evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)")
    assert badge >= 18
    screenshot(page, "present-1080", height=1080)
    # ↓ picks the first item, D marks it done; the page comes back with it still picked.
    ready(page)
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("d")
    ready(page)
    page.wait_for_selector(".flash-success")
    assert "is now done" in page.inner_text("#flashes")
    with app.app_context():
        from postmortem.services import incidents

        done = [i.title for i in incidents.get_incident(key, reader=None).action_items if i.status == "done"]
    assert done == ["Edge follow-up number 1 with a title of ordinary length"]
    # → pages on inside the group, then to the next group; ← comes back.
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")
    ready(page)
    page.wait_for_function("/page 2 of/.test(document.querySelector('[data-testid=present-where]')"
                           ".textContent) || /payments/.test(document.querySelector("
                           "'[data-testid=present-title]').textContent)")
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")
    ready(page)
    page.wait_for_function("document.querySelector('[data-testid=present-title]').textContent"
                           " === 'payments'")
    with page.expect_navigation():
        page.keyboard.press("ArrowLeft")
    ready(page)
    page.wait_for_function("document.querySelector('[data-testid=present-title]').textContent"
                           " === 'edge'")
    # R marks the picked item reviewed today; the button says what it does.
    assert page.locator("button:has-text('Mark reviewed today')").count() > 0
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("r")
    page.wait_for_selector("text=reviewed today")


# True when the chosen option's words fit inside the select (text, padding and the arrow).
SELECT_FITS = """(el) => {
  const style = getComputedStyle(el);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const text = context.measureText(el.options[el.selectedIndex].text).width;
  return text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 20 <= el.clientWidth;
}"""


@pytest.mark.parametrize("viewport", [{"width": 1360, "height": 900}, PHONE])
def test_the_new_post_mortem_form_cuts_nothing_off(app, page, viewport) -> None:
    with app.app_context():
        builders.make_user(role="author", email="sam@example.com", name="Sam Okafor")
    browser_login(page, "sam@example.com", builders.PASSWORD)
    page.set_viewport_size(viewport)
    page.goto("/incidents/new")
    for select in ("#severity", "#template", "#timezone"):
        assert page.locator(select).evaluate(SELECT_FITS), select
    page.select_option("#severity", "SEV1")
    assert page.locator("#severity").evaluate(SELECT_FITS)
    started = page.locator("#started_at")
    started.fill("2026-03-14 14:05")
    assert started.evaluate("el => el.scrollWidth <= el.clientWidth")
    if viewport is PHONE:
        screenshot(page, "new-post-mortem-phone", height=844)


def test_a_transcript_proposal_keeps_the_afternoon(app, page) -> None:
    """'2:40 PM' in a pasted chat is proposed as 2:40 PM on a 12-hour clock (never '02:40')."""
    with app.app_context():
        author = builders.make_user(role="author", email="ana@example.com", name="Ana Lima")
        from postmortem.services import accounts

        accounts.save_preferences(author, clock="12h")
        key = builders.new_incident(author, started_at="2026-03-14T13:00:00Z",
                                    detected_at=None).key
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit?timezone=UTC")
    page.click("summary:has-text('Paste a chat transcript')")
    page.fill("#transcript", "[2:40 PM] Ana Lima: error rate back to normal\n"
                             "[2:52 PM] Sam Okafor: resolved")
    page.click("text=Propose events")
    page.wait_for_selector("[data-testid=proposal]")
    when = page.locator("[data-testid=proposal] input[name^=at-]")
    assert [when.nth(i).input_value() for i in range(when.count())] == [
        "2026-03-14 2:40 PM", "2026-03-14 2:52 PM"]
    assert when.first.evaluate("el => el.scrollWidth <= el.clientWidth")
    page.click("text=Add the ticked events")
    page.wait_for_function("document.querySelectorAll('[data-testid=timeline-row]').length === 2")
    with app.app_context():
        from postmortem.services import incidents

        assert [e.at.strftime("%H:%M") for e in incidents.get_incident(key, reader=None).timeline] == [
            "14:40", "14:52"]
