"""Action items: lifecycle, filters, stats, CSV, the board, reminders and the webhook."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import threading
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from postmortem.extensions import db
from postmortem.models import ActionItemEvent

from .builders import assert_error, create_incident
from .listeners import _Capture

PAST = (date.today() - timedelta(days=10)).isoformat()
FUTURE = (date.today() + timedelta(days=30)).isoformat()


def three_items(api):  # noqa: ANN001, ANN201
    author = api("author")
    key = create_incident(author)["key"]
    items = []
    for title, due, team in (("Add TTL range check", PAST, "edge"),
                             ("Alert on config errors", FUTURE, "edge"),
                             ("Runbook for cache rollbacks", FUTURE, "sre")):
        response = author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": title, "kind": "prevent", "due_date": due, "team": team,
            "owner": author.email})
        assert response.status_code == 201, response.text
        items.append(response.get_json())
    return author, key, items


def test_acceptance_lifecycle_filters_and_stats(api) -> None:
    author, key, (late, soon, later) = three_items(api)
    assert [late["overdue"], soon["overdue"], later["overdue"]] == [True, False, False]
    assert_error(author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "x", "kind": "hope"}), 422, "kind")
    assert_error(author.post(f"/api/v1/incidents/{key}/action-items", json={"kind": "detect"}),
                 422, "title")
    assert_error(api("viewer").post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "x", "kind": "detect"}), 403)
    assert_error(api("viewer").patch(f"/api/v1/action-items/{late['id']}", json={
        "status": "done"}), 403)

    moving = author.patch(f"/api/v1/action-items/{soon['id']}", json={"status": "in_progress"})
    assert moving.status_code == 200 and moving.get_json()["status"] == "in_progress"
    done = author.patch(f"/api/v1/action-items/{late['id']}", json={"status": "done"}).get_json()
    assert done["status"] == "done" and done["completed_at"] and done["overdue"] is False
    refused = author.patch(f"/api/v1/action-items/{later['id']}", json={"status": "wont_do"})
    assert_error(refused, 422, "resolution_note")
    assert author.get(f"/api/v1/action-items/{later['id']}").get_json()["status"] == "open"
    dropped = author.patch(f"/api/v1/action-items/{later['id']}", json={
        "status": "wont_do", "resolution_note": "Superseded by the config service rewrite"})
    assert dropped.status_code == 200 and dropped.get_json()["status"] == "wont_do"

    stats = author.get("/api/v1/action-items/stats").get_json()
    assert {k: stats[k] for k in ("open", "in_progress", "done", "wont_do", "completion_rate")} == {
        "open": 0, "in_progress": 1, "done": 1, "wont_do": 1, "completion_rate": 0.5}
    assert stats["overdue"] == 0 and stats["median_days_to_done"] is not None

    reopened = author.patch(f"/api/v1/action-items/{late['id']}", json={"status": "open"}).get_json()
    assert reopened["completed_at"] is None and reopened["overdue"] is True

    def titles(query: str) -> list[str]:
        return [i["title"] for i in author.get(f"/api/v1/action-items{query}").get_json()["items"]]

    assert titles("") == ["Add TTL range check", "Alert on config errors",
                          "Runbook for cache rollbacks"]  # earliest due first
    assert titles("?status=in_progress") == ["Alert on config errors"]
    assert titles("?team=sre") == ["Runbook for cache rollbacks"]
    assert titles("?overdue=true") == ["Add TTL range check"]
    assert titles(f"?incident={key}&kind=prevent") == titles("")
    assert titles(f"?owner={author.email}") == titles("")
    assert_error(author.get("/api/v1/action-items?status=finished"), 422, "status")
    assert_error(author.get("/api/v1/action-items?incident=INC-999"), 422, "incident")


def test_back_filled_completion_date(api) -> None:
    author, _, (item, *_rest) = three_items(api)
    when = "2026-01-15T10:00:00Z"
    body = author.patch(f"/api/v1/action-items/{item['id']}", json={
        "status": "done", "completed_at": when}).get_json()
    assert body["completed_at"] == when
    future = author.patch(f"/api/v1/action-items/{item['id']}", json={
        "status": "done", "completed_at": "2999-01-01T00:00:00Z"})
    assert_error(future, 422, "completed_at")


def test_every_status_change_is_recorded(app, api) -> None:
    author, _, (item, *_rest) = three_items(api)
    author.patch(f"/api/v1/action-items/{item['id']}", json={"status": "in_progress"})
    author.patch(f"/api/v1/action-items/{item['id']}", json={"status": "done"})
    author.patch(f"/api/v1/action-items/{item['id']}", json={"title": "Renamed only"})
    events = author.get(f"/api/v1/action-items/{item['id']}").get_json()["events"]
    assert [(e["from"], e["to"]) for e in events] == [
        (None, "open"), ("open", "in_progress"), ("in_progress", "done")]
    assert all(e["by"] == author.email for e in events[1:])
    with app.app_context():
        assert len(list(db.session.scalars(select(ActionItemEvent)))) == 3 + 2  # 3 created, 2 moves


def test_board_csv_and_mine(app, api, client, login) -> None:
    author, key, items = three_items(api)
    email = login("viewer")
    board = client.get("/action-items")
    assert board.status_code == 200
    for item in items:
        assert item["title"] in board.text
    assert "<svg" in board.text  # the charts
    filtered = client.get("/action-items?team=sre&group=owner")
    assert "Runbook for cache rollbacks" in filtered.text and "Add TTL range check" not in filtered.text
    exported = client.get("/action-items.csv?team=edge")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["Action item"] for r in rows] == ["Add TTL range check", "Alert on config errors"]
    assert rows[0]["Overdue"] == "yes" and rows[0]["Incident"] == key
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0]["Created"])  # a plain date, no time
    assert rows[0]["Link"].endswith(f"/action-items/{items[0]['id']}")
    assert rows[0]["Incident link"].endswith(f"/incidents/{key}")
    everything = list(csv.DictReader(io.StringIO(client.get("/action-items.csv").text)))
    assert len(everything) == 3
    assert "Nothing assigned to you" in client.get("/action-items/mine").text
    assert client.post(f"/action-items/{items[0]['id']}/status", data={"status": "done"}).status_code == 403
    assert email


def test_board_inline_and_bulk_updates_without_javascript(app, api, client, login) -> None:
    author, key, items = three_items(api)
    login("author")
    ok = client.post(f"/action-items/{items[0]['id']}/status", data={
        "status": "in_progress", "next": "/action-items?team=edge"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/action-items?team=edge"
    refused = client.post(f"/action-items/{items[0]['id']}/status", data={"status": "wont_do"},
                          follow_redirects=True)
    assert "not updated" in refused.text and "Reason is required" in refused.text
    bulk = client.post("/action-items/bulk", data={
        "ids": [str(i["id"]) for i in items], "operation": "done"}, follow_redirects=True)
    assert "3 item(s) moved to done" in bulk.text
    stamped = client.post("/action-items/bulk", data={
        "ids": [str(items[1]["id"])], "operation": "reviewed"}, follow_redirects=True)
    assert "stamped as reviewed" in stamped.text
    body = author.get(f"/api/v1/action-items/{items[1]['id']}").get_json()
    assert body["status"] == "done" and body["reviewed_at"]
    mixed = client.post("/action-items/bulk", data={
        "ids": [str(i["id"]) for i in items], "operation": "wont_do"}, follow_redirects=True)
    assert mixed.text.count("not updated") == 3
    assert client.post("/action-items/bulk", data={"operation": "done"},
                       follow_redirects=True).text.count("Select at least one") == 1


def test_item_detail_page_edits_and_shows_history(app, api, client, login) -> None:
    author, key, items = three_items(api)
    login("author")
    page = client.get(f"/action-items/{items[0]['id']}")
    assert page.status_code == 200 and "Created → Open" in page.text
    saved = client.post(f"/action-items/{items[0]['id']}", data={
        "title": "Add TTL range check (schema)", "kind": "prevent", "status": "done",
        "completed_at": "2026-02-01", "team": "edge", "due_date": PAST})
    assert saved.status_code == 302
    body = author.get(f"/api/v1/action-items/{items[0]['id']}").get_json()
    assert body["title"] == "Add TTL range check (schema)" and body["completed_at"].startswith("2026-02-01")
    bad = client.post(f"/action-items/{items[0]['id']}", data={"title": "", "kind": "prevent"})
    assert bad.status_code == 422 and "is required" in bad.text


def test_webhook_is_signed_and_sent_on_status_changes(app, api, webhook_server) -> None:
    app.config.update(WEBHOOK_URL=webhook_server, WEBHOOK_SECRET="s3cret")
    author, key, (item, *_rest) = three_items(api)
    author.patch(f"/api/v1/action-items/{item['id']}", json={"title": "no status change"})
    author.patch(f"/api/v1/action-items/{item['id']}", json={"status": "done"})
    assert len(_Capture.received) == 1
    headers, body = _Capture.received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Postmortem-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "action_item.status_changed"
    assert (payload["from"], payload["to"]) == ("open", "done")
    assert payload["action_item"]["id"] == item["id"] and payload["incident"]["key"] == key


def test_webhook_failure_never_loses_the_change(app, api) -> None:
    app.config.update(WEBHOOK_URL="http://127.0.0.1:9/unreachable", WEBHOOK_SECRET="x")
    author, _, (item, *_rest) = three_items(api)
    response = author.patch(f"/api/v1/action-items/{item['id']}", json={"status": "done"})
    assert response.status_code == 200
    assert author.get(f"/api/v1/action-items/{item['id']}").get_json()["status"] == "done"


def test_remind_prints_digests_without_mail(app, api, runner) -> None:
    author, key, items = three_items(api)
    result = runner.invoke(args=["remind", "--days", "60"])
    assert result.exit_code == 0, result.output
    assert f"To: {author.email}" in result.output
    assert "Overdue:" in result.output and "Add TTL range check" in result.output
    assert "Due soon:" in result.output and "Runbook for cache rollbacks" in result.output
    # Reminders outlive publication; finished items drop out.
    author.patch(f"/api/v1/action-items/{items[0]['id']}", json={"status": "done"})
    result = runner.invoke(args=["remind", "--days", "0"])
    assert "No overdue or soon-due" in result.output


def test_remind_mails_each_owner_over_smtp(app, api, runner, mail_server) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port, MAIL_FROM="pm@example.com")
    author, key, items = three_items(api)
    result = runner.invoke(args=["remind", "--days", "60"])
    assert result.exit_code == 0, result.output
    assert f"Mailed {author.email}" in result.output
    assert len(mail_server.messages) == 1
    envelope = mail_server.messages[0]
    assert envelope.rcpt_tos == [author.email]
    text = envelope.content.decode()
    assert "Subject: Postmortem action items: 1 overdue, 2 due soon" in text
    assert "Add TTL range check" in text


def test_stats_follow_every_list_filter(api) -> None:
    author, key, (late, soon, later) = three_items(api)
    other = create_incident(author, title="Another outage")["key"]
    author.post(f"/api/v1/incidents/{other}/action-items", json={
        "title": "Payments dashboard", "kind": "detect", "team": "payments"})
    author.patch(f"/api/v1/action-items/{soon['id']}", json={"status": "done"})

    def stats(query: str) -> dict:
        response = author.get(f"/api/v1/action-items/stats?{query}")
        assert response.status_code == 200, response.text
        return response.get_json()

    keys = ("open", "in_progress", "done", "wont_do", "overdue", "completion_rate")

    def figures(query: str) -> tuple:
        body = stats(query)
        return tuple(body[k] for k in keys)

    assert figures("team=payments") == (1, 0, 0, 0, 0, 0)
    edge = stats("team=edge")
    assert (edge["open"], edge["done"], edge["overdue"], edge["completion_rate"]) == (1, 1, 1, 0.5)
    assert stats("status=done")["done"] == 1 and stats("status=done")["open"] == 0
    assert figures("overdue=true") == (1, 0, 0, 0, 1, 0)
    assert stats("kind=detect")["open"] == 1
    assert stats(f"incident={other}")["open"] == 1
    assert stats(f"owner={author.email}")["open"] == 2
    everything = stats("")
    assert everything["open"] == 3 and everything["done"] == 1
    assert_error(author.get("/api/v1/action-items/stats?status=maybe"), 422, "status")


def test_board_figures_follow_its_filters(api, client, login) -> None:
    three_items(api)
    login("viewer")
    page = client.get("/action-items?team=sre")
    cards = re.findall(r'<span class="stat-value[^"]*">(\d+)</span><span class="stat-label">([^<]+)</span>',
                       page.text)
    assert cards, page.text[:2000]
    counts = {label.strip(): int(n) for n, label in cards}
    assert counts.get("open") == 1 and counts.get("overdue") == 0


def test_inline_changes_clear_older_messages(api, client, login) -> None:
    _, _, items = three_items(api)
    login("author")
    response = client.post(f"/action-items/{items[0]['id']}/status", data={"status": "done"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="flashes"' in response.text and 'hx-swap-oob="true"' in response.text


def test_my_action_items_count_what_they_show_and_take_bulk_actions(app, api, client, login) -> None:
    email = login("author")
    author = api("author")
    key = create_incident(author)["key"]
    ids = []
    for title in ("One", "Two", "Three"):
        ids.append(author.post(f"/api/v1/incidents/{key}/action-items", json={
            "title": title, "kind": "prevent", "owner": email}).get_json()["id"])
    author.patch(f"/api/v1/action-items/{ids[0]}", json={"status": "done"})
    page = client.get("/action-items/mine").text
    assert "2 to do · 1 finished" in page
    assert page.count('data-testid="item-row"') == 2 and 'id="bulk-form"' in page
    done = client.post("/action-items/bulk", data={"ids": [str(ids[1]), str(ids[2])],
                                                   "operation": "done",
                                                   "next": "/action-items/mine"},
                       follow_redirects=True)
    assert "2 item(s) moved to done" in done.text
    assert "0 to do · 3 finished" in client.get("/action-items/mine").text
    assert client.get("/action-items/mine?all=1").text.count('data-testid="item-row"') == 3


def test_an_item_added_while_a_section_is_saved_is_no_conflict(app, api) -> None:
    """The editor autosaves a section while the author adds an action item: the add (which
    loaded the post-mortem before the save committed) is not refused as a clash."""
    from postmortem.schemas import ActionItemIn, parse
    from postmortem.services import action_items, incidents

    author = api("author")
    key = create_incident(author)["key"]
    with app.app_context():
        incident = incidents.get_incident(key, reader=None)  # the add's request has loaded it…
        assert incident.version == 1
        saved: list[Any] = []
        autosave = threading.Thread(target=lambda: saved.append(author.patch(  # …when the
            f"/api/v1/incidents/{key}",  # autosave, another request, commits
            json={"version": 1, "sections": {"summary": "Saved meanwhile."}})))
        autosave.start()
        autosave.join()
        assert saved[0].status_code == 200 and saved[0].get_json()["version"] == 2
        item = action_items.create_action_item(incident, None, parse(ActionItemIn, {
            "title": "Add a range check to the cache config", "kind": "prevent"}))
        assert item.id is not None
    titles = [i["title"] for i in author.get(f"/api/v1/incidents/{key}").get_json()["action_items"]]
    assert titles == ["Add a range check to the cache config"]


def test_weekly_progress_counts_each_week_end(app, api) -> None:
    """The board's chart: at each of the last twelve weeks' ends, the items made by then and
    not yet done or dropped (open), and those done by then (done), worked out in one grouped
    pass; checked here against the items' own times counted one by one."""
    from datetime import UTC, datetime, time

    from postmortem.models import ActionItem, ActionStatus
    from postmortem.services.action_items import board

    author, key, items = three_items(api)
    items.append(author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Drop the old cache tier", "kind": "prevent"}).get_json())
    now = datetime.now(UTC)
    # Spread over the chart's twelve weeks and before it: made, done, dropped and open ones.
    spread = [(40, 30, ActionStatus.DONE), (100, None, ActionStatus.OPEN),
              (60, 2, ActionStatus.DONE), (20, None, ActionStatus.WONT_DO)]
    with app.app_context():
        for item, (made_ago, done_ago, status) in zip(
                db.session.scalars(select(ActionItem).order_by(ActionItem.id)), spread, strict=True):
            item.created_at = now - timedelta(days=made_ago)
            item.status = status
            item.completed_at = now - timedelta(days=done_ago) if done_ago is not None else None
        db.session.commit()
        rows = [(i.created_at, i.completed_at, i.status) for i in db.session.scalars(select(ActionItem))]
        ends = [datetime.combine(date.today() - timedelta(days=7 * back), time.min, tzinfo=UTC)
                + timedelta(days=1) for back in range(11, -1, -1)]

        def aware(moment: datetime | None) -> datetime | None:
            return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment

        expected_done = [sum(1 for made, done, status in rows if status == ActionStatus.DONE
                             and aware(made) < end and done and aware(done) < end)
                         for end in ends]
        expected_open = [sum(1 for made, _, _ in rows if aware(made) < end) - done
                         - sum(1 for made, _, status in rows if aware(made) < end
                               and status == ActionStatus.WONT_DO)
                         for end, done in zip(ends, expected_done, strict=True)]
        with app.test_request_context():
            progress = board.weekly_progress({})
    assert len(items) == 4 and progress["done"] == expected_done
    assert progress["open"] == expected_open
    assert progress["done"][-1] == 2 and progress["done"][0] == 0
    assert progress["open"][-1] == 1 and progress["open"][0] == 1  # made 100 days ago
