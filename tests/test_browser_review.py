"""The reviewer's day in a real browser: the post-mortem itself on the review page, comments on
a selected passage shown in place, @mentions picked from a list, and who else is on it."""

from __future__ import annotations

from typing import Any

import pytest

from postmortem.extensions import db
from postmortem.models import ReviewComment

from . import builders
from .browser import SCREENSHOTS, browser_login, htmx_idle, screenshot

pytestmark = pytest.mark.browser

PASSAGE = "rolled the config back"


def written_incident(app: Any) -> str:
    with app.app_context():
        ana = builders.make_user(role="author", email="ana.lima@example.com", name="Ana Lima")
        builders.make_user(role="reviewer", email="rui@example.com", name="Rui Costa")
        builders.make_user(role="author", email="priya@example.com", name="Priya Raman")
        incident = builders.new_incident(ana, sections=builders.STANDARD_SECTIONS)
        return incident.key


def select_text(page: Any, section: str, text: str) -> None:
    """Select `text` inside a section's prose as a person dragging the mouse would."""
    page.evaluate("""([section, text]) => {
        const prose = document.querySelector('#s-' + section + ' .prose');
        const walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const at = node.nodeValue.indexOf(text);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + text.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                return;
            }
        }
        throw new Error('text not found: ' + text);
    }""", [section, text])


