"""Writing, reviewing and publishing a post-mortem in a real browser (Debian's chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import Incident

from . import builders
from .browser import SCREENSHOTS, browser_login, htmx_idle, screenshot

pytestmark = pytest.mark.browser


def make_people(app: Any) -> None:
    with app.app_context():
        builders.make_user(role="author", email="ana@example.com", name="Ana Lima")
        builders.make_user(role="reviewer", email="rui@example.com", name="Rui Costa")


def fill_section(page: Any, key: str, text: str) -> None:
    page.fill(f"textarea[name='section-{key}']", text)


def wait_saved(page: Any) -> None:
    page.wait_for_function(
        "document.getElementById('save-status').dataset.state === 'saved'", timeout=10_000)


def test_write_review_and_publish_a_post_mortem(app, page, chromium, live_server) -> None:
    make_people(app)
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.click("text=New post-mortem")
    page.fill("#title", "Checkout errors after cache config rollout")
    page.select_option("#severity", "SEV2")
    page.select_option("#timezone", "Europe/Lisbon")
    page.fill("#started_at", "2026-03-14T09:02")
    page.fill("#services", "checkout, edge-cache")
    page.click("text=Create draft")
    page.wait_for_url("**/edit")
    key = page.url.split("/")[-2]

    # Details and times: the derived metrics follow the inputs.
    page.fill("#f-detected_at", "2026-03-14T09:09")
    page.fill("#f-mitigated_at", "2026-03-14T09:41")
    page.fill("#f-resolved_at", "2026-03-14T11:30")
    assert page.inner_text("[data-metric=time_to_detect_s]") == "7m"
    assert page.inner_text("[data-metric=time_to_resolve_s]") == "2h 28m"

    # A blameless hint appears while typing, with the live preview.
    fill_section(page, "summary", "A **human error** in the cache TTL caused checkout errors.")
    page.wait_for_selector("[data-findings-for=summary] mark")
    assert page.inner_text("[data-findings-for=summary] mark").lower() == "human error"
    page.wait_for_selector("#preview-summary strong")
    for key_name, text in builders.STANDARD_SECTIONS.items():
        if key_name != "summary":
            fill_section(page, key_name, text)
    fill_section(page, "summary", builders.STANDARD_SECTIONS["summary"])
    wait_saved(page)

    # Timeline rows, kept in time order, entered from the keyboard alone: a 24-hour time on the
    # incident's day, a kind, the text, Enter; the cursor comes back to a fresh row's time.
    page.focus("#tl-new-time")
    for at, kind, text in [("09:09", "detection", "Error-rate alert fired"),
                           ("08:55", "deploy", "Cache TTL change rolled out"),
                           ("09:41", "mitigation", "Config rolled back")]:
        page.keyboard.type(at)
        page.keyboard.press("Tab")  # the "Now" button
        page.keyboard.press("Tab")
        page.select_option("#tl-new-kind", kind)
        page.focus("#tl-new-text")
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        page.wait_for_function(f"[...document.querySelectorAll('[data-testid=timeline-row] [name=text]')].some(i => i.value === {text!r})")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'tl-new-time'")
    rows = page.locator("[data-testid=timeline-row] [name=text]")
    assert [rows.nth(i).input_value() for i in range(rows.count())] == [
        "Cache TTL change rolled out", "Error-rate alert fired", "Config rolled back"]

    # A contributing factor and an action item that addresses it.
    page.select_option("#factors .factor-new select", "config-change")
    page.fill("#factors .factor-new [name=text]", "The TTL was validated for type, not range")
    page.click("text=Add factor")
    page.wait_for_selector("[data-testid=factor-row]")
    assert "No action item addresses this factor yet" in page.inner_text("#factors")
    htmx_idle(page)
    page.fill("#ai-title", "Add range validation to the cache config schema")
    page.select_option("#ai-kind", "prevent")
    page.select_option("#ai-owner", "ana@example.com")
    page.fill("#ai-team", "edge")
    page.fill("#ai-due", "2099-04-01")
    page.select_option("#ai-factor", index=1)
    page.click("#action-items button[type=submit]")
    page.wait_for_selector("[data-testid=action-items]")
    assert "Add range validation" in page.inner_text("[data-testid=action-items]")
    page.reload()
    assert "Addressed by" in page.inner_text("#factors")
    screenshot(page, "editor")

    with app.app_context():
        incident = db.session.scalar(select(Incident))
        assert incident.detected_at.isoformat() == "2026-03-14T09:09:00+00:00"  # Lisbon = UTC in March
        assert incident.section("impact").markdown == builders.STANDARD_SECTIONS["impact"]
        assert [e.kind for e in incident.timeline] == ["deploy", "detection", "mitigation"]

    # Submit for review.
    page.click("text=Submit for review")
    page.wait_for_url(f"**/incidents/{key}/review")
    page.click(".user-menu summary")
    page.click("text=Log out")

    # The reviewer sees the checklist complain, then fixes it and publishes.
    browser_login(page, "rui@example.com", builders.PASSWORD)
    with app.app_context():
        incident = db.session.scalar(select(Incident))
        incident.section("recovery").markdown = ""
        db.session.commit()
    page.goto(f"/incidents/{key}/review")
    page.click("button:has-text('Publish')")
    page.wait_for_selector(".flash-error")
    flashes = page.inner_text(".flashes")
    assert "Not published" in flashes and "Recovery" in flashes
    assert "Recovery" in page.inner_text("[data-testid=checklist] .unmet")
    screenshot(page, "review-checklist")
    page.fill("form.transition-form:has(input[value=draft]) input[name=comment]", "Recovery is empty")
    page.click("button:has-text('Request changes')")
    page.wait_for_selector("text=Changes requested")
    assert page.url.endswith(f"/incidents/{key}/review")  # the reviewer stays where they were
    page.goto(f"/incidents/{key}/edit")
    fill_section(page, "recovery", builders.STANDARD_SECTIONS["recovery"])
    wait_saved(page)
    page.click("text=Submit for review")
    page.wait_for_url("**/review")
    page.click("button:has-text('Publish')")
    page.wait_for_url(f"**/incidents/{key}")
    assert "Published" in page.inner_text(".doc-key")
    assert page.locator("a:has-text('Edit')").count() == 0

    # The history shows every save; the diff compares two revisions side by side.
    page.click("text=History")
    radios_a = page.locator("input[name=a]")
    radios_a.nth(radios_a.count() - 1).check()  # the first revision
    page.click("text=Compare side by side")
    page.wait_for_selector("[data-testid=diff]")
    assert "Checkout returned errors" in page.inner_text("body")
    screenshot(page, "revision-diff")


def test_two_people_editing_the_same_draft_lose_nothing(app, chromium, live_server) -> None:
    make_people(app)
    with app.app_context():
        author = db.session.scalar(select(builders.User).where(builders.User.email == "ana@example.com"))
        from postmortem.services import incidents

        incident = builders.new_incident(author, **dict())
        key = incident.key
    contexts = []
    pages = []
    for email in ("ana@example.com", "rui@example.com"):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 900},
                                       bypass_csp=True)
        contexts.append(context)
        p = context.new_page()
        browser_login(p, email, builders.PASSWORD)
        p.goto(f"/incidents/{key}/edit")
        pages.append(p)
    first, second = pages
    first.fill("textarea[name=section-summary]", "Ana's summary of the incident.")
    wait_saved(first)
    second.fill("textarea[name=section-summary]", "Rui's different summary.")
    second.fill("textarea[name=section-impact]", "Rui's impact numbers.")
    second.wait_for_selector("#conflict-panel:not([hidden])", timeout=10_000)
    panel = second.inner_text("#conflict-panel")
    assert "Ana's summary of the incident." in panel and "Rui's different summary." in panel
    # Nothing lost: Rui's text is still in the editor, and Ana's is saved.
    assert second.input_value("textarea[name=section-summary]") == "Rui's different summary."
    assert second.input_value("textarea[name=section-impact]") == "Rui's impact numbers."
    screenshot(second, "editor-conflict")
    with app.app_context():
        saved = incidents.get_incident(key, reader=None)
        assert saved.section("summary").markdown == "Ana's summary of the incident."
        assert saved.section("impact").markdown == ""
    # Rui merges by hand and saves the merged version.
    second.fill("textarea[name=section-summary]",
                "Ana's summary of the incident. Rui's different summary.")
    second.click("#save-merged")
    wait_saved(second)
    with app.app_context():
        saved = incidents.get_incident(key, reader=None)
        assert saved.section("summary").markdown == (
            "Ana's summary of the incident. Rui's different summary.")
        assert saved.section("impact").markdown == "Rui's impact numbers."
        assert saved.version == 3
    for context in contexts:
        context.close()


def test_hostile_markdown_renders_inert(app, page) -> None:
    make_people(app)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    browser_login(page, "ana@example.com", builders.PASSWORD)
    with app.app_context():
        author = db.session.scalar(select(builders.User).where(builders.User.email == "ana@example.com"))

        key = builders.new_incident(author, **dict(sections={
            "summary": "<img src=x onerror=alert(1)> [click me](javascript:alert(2)) "
                       "<script>alert(3)</script><iframe src=javascript:alert(4)></iframe>"})).key
    page.goto(f"/incidents/{key}")
    page.click("text=click me")
    page.goto(f"/incidents/{key}/edit")
    page.fill("textarea[name=section-impact]", "<img src=y onerror=alert(5)> [x](javascript:alert(6))")
    page.wait_for_selector("#preview-impact img")
    page.click("#preview-impact a")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.locator("#preview-impact img").get_attribute("onerror") is None
    assert page.locator("iframe").count() == 0


def test_changing_the_time_zone_redraws_times_without_moving_them(app, page) -> None:
    make_people(app)
    with app.app_context():
        author = db.session.scalar(select(builders.User).where(builders.User.email == "ana@example.com"))
        from postmortem.services import incidents

        key = builders.new_incident(author, **dict()).key
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit?timezone=UTC")
    assert page.input_value("#f-started_at") == "2026-03-14 09:02"
    page.fill("textarea[name=section-summary]", "Typed before switching zones")
    page.select_option("#f-timezone", "Asia/Tokyo")
    page.wait_for_url("**timezone=Asia%2FTokyo**")
    assert page.input_value("#f-started_at") == "2026-03-14 18:02"
    assert page.input_value("textarea[name=section-summary]") == "Typed before switching zones"
    with app.app_context():
        saved = incidents.get_incident(key, reader=None)
        assert saved.started_at.isoformat() == "2026-03-14T09:02:00+00:00"
        assert saved.section("summary").markdown == "Typed before switching zones"


def test_deployment_suggestions_follow_the_services(app, api, page) -> None:
    make_people(app)
    ci = api("deployer")
    ci.post("/api/v1/deployments", json={"service": "search", "version": "5.2.0",
                                         "environment": "production", "artifact": "sha256:52",
                                         "deployed_at": "2026-03-14T08:00:00Z"})
    with app.app_context():
        author = db.session.scalar(select(builders.User).where(builders.User.email == "ana@example.com"))
        from postmortem.services import incidents

        key = builders.new_incident(author, **dict(services=["checkout"])).key
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit")
    assert "search 5.2.0" not in page.inner_text("#deployments")
    page.fill("#f-services", "checkout, search")
    page.wait_for_selector("[data-testid=suggested-deployments]")
    assert "search 5.2.0" in page.inner_text("[data-testid=suggested-deployments]")
    page.click("[data-testid=suggested-deployments] button:has-text('Culprit')")
    page.wait_for_selector("[data-testid=linked-deployments]")
    assert "Culprit" in page.inner_text("[data-testid=linked-deployments]")
    with app.app_context():
        links = incidents.get_incident(key, reader=None).deployment_links
        assert [(link.deployment.version, link.role) for link in links] == [("5.2.0", "culprit")]

    # Any deployment of any service can be found by what the author remembers of it.
    wait_saved(page)
    for version, at in (("2.0.7", "2025-11-02T08:00:00Z"), ("2.0.8", "2025-12-02T08:00:00Z")):
        ci.post("/api/v1/deployments", json={"service": "ledger", "version": version,
                                             "environment": "production", "deployed_at": at,
                                             "artifact": f"sha256:{version.replace('.', '')}"})
    page.fill("#deploy-find-q", "ledger 2.0")
    page.wait_for_selector("[data-testid=deployment-results] li:has-text('ledger 2.0.7')")
    # 2.0.8 was running when the incident started: not its own rollback target; 2.0.7 may be.
    assert page.locator("[data-testid=deployment-results] li:has-text('ledger 2.0.8') "
                        "button:has-text('Rollback target')").count() == 0
    page.click("[data-testid=deployment-results] li:has-text('ledger 2.0.7') button:has-text('Rollback target')")
    page.wait_for_selector("[data-testid=linked-deployments]:has-text('ledger 2.0.7')")
    with app.app_context():
        links = incidents.get_incident(key, reader=None).deployment_links
        assert sorted((link.deployment.version, link.role) for link in links) == [
            ("2.0.7", "rollback_target"), ("5.2.0", "culprit")]


def test_pasting_a_slack_transcript_proposes_timeline_events(app, api, page) -> None:
    from .test_review_and_rows import SLACK_COPY

    make_people(app)
    with app.app_context():
        author = db.session.scalar(select(builders.User).where(builders.User.email == "ana@example.com"))
        key = builders.new_incident(author, started_at="2026-03-14T09:00:00Z").key
    browser_login(page, "ana@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit?timezone=UTC")
    page.click("summary:has-text('Paste a chat transcript')")
    page.fill("#transcript", SLACK_COPY)
    page.click("text=Propose events")
    page.wait_for_selector("[data-testid=proposal]")
    assert page.locator("[data-testid=proposal]").count() == 7
    # Each proposed time on the person's clock (24-hour by default), whole in its field.
    when = page.locator("[data-testid=proposal] input[name^=at-]")
    assert when.first.input_value() == "2026-03-14 09:02"
    assert when.last.input_value() == "2026-03-14 11:30"
    assert all(when.nth(i).evaluate("el => el.scrollWidth <= el.clientWidth")
               for i in range(when.count()))
    page.locator("[data-testid=proposal] input[type=checkbox]").nth(3).uncheck()  # the status page
    page.click("text=Add the ticked events")
    page.wait_for_function("document.querySelectorAll('[data-testid=timeline-row]').length === 6")
    with app.app_context():
        events = incidents_service().get_incident(key, reader=None).timeline
        assert [e.kind.value for e in events] == [
            "detection", "escalation", "deploy", "rollback", "mitigation", "resolution"]
    page.evaluate("document.querySelector('.topbar, header.site-header, .nav') && "
                  "document.querySelectorAll('.editor-header, .topbar').forEach(e => e.style.position = 'static')")
    page.locator("#timeline").screenshot(path=str(SCREENSHOTS / "timeline-from-transcript.png"))


def incidents_service():  # noqa: ANN201
    from postmortem.services import incidents

    return incidents
