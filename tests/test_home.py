"""The home page: what needs me, and the first steps of a new install."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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


def test_first_run_checklist_ticks_itself(app, api, client, login) -> None:
    login("admin")
    html = client.get("/").text
    assert 'data-testid="first-run"' in html
    steps = {step: cls for cls, step in
             re.findall(r'<li class="(met|unmet)" data-step="(\w+)">', html)}
    assert steps == {"invite": "unmet", "ci_token": "unmet", "templates": "unmet",
                     "first_post_mortem": "unmet"}
    ci = api("deployer")  # a second user, with a CI token
    assert ci.token
    create_incident(api("author"))
    steps = dict((step, cls) for cls, step in
                 re.findall(r'<li class="(met|unmet)" data-step="(\w+)">',
                                          client.get("/").text))
    assert steps["invite"] == steps["ci_token"] == steps["first_post_mortem"] == "met"
    assert steps["templates"] == "unmet"


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
