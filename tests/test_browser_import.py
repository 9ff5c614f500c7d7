"""Bringing an archive in through the browser: one file checked and corrected before it is
created; several files dropped at once, with a progress bar and each file's result."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import Incident

from . import builders
from . import corpus_forms as corpus
from .browser import browser_login
from .test_import_archive import render

pytestmark = pytest.mark.browser


def test_check_correct_and_import_one_then_several_files(app, page, tmp_path) -> None:
    with app.app_context():
        builders.make_user(role="author", email="author@example.com", name="Ann Author")
    browser_login(page, "author@example.com", builders.PASSWORD)
    incidents = corpus.INCIDENTS
    one = tmp_path / "teams-cert.docx"
    one.write_bytes(render("wiki-table", "docx", incidents[10]))
    page.goto("/incidents/import")
    page.set_input_files("input[name=file]", str(one))
    page.click("button[value=check]")
    preview = page.locator("[data-testid=import-as-read]").inner_text()
    assert "The authentication certificate expires" in preview
    assert "was read as SEV2" in page.locator("[data-testid=import-notes]").inner_text()
    page.fill("input[name=title]", "Teams sign-in outage (certificate)")
    page.click("button[value=import]")
    page.wait_for_url("**/incidents/INC-*")
    assert page.locator("h1").inner_text().strip().startswith("Teams sign-in outage")

    files = []
    for name, family, form, incident in (("atlassian.md", "repo-file", "md", incidents[11]),
                                         ("roblox.html", "other-team", "gdocs", incidents[8]),
                                         ("broken.docx", None, None, None)):
        path = tmp_path / name
        path.write_bytes(render(family, form, incident) if family else b"PK\x03\x04 broken")
        files.append(str(path))
    page.goto("/incidents/import")
    page.set_input_files("input[name=file]", files)
    page.click("button[value=check]")
    page.wait_for_function(
        "document.querySelectorAll('[data-import-results] li').length === 3")
    progress = page.locator("[data-import-bar]")
    assert progress.get_attribute("value") == "3" and progress.get_attribute("max") == "3"
    results = page.locator("[data-import-results]").inner_text()
    assert "atlassian.md: imported as INC-" in results
    assert "roblox.html: imported as INC-" in results
    assert "broken.docx: not imported" in results
    with app.app_context():
        titles = set(db.session.scalars(select(Incident.title)))
    assert incidents[11]["title"] in titles and incidents[8]["title"] in titles
