"""The post-mortem pages without a browser: forms, plain posts, conflicts, permissions."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from postmortem.extensions import db
from postmortem.models import Incident, Template
from postmortem.schemas import IncidentChanges, parse
from postmortem.services import incidents

from . import builders


def new_incident(app, **overrides):  # noqa: ANN001, ANN201
    with app.app_context():
        author = builders.make_user(role="author")
        incident = builders.new_incident(author, **dict(**overrides))
        return incident.key


def test_read_view_for_a_viewer_shows_the_post_mortem(app, client, login) -> None:
    key = new_incident(app, sections={"summary": "The **cache** TTL went to zero."})
    login("viewer")
    page = client.get(f"/incidents/{key}")
    assert page.status_code == 200
    assert "Checkout errors after cache config rollout" in page.text
    assert "<strong>cache</strong>" in page.text and "7m" in page.text  # time to detect
    assert f'href="/incidents/{key}/edit"' not in page.text  # viewers get no Edit button
    assert client.get(f"/incidents/{key}/edit").status_code == 403
    assert client.get("/incidents/INC-424242").status_code == 404


def test_list_page_filters(app, client, login) -> None:
    new_incident(app, title="Search outage", severity="SEV1", services=["search"])
    new_incident(app, title="Login slow", severity="SEV3", services=["identity"])
    login("viewer")
    page = client.get("/incidents?severity=SEV1")
    assert "Search outage" in page.text and "Login slow" not in page.text
    page = client.get("/incidents?service=identity&sort=oldest")
    assert "Login slow" in page.text and "Search outage" not in page.text
    bad = client.get("/incidents?severity=SEV9")
    assert bad.status_code == 200 and "must be one of" in bad.text


def test_create_from_the_new_form_converts_the_time_zone(app, client, login) -> None:
    login("author")
    response = client.post("/incidents/new", data={
        "title": "Payments declined", "severity": "SEV1", "template": "lightweight",
        "started_at": "2026-07-01T10:30", "timezone": "Europe/Berlin", "services": "payments-api"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    with app.app_context():
        incident = db.session.scalar(select(Incident))
        assert incident.started_at.isoformat() == "2026-07-01T08:30:00+00:00"
        assert [s.key for s in incident.sections] == ["summary", "impact", "lessons_learned"]


def test_new_form_says_what_each_template_asks_for(client, login) -> None:
    login("author")
    page = client.get("/incidents/new")
    assert page.status_code == 200
    assert "A short review for SEV3/SEV4 incidents and near misses." in page.text
    help_text = page.text.split("What each template asks for", 1)[1].split("</details>", 1)[0]
    assert "Sections: Summary, Impact, Lessons learned." in help_text


def test_new_form_errors_keep_the_input(app, client, login) -> None:
    login("author")
    response = client.post("/incidents/new", data={
        "title": "Keep me", "severity": "SEV2", "started_at": "", "timezone": "UTC"})
    assert response.status_code == 422
    assert 'value="Keep me"' in response.text and "is required" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 0


def test_plain_post_save_and_stale_conflict_keeps_your_text(app, client, login) -> None:
    key = new_incident(app)
    login("author")
    page = client.get(f"/incidents/{key}/edit")
    assert page.status_code == 200 and "Guidance" not in page.text  # guidance text itself:
    assert "Two or three sentences a busy reader" in page.text
    form = {
        "version": "1", "timezone": "UTC", "title": "Checkout errors", "severity": "SEV2",
        "services": "checkout", "tags": "cache", "commander": "",
        "started_at": "2026-03-14T09:02", "detected_at": "2026-03-14T09:09",
        "mitigated_at": "", "resolved_at": "", "section-summary": "My summary",
    }
    saved = client.post(f"/incidents/{key}/edit", data=form)
    assert saved.status_code == 302
    # Someone else saves in the meantime (version 2 → 3) ...
    with app.app_context():
        incident = incidents.get_incident(key, reader=None)
        incidents.update_incident(incident, None, parse(IncidentChanges, {"version": 2, "sections": {
            "summary": "Their summary", "impact": "Their impact"}}))
    # ... and our stale save (based on version 2) is refused, with both versions shown.
    stale = client.post(f"/incidents/{key}/edit", data={
        **form, "version": "2", "section-summary": "My better summary"})
    assert stale.status_code == 409
    html = stale.text
    assert "Someone else saved this post-mortem" in html
    assert "Their summary" in html and "My better summary" in html
    # Your text stays in the textarea; their untouched-by-you change is merged in.
    assert re.search(r'name="section-summary"[^>]*>My better summary</textarea>', html)
    assert re.search(r'name="section-impact"[^>]*>Their impact</textarea>', html)
    assert 'name="version" value="3"' in html
    with app.app_context():
        assert incidents.get_incident(key, reader=None).section("summary").markdown == "Their summary"


def test_editor_jump_menu_links_to_every_part_of_the_page(app, client, login) -> None:
    key = new_incident(app)
    login("author")
    page = client.get(f"/incidents/{key}/edit")
    menu = page.text.split('id="jump-menu-title"', 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r'href="#([\w-]+)"', menu)
    assert targets[0] == "details" and targets[-1] == "action-items"
    assert "section-summary" in targets and "timeline" in targets
    for target in targets:
        assert f'id="{target}"' in page.text, target


def test_autosave_answers_json(app, client, login) -> None:
    key = new_incident(app)
    login("author")
    base = {"version": "1", "timezone": "UTC", "title": "T", "severity": "SEV2",
            "started_at": "2026-03-14T09:02", "detected_at": "2026-03-14T09:09",
            "section-summary": "It was human error."}
    ok = client.post(f"/incidents/{key}/autosave", data=base)
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["version"] == 2 and body["metrics"]["time_to_detect_s"] == "7m"
    assert body["findings"][0]["phrase"] == "human error"
    stale = client.post(f"/incidents/{key}/autosave", data={**base, "section-summary": "Other"})
    assert stale.status_code == 409
    conflict = stale.get_json()["conflict"]
    assert conflict["current_version"] == 2
    assert [f["name"] for f in conflict["fields"]] == ["section-summary"]
    assert conflict["fields"][0]["kind"] == "conflict"
    bad = client.post(f"/incidents/{key}/autosave", data={**base, "version": "2",
                                                          "detected_at": "2026-03-14T08:00"})
    assert bad.status_code == 422
    assert "detected_at" in bad.get_json()["error"]["fields"]


def test_timeline_plain_post_error_keeps_the_row(app, client, login) -> None:
    key = new_incident(app)
    login("author")
    response = client.post(f"/incidents/{key}/timeline", data={
        "at": "", "kind": "note", "text": "Keep this text", "timezone": "UTC"})
    assert response.status_code == 422
    assert ">Keep this text</textarea>" in response.text
    ok = client.post(f"/incidents/{key}/timeline", data={
        "at": "2026-03-14T09:10", "kind": "escalation", "text": "Paged edge", "timezone": "UTC"},
        headers={"HX-Request": "true"})
    assert ok.status_code == 200 and '>Paged edge</textarea>' in ok.text
    assert 'id="timeline"' in ok.text and "<html" not in ok.text


def test_published_post_mortem_is_read_only_in_the_browser(app, client, login, api) -> None:
    author, reviewer = api("author"), api("reviewer")
    key = builders.create_incident(author)["key"]
    builders.make_publishable(author, key)
    builders.submit_for_review(author, key)
    reviewer.post(f"/api/v1/incidents/{key}/transition", json={"to": "published"})
    login("author")
    assert client.get(f"/incidents/{key}/edit").status_code == 302
    response = client.post(f"/incidents/{key}/timeline", data={
        "at": "2026-03-14T09:10", "text": "late", "timezone": "UTC"})
    assert response.status_code == 302
    assert len(author.get(f"/api/v1/incidents/{key}").get_json()["timeline"]) == 0


def test_preview_is_sanitised(client, login) -> None:
    login("author")
    body = client.post("/incidents/preview", data={
        "markdown": "<script>x</script><img src=x onerror=alert(1)>[a](javascript:alert(1))"}
    ).get_json()
    assert "<script" not in body["html"] and "onerror" not in body["html"]
    assert "javascript" not in body["html"]


def test_review_page_transitions_and_comments(app, client, login, api) -> None:
    author = api("author")
    key = builders.create_incident(author)["key"]
    builders.submit_for_review(author, key)
    login("reviewer")
    page = client.get(f"/incidents/{key}/review")
    assert "There is no action item" in page.text and "Publish" in page.text
    refused = client.post(f"/incidents/{key}/transition", data={"to": "published"},
                          follow_redirects=True)
    assert "Not published" in refused.text and "There is no contributing factor." in refused.text
    client.post(f"/incidents/{key}/comments", data={"section": "impact", "body": "Numbers?"})
    page = client.get(f"/incidents/{key}/review")
    assert "Numbers?" in page.text and "1 open" in page.text
    back = client.post(f"/incidents/{key}/transition", data={"to": "draft", "comment": "More"})
    assert back.status_code == 302
    assert author.get(f"/api/v1/incidents/{key}").get_json()["status"] == "draft"
    # The author sees the open comment next to the section it is about.
    editor = client.get(f"/incidents/{key}/edit").text
    assert 'class="review-comment"' in editor and "Numbers?" in editor


def test_history_and_diff_pages(app, client, login, api) -> None:
    author = api("author")
    key = builders.create_incident(author, sections={"summary": "Before"})["key"]
    author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "sections": {"summary": "After"}})
    login("viewer")
    history = client.get(f"/incidents/{key}/history")
    assert "Edited Summary" in history.text and "Created" in history.text
    diff = client.get(f"/incidents/{key}/history/diff?a=1&b=2")
    assert diff.status_code == 200
    assert "Before" in diff.text and "After" in diff.text and "d-replace" in diff.text
    assert client.get(f"/incidents/{key}/history/diff?a=1&b=9").status_code == 404


def test_admin_edits_a_template_without_touching_existing_post_mortems(app, client, login) -> None:
    key = new_incident(app)
    login("admin")
    response = client.post("/admin/templates/new", data={
        "key": "database", "name": "Database incident", "description": "For data stores",
        "section_title": ["Summary", "Data integrity", ""], "section_key": ["summary", "", ""],
        "section_guidance": ["What happened", "Was data lost?", ""], "section_required": ["1"]})
    assert response.status_code == 302
    with app.app_context():
        template = db.session.scalar(select(Template).where(Template.key == "database"))
        assert [(s.key, s.required) for s in template.sections] == [
            ("summary", False), ("data_integrity", True)]
    edited = client.post("/admin/templates/standard", data={
        "name": "Standard", "section_title": ["Only one"], "section_key": ["only_one"],
        "section_guidance": [""]})
    assert edited.status_code == 302
    with app.app_context():
        assert len(incidents.get_incident(key, reader=None).sections) == 9
    bad = client.post("/admin/templates/new", data={"key": "Bad Key", "name": "",
                                                    "section_title": [""]})
    assert bad.status_code == 422


def test_admin_edits_the_taxonomy(client, login, api) -> None:
    login("admin")
    assert client.post("/admin/taxonomy", data={"key": "feature-flag", "name": "Feature flag",
                                                "active": "1"}).status_code == 302
    keys = [c["key"] for c in api("viewer").get("/api/v1/taxonomy").get_json()]
    assert "feature-flag" in keys
    client.post("/admin/taxonomy", data={"key": "feature-flag", "name": "Feature flag"})
    keys = [c["key"] for c in api("viewer").get("/api/v1/taxonomy").get_json()]
    assert "feature-flag" not in keys
    assert client.post("/admin/taxonomy", data={"key": "", "name": ""}).status_code == 422