def test_review_page_shows_the_document_with_comments_in_place(app, page, mail_server) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port)
    key = written_incident(app)
    browser_login(page, "rui@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/review")

    # The post-mortem itself, every section readable where it is commented on.
    document = page.locator("[data-testid=review-document]")
    for text in builders.STANDARD_SECTIONS.values():
        assert text in document.inner_text()

    # Selecting a passage offers to comment on it; the form opens under that section.
    select_text(page, "response", PASSAGE)
    page.click("#comment-passage")
    form = page.locator("#s-response [data-comment-form]")
    assert form.locator("[data-quote-preview]").inner_text() == PASSAGE
    textarea = form.locator("textarea")
    textarea.type("Which config version was restored? @pri")
    page.wait_for_selector(".mention-list:not([hidden]) li")
    assert "Priya Raman" in page.inner_text(".mention-list")
    page.keyboard.press("Enter")
    assert textarea.input_value() == "Which config version was restored? @priya "
    textarea.type("can you add it?")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/incidents/{key}/review#comment-*")

    # The comment sits under its section, the passage is marked in the text, the mention named.
    comment = page.locator("#s-response [data-testid=comment]")
    assert comment.count() == 1
    assert comment.locator("[data-testid=comment-quote]").inner_text() == PASSAGE
    assert page.locator("#s-response mark.passage").inner_text() == PASSAGE
    assert comment.locator(".mention").inner_text() == "@priya"
    assert "Priya Raman will be told" in page.inner_text(".flashes")
    with app.app_context():
        stored = db.session.scalar(db.select(ReviewComment))
        assert stored.quote == PASSAGE and stored.section_key == "response"
        assert [user.email for user in stored.mentioned] == ["priya@example.com"]
    assert [m.rcpt_tos for m in mail_server.messages] == [["priya@example.com"]]
    assert PASSAGE in mail_server.messages[0].content.decode()

    # A comment on the whole post-mortem goes beside it; both count as open in the checklist.
    page.fill("#c-whole", "Looks good overall.")
    page.click("#comments button:has-text('Add comment')")
    page.wait_for_selector("#comments [data-testid=comment]")
    assert "2 comments open" in page.inner_text("[data-testid=checklist] .unmet:has-text('comment')")
    page.goto(f"/incidents/{key}/review")
    screenshot(page, "review")

    # Clicking the marked passage leads to its comment.
    page.click("#s-response mark.passage")
    page.wait_for_function("() => { const r = document.querySelector('#s-response [data-testid=comment]')"
                           ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")


def test_a_refused_comment_keeps_its_text(app, page) -> None:
    key = written_incident(app)
    browser_login(page, "rui@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/review")
    select_text(page, "impact", "1,900 orders")
    page.click("#comment-passage")
    # The whole-section choice drops the passage; an empty comment is refused, nothing lost.
    page.click("#s-impact [data-clear-quote]")
    page.locator("#s-impact [data-comment-form] button[type=submit]").click()
    assert page.locator("#s-impact [data-testid=comment]").count() == 0


def test_people_on_the_same_post_mortem_see_each_other(app, chromium, live_server) -> None:
    key = written_incident(app)
    pages = []
    for email in ("ana.lima@example.com", "rui@example.com"):
        context = chromium.new_context(base_url=live_server.url)
        pages.append(context.new_page())
        browser_login(pages[-1], email, builders.PASSWORD)
    author, reviewer = pages
    author.goto(f"/incidents/{key}/edit")
    reviewer.goto(f"/incidents/{key}/review")
    reviewer.wait_for_selector("[data-testid=presence]:has-text('Ana Lima is editing')")
    author.reload()  # the next ping (every 20 s, or on load) shows the reviewer
    author.wait_for_selector("[data-testid=presence]:has-text('Rui Costa is reviewing')")
    # Closing the page says goodbye at once: the other one no longer lists them.
    author.close()
    reviewer.reload()
    reviewer.wait_for_selector("[data-testid=presence][data-pinged]", state="attached")
    assert "Ana Lima" not in reviewer.inner_text("[data-testid=presence]")
    for each in pages:
        each.context.close()


def test_a_stale_row_edit_shows_both_versions_and_loses_nothing(app, page) -> None:
    from datetime import UTC, datetime

    from postmortem.models import Factor, Incident, TimelineEvent

    key = written_incident(app)
    with app.app_context():
        incident = db.session.scalar(db.select(Incident))
        at = datetime(2026, 3, 14, 9, 20, tzinfo=UTC)
        incident.timeline.append(TimelineEvent(at=at, kind="mitigation", text="Rolled back the config"))
        incident.timeline.append(TimelineEvent(at=at, kind="note", text="Status page updated"))
        incident.factors.append(Factor(text="TTL validated for type only"))
        db.session.commit()
    browser_login(page, "ana.lima@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit")

    # Someone else saves the same event meanwhile.
    with app.app_context():
        event = db.session.scalar(db.select(TimelineEvent).filter_by(kind="mitigation"))
        event.text, event.version = "Rolled back to config v41", event.version + 1
        db.session.commit()
    row = page.locator("[data-testid=timeline-row]").first
    row.locator("[name=text]").fill("Rolled back the cache config to the last good version")
    row.locator("button:has-text('Save')").click()
    conflict = page.wait_for_selector("[data-testid=row-conflict]")
    assert "Rolled back to config v41" in conflict.inner_text()  # theirs
    row = page.locator("[data-testid=timeline-row]").first
    assert row.locator("[name=text]").input_value() == \
        "Rolled back the cache config to the last good version"  # mine, still in the field
    page.locator("#timeline").screenshot(path=str(SCREENSHOTS / "editor-row-conflict.png"))
    page.click("[data-testid=row-conflict] button:has-text('Keep mine')")
    page.wait_for_selector("[data-testid=row-conflict]", state="detached")
    with app.app_context():
        event = db.session.scalar(db.select(TimelineEvent).filter_by(kind="mitigation"))
        assert event.text == "Rolled back the cache config to the last good version"
        assert event.version == 3

    # "Use theirs" keeps the saved factor and drops the edit.
    with app.app_context():
        factor = db.session.scalar(db.select(Factor))
        factor.text, factor.version = "Config schema checks types, not ranges", factor.version + 1
        db.session.commit()
    factor_row = page.locator("[data-testid=factor-row]").first
    factor_row.locator("[name=text]").fill("Mine")
    factor_row.locator("button:has-text('Save')").click()
    page.wait_for_selector("#factors [data-testid=row-conflict]")
    page.click("#factors [data-testid=row-conflict] button:has-text('Use theirs')")
    page.wait_for_selector("#factors [data-testid=row-conflict]", state="detached")
    assert page.locator("[data-testid=factor-row] [name=text]").first.input_value() == \
        "Config schema checks types, not ranges"

    # An event someone removed meanwhile: the edit is offered back, and re-added on request.
    with app.app_context():
        db.session.delete(db.session.scalar(db.select(TimelineEvent).filter_by(kind="note")))
        db.session.commit()
    row = page.locator("[data-testid=timeline-row]").nth(1)
    row.locator("[name=text]").fill("Status page updated with the workaround")
    row.locator("button:has-text('Save')").click()
    gone = page.wait_for_selector("[data-testid=row-gone]")
    assert "removed by someone else" in gone.inner_text()
    assert "Status page updated with the workaround" in gone.inner_text()
    page.click("[data-testid=row-gone] button:has-text('Add it again')")
    page.wait_for_selector("[data-testid=row-gone]", state="detached")
    with app.app_context():
        texts = sorted(e.text for e in db.session.scalars(db.select(TimelineEvent)))
        assert "Status page updated with the workaround" in texts and len(texts) == 2


def test_adding_rows_keeps_the_form_open_and_the_cursor_in_place(app, page) -> None:
    key = written_incident(app)
    browser_login(page, "ana.lima@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit")
    # Two factors from the keyboard: Enter adds, the cursor waits in the fresh field.
    page.focus("#factor-new-text")
    for text in ("TTL validated for type only", "No canary for config changes"):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"[data-testid=factor-row] textarea:text-is('{text}')")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'factor-new-text'")
    # Editing a factor in place keeps the cursor in that factor's field.
    first = page.locator("[data-testid=factor-row] [name=text]").first
    first.fill("TTL validated for type, not range")
    first.press("Enter")
    page.wait_for_selector("[data-testid=factor-row] textarea:text-is('TTL validated for type, not range')")
    field_id = page.evaluate("document.activeElement.id")
    assert field_id.startswith("factor-text-")
    htmx_idle(page)
    # The action-item form stays open for the next one, the cursor in its first field.
    page.fill("#ai-title", "Add range validation")
    page.fill("#ai-team", "edge")
    page.click(".action-form button[type=submit]")
    page.wait_for_selector("#action-items td:has-text('Add range validation')")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'ai-title'")
    assert page.locator("details.add-action").get_attribute("open") is not None


