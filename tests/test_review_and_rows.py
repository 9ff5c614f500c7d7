"""Second-round contract additions: reviewers and their queue, archive and restore, rows edited
by several people, deployments around an incident, and what holds back a review or a publish."""

from __future__ import annotations

import re

from . import builders
from .builders import assert_error, create_incident, make_publishable, submit_for_review


def test_rows_carry_versions_and_stale_edits_are_refused(api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    event = author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:05:00Z", "text": "Alert fired"}).get_json()
    factor = author.post(f"/api/v1/incidents/{key}/factors", json={"text": "No range check"}).get_json()
    item = author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Add a range check", "kind": "prevent"}).get_json()
    assert event["version"] == factor["version"] == item["version"] == 1
    rows = ((f"/api/v1/incidents/{key}/timeline/{event['id']}", "text"),
            (f"/api/v1/incidents/{key}/factors/{factor['id']}", "text"),
            (f"/api/v1/action-items/{item['id']}", "title"))
    for url, field in rows:
        mine = author.patch(url, json={"version": 1, field: "Mine"})
        assert mine.status_code == 200 and mine.get_json()["version"] == 2
        # Someone who still has version 1 open: refused, with the row as it is now.
        stale = assert_error(author.patch(url, json={"version": 1, field: "Theirs"}), 409)
        assert stale["current"][field] == "Mine" and stale["current"]["version"] == 2
        assert author.patch(url, json={field: "Without a version"}).status_code == 200
    author.delete(f"/api/v1/incidents/{key}/timeline/{event['id']}")
    assert_error(author.patch(rows[0][0], json={"version": 3, "text": "Gone"}), 404)


def test_reviewers_and_the_review_queue(api) -> None:
    author, reviewer = api("author"), api("reviewer")
    mine = create_incident(author, title="Asked to review", reviewers=[reviewer.email])
    assert mine["reviewers"] == [reviewer.email]
    other = create_incident(author, title="Someone else's")
    assert_error(author.patch(f"/api/v1/incidents/{other['key']}", json={
        "version": 1, "reviewers": ["nobody@example.com"]}), 422, "reviewers")
    submit_for_review(author, mine["key"])
    submit_for_review(author, other["key"])
    queue = reviewer.get("/api/v1/incidents?reviewer=me&status=in_review").get_json()
    assert [i["key"] for i in queue["items"]] == [mine["key"]]
    by_email = author.get(f"/api/v1/incidents?reviewer={reviewer.email}").get_json()
    assert by_email["total"] == 1


def test_an_open_review_comment_holds_back_publishing(api, app) -> None:
    author, reviewer = api("author"), api("reviewer")
    key = create_incident(author)["key"]
    make_publishable(author, key)
    submit_for_review(author, key)
    from postmortem.extensions import db
    from postmortem.models import ReviewComment
    from postmortem.services import incidents

    with app.app_context():
        incident = incidents.get_incident(key, reader=None)
        db.session.add(ReviewComment(incident=incident, body="Impact needs numbers",
                                     section_key="impact"))
        db.session.commit()
    refused = assert_error(reviewer.post(f"/api/v1/incidents/{key}/transition", json={
        "to": "published"}), 422, "checklist")
    assert any("Impact needs numbers" in line for line in refused["fields"]["checklist"])
    with app.app_context():
        comment = db.session.query(ReviewComment).one()
        incidents.resolve_comment(incidents.get_incident(key, reader=None), None, comment.id)  # type: ignore[arg-type]
    published = reviewer.post(f"/api/v1/incidents/{key}/transition", json={"to": "published"})
    assert published.status_code == 200 and published.get_json()["status"] == "published"


def test_archive_and_restore(api) -> None:
    author, admin = api("author"), api("admin")
    key = create_incident(author, title="Unique cache words zebra")["key"]
    author.post(f"/api/v1/incidents/{key}/action-items", json={"title": "Zebra fix", "kind": "detect"})
    assert_error(author.delete(f"/api/v1/incidents/{key}"), 403)
    assert admin.delete(f"/api/v1/incidents/{key}").status_code == 204
    kept = author.get(f"/api/v1/incidents/{key}").get_json()
    assert kept["archived_at"] is not None
    assert author.get("/api/v1/incidents").get_json()["total"] == 0
    assert author.get("/api/v1/action-items").get_json()["total"] == 0
    assert author.get("/api/v1/search?q=zebra").get_json()["total"] == 0
    restored = admin.post(f"/api/v1/incidents/{key}/restore")
    assert restored.status_code == 200 and restored.get_json()["archived_at"] is None
    assert author.get("/api/v1/incidents").get_json()["total"] == 1
    assert author.get("/api/v1/search?q=zebra").get_json()["total"] == 1
    summaries = [r["summary"] for r in author.get(f"/api/v1/incidents/{key}/revisions").get_json()]
    assert "Archived" in summaries and "Restored from the archive" in summaries


def test_suggested_deployments_before_and_after_the_start(api) -> None:
    author, ci = api("author"), api("deployer")
    key = create_incident(author, services=["checkout"], started_at="2026-03-14T09:00:00Z")["key"]
    for version, at in (("1.0", "2026-03-14T08:00:00Z"), ("1.1", "2026-03-14T09:30:00Z"),
                        ("0.9", "2026-03-12T08:00:00Z")):
        ci.post("/api/v1/deployments", json={"service": "checkout", "version": version,
                                             "environment": "production", "deployed_at": at,
                                             "artifact": f"sha256:{version}"})
    around = author.get(f"/api/v1/incidents/{key}/suggested-deployments?hours=24&after_hours=6")
    assert [(d["version"], d["position"]) for d in around.get_json()] == [
        ("1.1", "after"), ("1.0", "before")]
    before_only = author.get(f"/api/v1/incidents/{key}/suggested-deployments?hours=24").get_json()
    assert [d["version"] for d in before_only] == ["1.0"]
    assert_error(author.get(f"/api/v1/incidents/{key}/suggested-deployments?after_hours=-1"),
                 422, "after_hours")


def test_editor_shows_reviewers_the_queue_and_a_request_for_changes(app, api, client, login) -> None:
    author = api("author")
    email = login("reviewer")
    key = create_incident(author, reviewers=[email])["key"]
    submit_for_review(author, key)
    page = client.get("/incidents")
    assert 'data-testid="review-queue"' in page.text and "To review" in page.text
    client.post(f"/incidents/{key}/transition", data={"to": "draft", "comment": "Impact needs numbers"})
    editor = client.get(f"/incidents/{key}/edit").text
    assert 'data-testid="changes-requested"' in editor and "Impact needs numbers" in editor
    assert f'value="{email}"' in editor  # the reviewers field


def test_the_review_queue_count_follows_reviewers_and_statuses(api, client, login) -> None:
    """The top bar's count (kept by the published record's version) changes at once when a
    post-mortem in review gains the person as a reviewer, and when one leaves review."""
    author = api("author")
    email = login("reviewer")

    def count() -> int:
        found = re.search(r'data-testid="review-queue">To review <span class="count">(\d+)',
                          client.get("/incidents").text)
        return int(found.group(1)) if found else 0

    first = create_incident(author, reviewers=[email])["key"]
    second = create_incident(author)["key"]
    submit_for_review(author, first)
    submit_for_review(author, second)
    assert count() == 1
    version = author.get(f"/api/v1/incidents/{second}").get_json()["version"]
    author.patch(f"/api/v1/incidents/{second}", json={"version": version, "reviewers": [email]})
    assert count() == 2
    client.post(f"/incidents/{first}/transition", data={"to": "draft", "comment": "More detail"})
    assert count() == 1


def test_quick_timeline_entry_and_events_outside_the_incident(api, client, login) -> None:
    author = api("author")
    key = create_incident(author, started_at="2026-03-14T09:00:00Z",
                          resolved_at="2026-03-15T02:00:00Z")["key"]
    login("author")
    page = client.get(f"/incidents/{key}/edit?timezone=UTC").text
    assert '<option value="2026-03-14"' in page and '<option value="2026-03-15"' in page
    client.post(f"/incidents/{key}/timeline", data={"day": "2026-03-15", "time": "01:30",
                                                     "kind": "mitigation", "text": "Rolled back",
                                                     "timezone": "UTC"})
    refused = client.post(f"/incidents/{key}/timeline", data={
        "day": "2026-03-14", "time": "9pm", "kind": "note", "text": "x", "timezone": "UTC"})
    assert "24-hour" in refused.text
    client.post(f"/incidents/{key}/timeline", data={"day": "2026-03-14", "time": "9:05",
                                                     "kind": "note", "text": "Paged", "timezone": "UTC"})
    events = author.get(f"/api/v1/incidents/{key}").get_json()["timeline"]
    assert [(e["at"], e["text"]) for e in events] == [
        ("2026-03-14T09:05:00Z", "Paged"), ("2026-03-15T01:30:00Z", "Rolled back")]
    author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-04-30T10:00:00Z", "text": "Six weeks later"})
    assert client.get(f"/incidents/{key}/edit").text.count('data-testid="outside-window"') == 1


SLACK_COPY = """Ana Lima  9:02 AM
Seeing a spike of 502s on checkout, alert fired
Sam Okafor  9:05 AM
Paging the edge team
[9:12 AM] Lee Chen: edge-cache 2026.03.14-1 was deployed at 8:55
[9:20 AM] Ana Lima: status page updated for customers
9:38 Ana Lima: rolling back edge-cache to 2026.03.13-2
9:41 Sam Okafor: errors are down to 0.5%
it looks stable now
[14/03/2026 11:30] Lee Chen: resolved, all clear"""


def test_a_pasted_chat_transcript_becomes_proposed_events(api, app) -> None:
    from postmortem.services import incidents

    author = api("author")
    key = create_incident(author, started_at="2026-03-14T09:00:00Z")["key"]
    with app.app_context():
        proposals = incidents.propose_events(SLACK_COPY, incidents.get_incident(key, reader=None), "UTC")
        assert [(p.at.strftime("%H:%M"), p.kind.value) for p in proposals] == [
            ("09:02", "detection"), ("09:05", "escalation"), ("09:12", "deploy"),
            ("09:20", "communication"), ("09:38", "rollback"), ("09:41", "mitigation"),
            ("11:30", "resolution")]
        assert proposals[5].text == "Sam Okafor: errors are down to 0.5% it looks stable now"
        berlin = incidents.propose_events("[10:02] Ana: alert fired", incidents.get_incident(key, reader=None),
                                          "Europe/Berlin")
        assert berlin[0].at.strftime("%H:%M") == "09:02"  # 10:02 in Berlin is 09:02 UTC


def test_reviewers_are_told_by_mail_and_webhook(app, api, webhook_server, mail_server) -> None:
    import json

    from .listeners import _Capture

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port, WEBHOOK_URL=webhook_server,
                      BASE_URL="https://pm.example.com")
    author, reviewer = api("author"), api("reviewer")
    key = create_incident(author)["key"]
    author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "reviewers": [reviewer.email]})
    author.patch(f"/api/v1/incidents/{key}", json={"version": 2, "title": "Renamed"})  # no new ask
    assert [m.rcpt_tos for m in mail_server.messages] == [[reviewer.email]]
    text = mail_server.messages[0].content.decode()
    assert f"Subject: Please review {key}" in text and f"https://pm.example.com/incidents/{key}/review" in text
    events = [json.loads(body) for _, body in _Capture.received]
    asked = [e for e in events if e["event"] == "incident.review_requested"]
    assert len(asked) == 1 and asked[0]["reviewers"] == [reviewer.email]


