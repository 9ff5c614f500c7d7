"""The home page: what needs me, and the first steps of a new install."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from . import builders
from .builders import create_incident, submit_for_review


def test_home_shows_what_needs_me(app, api, client, login) -> None:
    author, admin = api("author"), api("admin")
    email = login("reviewer")
    today = datetime.now(UTC).date()
    past = (today - timedelta(days=3)).isoformat()
    soon = (today + timedelta(days=2)).isoformat()
    later = (today + timedelta(days=40)).isoformat()
    key = create_incident(author, title="Cache outage")["key"]
    for title, due in (("Overdue fix", past), ("Soon fix", soon), ("Later fix", later)):
        author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": title, "kind": "prevent", "due_date": due, "owner": email})
    review = create_incident(author, title="Please review me", reviewers=[email])["key"]
    create_incident(author, title="My own draft", commander=email)
    submit_for_review(author, review)
    a_year_ago = datetime.now(UTC).replace(year=today.year - 1, hour=10, minute=0, second=0,
                                           microsecond=0)
    create_incident(author, title="Last year's outage", started_at=a_year_ago.isoformat(),
                    detected_at=None)
    resolved = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)
    create_incident(author, title="Unwritten SEV1", severity="SEV1",
                    started_at=(resolved - timedelta(hours=2)).isoformat(), detected_at=None,
                    resolved_at=resolved.isoformat())
    admin.post("/api/v1/deployments", json={"service": "x", "version": "1", "environment": "p"})

    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    mine = html.split('data-testid="my-items"')[1].split("</section>")[0]
    assert "Overdue fix" in mine and "Soon fix" in mine and "Later fix" not in mine
    waiting = html.split('data-testid="waiting"')[1].split("</section>")[0]
    assert "Please review me" in waiting and "My own draft" in waiting
    assert "Last year&#39;s outage" in html.split('data-testid="on-this-day"')[1]
    assert "Unwritten SEV1" in html.split('data-testid="owed"')[1].split("</section>")[0]


def _steps(html: str) -> dict[str, str]:
    return {step: cls for cls, step in re.findall(r'<li class="(met|unmet)" data-step="(\w+)">', html)}


def test_first_run_checklist_ticks_itself(app, api, client, login) -> None:
    login("admin")
    html = client.get("/").text
    assert 'data-testid="first-run"' in html
    assert _steps(html) == {"invite": "unmet", "ci_token": "unmet", "templates": "unmet",
                            "first_post_mortem": "unmet", "clock": "unmet"}
    author = api("author")  # a second user
    create_incident(author)
    # Deployments recorded (by anyone, with any token) tick "Record deployments from CI".
    author.post("/api/v1/deployments", json={"service": "x", "version": "1",
                                             "environment": "production"})
    steps = _steps(client.get("/").text)
    assert steps["invite"] == steps["ci_token"] == steps["first_post_mortem"] == "met"
    assert steps["templates"] == "unmet"
    assert "Deployments are being recorded" in client.get("/").text


def test_each_person_sees_their_own_steps_and_can_hide_them(app, api, client, login) -> None:
    login("author")
    html = client.get("/").text
    # No admin's steps (a CI token, templates, inviting people) for an author.
    assert _steps(html) == {"first_post_mortem": "unmet", "clock": "unmet"}
    assert "/api/v1/deployments" not in html
    response = client.post("/account/preferences", data={"clock": "12h", "time_zone": "UTC"})
    assert response.status_code == 302
    assert _steps(client.get("/").text)["clock"] == "met"
    response = client.post("/account/preferences", data={"steps_hidden": "1", "next": "/"})
    assert response.headers["Location"] == "/"
    assert 'data-testid="first-run"' not in client.get("/").text
    assert "Show it on my home page again" in client.get("/account/").text
    client.post("/account/preferences", data={"steps_hidden": "0"})
    assert 'data-testid="first-run"' in client.get("/").text


def test_preferences_refuse_unknown_values_without_an_error_page(client, login) -> None:
    login("viewer")
    for data in ({"clock": "25h"}, {"time_zone": "Mars/Olympus"}, {"time_zone": "../../etc"}):
        response = client.post("/account/preferences", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert "not saved" in response.text or "is not" in response.text or "must be" in response.text
    assert _steps(client.get("/").text) == {"clock": "unmet"}


def test_the_authors_home_says_who_requested_changes(app, api, client, login) -> None:
    author = api("author")
    reviewer = api("reviewer")
    with app.app_context():
        builders.rename(reviewer.email, "Ana Lima")
    email = login("author", name="Sam Okafor")
    key = create_incident(author, title="Needs more work", commander=email,
                          reviewers=[reviewer.email])["key"]
    submit_for_review(author, key)
    assert reviewer.post(f"/api/v1/incidents/{key}/transition", json={
        "to": "draft", "comment": "The impact section needs numbers."}).status_code == 200
    waiting = client.get("/").text.split('data-testid="waiting"')[1].split("</section>")[0]
    assert "Needs more work" in waiting
    assert "Changes requested by Ana Lima" in waiting


def test_admin_sets_when_a_post_mortem_is_owed(api, client, login) -> None:
    author = api("author")
    resolved = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    create_incident(author, title="Recent SEV2", severity="SEV2", detected_at=None,
                    started_at=(resolved - timedelta(hours=1)).isoformat(),
                    resolved_at=resolved.isoformat())
    login("admin")
    assert 'data-testid="owed"' not in client.get("/").text  # 3 days < the default 10
    refused = client.post("/admin/settings", data={"SEV1": "5", "SEV2": "zero"})
    assert refused.status_code == 422 and "whole number of days" in refused.text
    client.post("/admin/settings", data={"SEV1": "5", "SEV2": "2"})
    assert "Recent SEV2" in client.get("/").text.split('data-testid="owed"')[1]
    assert 'value="2"' in client.get("/admin/settings").text