def test_a_save_in_one_section_leaves_what_is_typed_in_the_other(app, page) -> None:
    """Factors and action items show each other, so a save in one redraws part of the other:
    never a form someone is typing or clicking in."""
    from postmortem.models import ActionItem, Factor

    key = written_incident(app)
    browser_login(page, "ana.lima@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit")
    page.fill("#factor-new-text", "TTL validated for type only")
    page.press("#factor-new-text", "Enter")
    page.wait_for_selector("[data-testid=factor-row] textarea:text-is('TTL validated for type only')")
    htmx_idle(page)
    # An action item typed, its factor chosen; then another factor is added, and "Add action
    # item" clicked at once, while that factor's save may still be redrawing the choice.
    page.fill("#ai-title", "Validate TTL ranges")
    page.select_option("#ai-factor", index=1)
    page.fill("#factor-new-text", "No canary for config changes")
    page.press("#factor-new-text", "Enter")
    page.click(".action-form button[type=submit]")
    page.wait_for_selector("#action-items td:has-text('Validate TTL ranges')")
    page.wait_for_selector("[data-testid=factor-row] textarea:text-is('No canary for config changes')")
    htmx_idle(page)
    with app.app_context():
        item = db.session.scalar(db.select(ActionItem).where(ActionItem.title == "Validate TTL ranges"))
        assert item is not None and item.factor.text == "TTL validated for type only"
        first_id = item.factor_id
    # Both factors are offered in the add form, and the first shows what addresses it.
    assert page.locator("#ai-factor option").count() == 3
    assert "Validate TTL ranges" in page.inner_text(f"#factor-items-{first_id}")

    # A factor edited but not saved keeps its text while an action item is added.
    edited = page.locator(f"#factor-text-{first_id}")
    edited.fill("TTL validated for type, not range")
    page.fill("#ai-title", "Canary every config change")
    page.click(".action-form button[type=submit]")
    page.wait_for_selector("#action-items td:has-text('Canary every config change')")
    htmx_idle(page)
    assert edited.input_value() == "TTL validated for type, not range"
    with app.app_context():
        assert db.session.get(Factor, first_id).text == "TTL validated for type only"  # unsaved


def test_saving_one_row_keeps_what_is_typed_in_the_others(app, page) -> None:
    from postmortem.models import Factor

    key = written_incident(app)
    browser_login(page, "ana.lima@example.com", builders.PASSWORD)
    page.goto(f"/incidents/{key}/edit")
    for text in ("TTL validated for type only", "No canary for config changes"):
        page.fill("#factor-new-text", text)
        page.press("#factor-new-text", "Enter")
        page.wait_for_selector(f"[data-testid=factor-row] textarea:text-is('{text}')")
        htmx_idle(page)
    with app.app_context():
        first, second = [f.id for f in db.session.scalars(db.select(Factor).order_by(Factor.id))]
    # The first factor is being edited, not saved, when the second is saved.
    page.fill(f"#factor-text-{first}", "TTL validated for type, not range")
    page.fill(f"#factor-text-{second}", "No canary stage for config changes")
    page.press(f"#factor-text-{second}", "Enter")
    page.wait_for_selector("[data-testid=factor-row] textarea:text-is('No canary stage for config changes')")
    htmx_idle(page)
    assert page.input_value(f"#factor-text-{first}") == "TTL validated for type, not range"
    # …and when a new factor is added.
    page.fill("#factor-new-text", "Alert only on totals")
    page.press("#factor-new-text", "Enter")
    page.wait_for_selector("[data-testid=factor-row] textarea:text-is('Alert only on totals')")
    htmx_idle(page)
    assert page.input_value(f"#factor-text-{first}") == "TTL validated for type, not range"
    assert page.input_value("#factor-new-text") == ""  # the added one is not put back
    with app.app_context():
        texts = {f.id: f.text for f in db.session.scalars(db.select(Factor))}
    assert texts[first] == "TTL validated for type only" and len(texts) == 3
    assert texts[second] == "No canary stage for config changes"
    # Saving the first keeps its text.
    page.press(f"#factor-text-{first}", "Enter")
    page.wait_for_selector("[data-testid=factor-row] textarea:text-is('TTL validated for type, not range')")