def test_comments_on_a_passage_and_mentions(app, api, client, login, webhook_server, mail_server) -> None:
    import json

    from postmortem.extensions import db
    from postmortem.models import ReviewComment

    from .listeners import _Capture

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port, WEBHOOK_URL=webhook_server)
    author = api("author")
    key = create_incident(author, sections={"response": "We   rolled the\nconfig back."})["key"]
    login("reviewer", email="rui@example.com", name="Rui Costa")
    from . import builders
    with app.app_context():
        builders.make_user(role="author", email="sam.okafor@example.com", name="Sam Okafor")
        builders.make_user(role="viewer", email="sam@elsewhere.example", name="Gone").active = False
        db.session.commit()

    # A passage (spaces as the browser selected them), a handle and a whole address.
    response = client.post(f"/incidents/{key}/comments", data={
        "section": "response", "quote": " rolled the  config back ",
        "body": f"@sam.okafor and @{author.email}: which version? (cc @nobody, @sam, mail@sam.okafor)"})
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.scalar(db.select(ReviewComment))
        assert comment.quote == "rolled the config back"
        assert sorted(u.email for u in comment.mentioned) == sorted(["sam.okafor@example.com", author.email])
    assert sorted(m.rcpt_tos[0] for m in mail_server.messages) == sorted(["sam.okafor@example.com", author.email])
    mentioned = [json.loads(body) for _, body in _Capture.received]
    assert mentioned[0]["event"] == "comment.mentioned"
    assert mentioned[0]["comment"]["quote"] == "rolled the config back"

    page = client.get(f"/incidents/{key}/review").get_data(as_text=True)
    assert 'data-quote="rolled the config back"' in page
    assert '<strong class="mention" title="Sam Okafor">@sam.okafor</strong>' in page
    assert "@nobody" in page and "This passage has changed" not in page

    # The section changes: the comment stays, and says its passage is gone.
    version = author.get(f"/api/v1/incidents/{key}").get_json()["version"]
    author.patch(f"/api/v1/incidents/{key}", json={"version": version, "sections": {"response": "Reverted."}})
    assert "This passage has changed" in client.get(f"/incidents/{key}/review").get_data(as_text=True)

    # A passage with no section, or an empty comment: refused, the text back in the form.
    refused = client.post(f"/incidents/{key}/comments", data={"quote": "Reverted", "body": "Why?"})
    assert refused.status_code == 422
    assert "A quoted passage belongs to a section." in refused.get_data(as_text=True)
    assert ">Why?</textarea>" in refused.get_data(as_text=True)
    empty = client.post(f"/incidents/{key}/comments", data={"section": "impact", "body": "  "})
    assert empty.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ReviewComment.id))) == 1


