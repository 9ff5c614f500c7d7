"""One test per defect found by the second round's review and hostile sweep (issue 9)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from postmortem.services import insights

from .builders import assert_error, create_incident
from .test_interchange import DOCUMENT, post_import


def test_patching_a_service_validates_team_and_description(api) -> None:
    author = api("author")
    author.post("/api/v1/services", json={"name": "checkout", "team": "payments"})
    for body, field in (({"team": 5}, "team"), ({"team": ["a"]}, "team"),
                        ({"description": {"a": 1}}, "description"), ({"team": "x" * 101}, "team"),
                        ({"team": "\ud800"}, "team")):
        assert_error(author.patch("/api/v1/services/checkout", json=body), 422, field)
    changed = author.patch("/api/v1/services/checkout", json={"description": "Pays"})
    assert changed.status_code == 200
    assert changed.get_json()["team"] == "payments"  # untouched: only sent fields change
    assert changed.get_json()["description"] == "Pays"


def test_an_imported_over_long_artifact_or_commit_is_refused_with_its_line(api) -> None:
    author = api("author")
    before = author.get("/api/v1/incidents").get_json()["total"]
    for field, value in (("artifact", "x" * 600), ("commit", "c" * 101)):
        document = DOCUMENT.replace(
            "deployments:\n", f"deployments:\n  - service: checkout\n    version: '9.9.9'\n"
            f"    deployed_at: 2026-03-14T08:00:00Z\n    {field}: {value}\n", 1)
        assert document != DOCUMENT
        error = assert_error(post_import(author, document), 422, "deployments")
        message = error["fields"]["deployments"][0]
        assert message.startswith("line ") and field in message and "at most" in message
    assert author.get("/api/v1/incidents").get_json()["total"] == before


def test_section_markdown_with_nul_is_refused(api) -> None:
    author = api("author")
    assert_error(author.post("/api/v1/incidents", json={
        "title": "t", "severity": "SEV2", "started_at": "2026-03-14T09:00:00Z",
        "sections": {"summary": "a\u0000b"}}), 422, "sections")
    key = create_incident(author)["key"]
    assert_error(author.patch(f"/api/v1/incidents/{key}", json={
        "version": 1, "sections": {"summary": "a\u0000b"}}), 422, "sections")


def test_a_bare_until_date_includes_that_day_everywhere(app, api) -> None:
    author = api("author")
    late = "2026-03-14T22:30:00Z"
    for title in ("Late cache outage", "Late cache outage again"):
        key = create_incident(author, title=title, started_at=late, detected_at=None)["key"]
        author.post(f"/api/v1/incidents/{key}/factors", json={"text": "TTL", "category": "config"})
    author.post("/api/v1/incidents/INC-1/action-items", json={"title": "Check TTLs", "kind": "detect"})
    api("deployer").post("/api/v1/deployments", json={
        "service": "checkout", "version": "1.0", "environment": "production", "deployed_at": late})
    day, today = "2026-03-14", datetime.now(UTC).date().isoformat()

    assert author.get(f"/api/v1/incidents?since={day}&until={day}").get_json()["total"] == 2
    assert author.get(f"/api/v1/deployments?since={day}&until={day}").get_json()["total"] == 1
    stats = author.get(f"/api/v1/action-items/stats?since={today}&until={today}").get_json()
    assert stats["open"] == 1
    api.refresh_insights()
    themes = author.get(f"/api/v1/themes?since={day}&until={day}").get_json()
    assert any(t["incident_count"] == 2 for t in themes)
    with app.test_request_context():
        since, until = insights.parse_period({"since": day, "until": day})
        digest = insights.build_digest(since, until)
        assert len(digest["incidents"]) + len(digest["unpublished"]) == 2  # drafts, listed apart


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                                   "\ud800", "2026-02-30", 10**40, ["2026-03-14"]])
def test_extreme_and_broken_timestamps_are_422(api, value: Any) -> None:
    assert_error(api("author").post("/api/v1/incidents", json={
        "title": "t", "severity": "SEV2", "started_at": value}), 422, "started_at")
    if isinstance(value, str) and value != "\ud800":  # a URL cannot carry a lone surrogate
        assert_error(api("viewer").get("/api/v1/incidents", query_string={"since": value}),
                     422, "since")


def test_deep_json_and_deep_or_aliased_yaml_are_refused(api) -> None:
    author = api("author")
    deep = "[" * 20_000 + "]" * 20_000
    assert_error(author.post("/api/v1/incidents", data=deep, content_type="application/json"), 400)
    for front in ("a: " + "[" * 20_000 + "]" * 20_000, "a: &x [1, 2]\nb: *x"):
        document = DOCUMENT.replace("---\n", "---\n" + front + "\n", 1)
        error = assert_error(post_import(author, document), 422)
        assert "line" in error["message"]


def test_over_long_query_strings_get_the_error_shape(api) -> None:
    response = api("viewer").get("/api/v1/incidents?q=" + "x" * 20_000)
    assert_error(response, 414)


@pytest.fixture
def redirecting_server() -> Iterator[tuple[str, list[str]]]:
    """A server that redirects every POST to a second one that records the headers it gets."""
    seen: list[str] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization") or "")
            self.send_response(201)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    target = http.server.HTTPServer(("127.0.0.1", 0), Target)

    class Redirect(Target):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/api/v1/deployments")
            self.end_headers()

    source = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (target, source)]
    for thread in threads:
        thread.start()
    yield f"http://127.0.0.1:{source.server_port}", seen
    for server in (target, source):
        server.shutdown()
        server.server_close()


def test_cli_never_follows_a_redirect_with_the_token(runner, redirecting_server) -> None:
    url, seen = redirecting_server
    result = runner.invoke(args=["deployments", "record", "--service", "checkout",
                                 "--version", "1.0", "--environment", "production", "--url", url,
                                 "--token", "secret-token"])
    assert result.exit_code != 0
    assert "redirects to" in result.output and "not following" in result.output
    assert seen == []  # the token never reached the other server


@pytest.mark.parametrize(("text", "rule", "phrase"), [
    ("John should have checked the config.", "person-as-cause", "John should have"),
    ("It was John's fault.", "possessive-blame", "John's fault"),
    ("Priya didn't notice the alert.", "person-as-cause", "Priya didn't notice"),
    ("Then he forgot to update the runbook.", "pronoun-as-cause", "he forgot"),
    ("His mistake cost an hour.", "possessive-blame", "His mistake"),
])
def test_blameless_hints_flag_people_pronouns_and_possessive_blame(text: str, rule: str,
                                                                    phrase: str) -> None:
    from postmortem.services.incidents import check_text

    findings = check_text(text, "summary", names=[])
    assert (rule, phrase) in [(f["rule"], f["phrase"]) for f in findings]
    assert all(f["suggestion"] for f in findings)


@pytest.mark.parametrize("text", ["The deploy went out without a canary.",
                                  "Monitoring missed the spike.", "We rolled back at 09:40.",
                                  "Checkout errors rose to 12%."])
def test_blameless_hints_leave_systems_language_alone(text: str) -> None:
    from postmortem.services.incidents import check_text

    assert check_text(text, "summary", names=[]) == []


def _queries_for(app, client, path: str) -> int:  # noqa: ANN001
    from sqlalchemy import event

    from postmortem.extensions import db

    seen: list[str] = []

    def count(*_args: object) -> None:
        seen.append("query")

    app.config["KEEP_ANSWERS"] = False  # count the page's own work
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return len(seen)


def test_incident_list_does_not_query_per_row(app, api) -> None:
    author, reviewer = api("author"), api("reviewer")
    for title in ("First outage", "Second outage"):
        key = create_incident(author, title=title)["key"]
        author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "reviewers": [reviewer.email]})
    _queries_for(app, author, "/api/v1/incidents")  # the first call also loads the settings
    two = _queries_for(app, author, "/api/v1/incidents")
    for title in ("Third outage", "Fourth outage", "Fifth outage"):
        key = create_incident(author, title=title)["key"]
        author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "reviewers": [reviewer.email]})
    assert _queries_for(app, author, "/api/v1/incidents") == two


def test_template_list_loads_sections_at_once(app, api) -> None:
    from postmortem.extensions import db
    from postmortem.models import Template, TemplateSection

    viewer = api("viewer")
    _queries_for(app, viewer, "/api/v1/templates")  # the first call also loads the settings
    before = _queries_for(app, viewer, "/api/v1/templates")
    with app.app_context():
        for key in ("retro-lite", "vendor-outage"):
            template = Template(key=key, name=key.title(), builtin=False)
            template.sections.append(TemplateSection(position=0, key="summary", title="Summary"))
            db.session.add(template)
        db.session.commit()
    assert _queries_for(app, viewer, "/api/v1/templates") == before