def test_presence_shows_who_else_is_on_it(app, api, client, login) -> None:
    key = create_incident(api("author"))["key"]
    login("author", email="ana@example.com", name="Ana Lima")
    assert client.post(f"/incidents/{key}/presence", data={"activity": "editing"}).get_data(as_text=True).strip() == ""
    other = app.test_client()
    with app.app_context():
        from . import builders
        builders.make_user(role="viewer", email="vic@example.com", name="Vic Viewer")
    other.post("/login", data={"email": "vic@example.com", "password": builders.PASSWORD})
    # A viewer cannot claim to be editing; the author sees them reading.
    other.post(f"/incidents/{key}/presence", data={"activity": "editing"})
    assert "Vic Viewer</strong> is reading" in client.post(
        f"/incidents/{key}/presence", data={"activity": "editing"}).get_data(as_text=True)
    other.post(f"/incidents/{key}/presence/leave")
    assert "Vic" not in client.post(f"/incidents/{key}/presence", data={"activity": "editing"}).get_data(as_text=True)
    # Logging out leaves every post-mortem at once (the page's goodbye comes too late then).
    other.post(f"/incidents/{key}/presence", data={"activity": "reading"})
    other.post("/logout")
    assert "Vic" not in client.post(f"/incidents/{key}/presence", data={"activity": "editing"}).get_data(as_text=True)
    assert client.post("/incidents/INC-999/presence").status_code == 404


def test_a_stale_action_item_edit_in_the_browser_shows_both(app, api, client, login) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    item = author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Add range validation", "kind": "prevent", "team": "edge"}).get_json()
    login("author")
    page = client.get(f"/action-items/{item['id']}").get_data(as_text=True)
    assert 'name="version" value="1"' in page
    author.patch(f"/api/v1/action-items/{item['id']}", json={"title": "Validate TTL ranges", "version": 1})
    form = {"version": "1", "title": "Add range validation to the schema", "kind": "prevent",
            "team": "edge", "status": "open"}
    response = client.post(f"/action-items/{item['id']}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="row-conflict"' in html and "nothing was saved" in html
    assert "<td>Validate TTL ranges</td><td>Add range validation to the schema</td>" in html
    assert 'name="version" value="2"' in html  # "Keep mine" saves over what is there now
    assert author.get(f"/api/v1/action-items/{item['id']}").get_json()["title"] == "Validate TTL ranges"
    assert client.post(f"/action-items/{item['id']}", data={**form, "version": "2"}).status_code == 302
    assert author.get(f"/api/v1/action-items/{item['id']}").get_json()["title"] == \
        "Add range validation to the schema"


def test_linking_any_deployment_with_roles_that_fit(app, api, client, login) -> None:
    import re

    author, ci = api("author"), api("deployer")
    key = create_incident(author, services=["checkout"], started_at="2026-03-14T09:00:00Z")["key"]
    for service, version, at in (("checkout", "1.0", "2026-03-14T08:00:00Z"),
                                 ("checkout", "0.9", "2026-03-14T07:00:00Z"),
                                 ("checkout", "1.1", "2026-03-14T09:30:00Z"),
                                 ("search", "8.10.0", "2026-01-02T10:00:00Z"),
                                 ("search", "8.9.0", "2025-12-01T10:00:00Z")):
        ci.post("/api/v1/deployments", json={
            "service": service, "version": version, "environment": "production", "deployed_at": at,
            "artifact": f"registry.example.com/{service}@sha256:{version.replace('.', '')}abcdef0123"})
    login("author")

    def offered(html: str) -> dict[str, list[str]]:
        items = re.findall(r'<li data-deployment="\d+"><strong>(.*?)</strong>(.*?)</li>', html, re.S)
        return {name: re.findall(r'name="role" value="(\w+)"', rest) for name, rest in items}

    page = client.get(f"/incidents/{key}/edit").get_data(as_text=True)
    roles = offered(page)
    assert roles["checkout 1.0"] == ["suspected", "culprit"]  # running at the start
    assert roles["checkout 0.9"] == ["suspected", "culprit", "rollback_target"]  # known-good before
    assert roles["checkout 1.1"] == ["rollback_target", "suspected"]  # after the start
    assert "running at the start" in page

    # Search reaches any service and any time: by version, by digest prefix, by two words.
    found = client.get(f"/incidents/{key}/deployments/find?q=8.10", headers={"HX-Request": "true"})
    assert list(offered(found.get_data(as_text=True))) == ["search 8.10.0"]
    by_digest = client.get(f"/incidents/{key}/deployments/find?q=sha256:890abc",
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert list(offered(by_digest)) == ["search 8.9.0"]
    both = client.get(f"/incidents/{key}/deployments/find?q=search+production",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert list(offered(both)) == ["search 8.10.0", "search 8.9.0"]
    nothing = client.get(f"/incidents/{key}/deployments/find?q=%25_%5C",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No deployment matches" in nothing
    # Without JavaScript the search answers with the whole editor, results in place.
    plain = client.get(f"/incidents/{key}/deployments/find?q=8.9").get_data(as_text=True)
    assert "search 8.9.0" in plain and 'id="editor-form"' in plain


def test_archive_and_restore_in_the_browser(app, api, client, login) -> None:
    author = api("author")
    key = create_incident(author, title="Opened by mistake")["key"]
    login("author")
    page = client.get(f"/incidents/{key}").get_data(as_text=True)
    assert "Archive this post-mortem" not in page  # admins only
    assert client.post(f"/incidents/{key}/archive").status_code == 403
    client.post("/logout")
    login("admin")
    assert "Archive this post-mortem" in client.get(f"/incidents/{key}").get_data(as_text=True)
    response = client.post(f"/incidents/{key}/archive", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert 'data-testid="archived-banner"' in html and "is archived" in html
    assert "Opened by mistake" not in client.get("/incidents").get_data(as_text=True)
    listed = client.get("/admin/archive").get_data(as_text=True)
    assert key in listed and "Opened by mistake" in listed
    history = [r["summary"] for r in author.get(f"/api/v1/incidents/{key}/revisions").get_json()]
    assert history[-1] == "Archived"
    restored = client.post(f"/incidents/{key}/restore", data={"next": "/admin/archive"})
    assert restored.headers["Location"].endswith("/admin/archive")
    assert "Nothing is archived" in client.get("/admin/archive").get_data(as_text=True)
    assert "Opened by mistake" in client.get("/incidents").get_data(as_text=True)
    assert author.get(f"/api/v1/incidents/{key}/revisions").get_json()[-1]["summary"] == \
        "Restored from the archive"


def test_a_ping_sent_before_the_leave_does_not_bring_the_person_back(app, api, client, login) -> None:
    """A page's last ping can reach the server after the page said it left (the two race):
    that page no longer counts, while a new page of the same person does."""
    key = create_incident(api("author"))["key"]
    login("author")
    other = app.test_client()
    with app.app_context():
        builders.make_user(role="reviewer", email="vic@example.com", name="Vic Reviewer")
    other.post("/login", data={"email": "vic@example.com", "password": builders.PASSWORD})
    other.post(f"/incidents/{key}/presence", data={"activity": "reviewing", "page": "abc123"})
    assert "Vic" in client.post(f"/incidents/{key}/presence", data={"activity": "editing"}).text
    other.post(f"/incidents/{key}/presence/leave", data={"page": "abc123"})
    other.post(f"/incidents/{key}/presence", data={"activity": "reviewing", "page": "abc123"})
    assert "Vic" not in client.post(f"/incidents/{key}/presence", data={"activity": "editing"}).text
    other.post(f"/incidents/{key}/presence", data={"activity": "reviewing", "page": "def456"})
    assert "Vic" in client.post(f"/incidents/{key}/presence", data={"activity": "editing"}).text
