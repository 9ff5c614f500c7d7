"""The incidents API of api-v1.md: create, edit with versions, workflow, sub-resources."""

from __future__ import annotations

import pytest

from .builders import (
    assert_error,
    create_incident,
    incident_payload,
    make_publishable,
    submit_for_review,
)


def test_create_with_the_standard_template(api) -> None:
    author = api("author")
    body = create_incident(author, started_at="2026-03-14T09:02:00",  # naive: taken as UTC
                           detected_at="2026-03-14T10:09:00+01:00",
                           commander=author.email)
    assert body["key"].startswith("INC-")
    assert body["status"] == "draft" and body["template"] == "standard" and body["version"] == 1
    assert body["started_at"] == "2026-03-14T09:02:00Z"
    assert body["detected_at"] == "2026-03-14T09:09:00Z"
    assert body["metrics"] == {"time_to_detect_s": 420, "time_to_mitigate_s": None,
                               "time_to_resolve_s": None}
    keys = [s["key"] for s in body["sections"]]
    assert len(keys) >= 8
    assert keys[:6] == ["summary", "impact", "detection", "response", "recovery", "lessons_learned"]
    assert {"what_went_well", "what_went_poorly", "where_we_got_lucky"} <= set(keys)
    assert body["services"] == ["checkout", "edge-cache"] and body["tags"] == ["cache", "config"]
    assert body["commander"] == author.email
    assert body["url"].endswith(f"/incidents/{body['key']}")
    for name in ("timeline", "factors", "action_items", "deployments", "themes"):
        assert body[name] == []
    assert body["blameless"] == {"findings": []}
    # Unknown services were created.
    names = [s["name"] for s in author.get("/api/v1/services").get_json()["items"]]
    assert set(names) == {"checkout", "edge-cache"}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"severity": "SEV9"}, "severity"),
    ({"severity": None}, "severity"),
    ({"title": ""}, "title"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"started_at": None}, "started_at"),
    ({"detected_at": "2026-03-14T08:00:00Z"}, "detected_at"),
    ({"mitigated_at": "2026-03-14T09:05:00Z"}, "mitigated_at"),
    ({"resolved_at": "2026-03-14T09:00:00Z"}, "resolved_at"),
    ({"template": "nope"}, "template"),
    ({"services": ["Bad Name"]}, "services"),
    ({"commander": "ghost@example.com"}, "commander"),
    ({"sections": {"nonsense": "x"}}, "sections"),
])
def test_invalid_fields_are_422_and_nothing_is_created(api, overrides, field) -> None:
    author = api("author")
    error = assert_error(author.post("/api/v1/incidents", json=incident_payload(**overrides)),
                         422, field)
    assert error["fields"][field]
    assert author.get("/api/v1/incidents").get_json()["total"] == 0


def test_unknown_severity_names_the_choices(api) -> None:
    error = assert_error(api("author").post("/api/v1/incidents",
                                            json=incident_payload(severity="P0")), 422)
    assert error["fields"]["severity"] == ["must be one of SEV1, SEV2, SEV3, SEV4"]


def test_viewer_cannot_create_and_deployer_neither(api) -> None:
    assert_error(api("viewer").post("/api/v1/incidents", json=incident_payload()), 403)
    assert_error(api("deployer").post("/api/v1/incidents", json=incident_payload()), 403)


def test_sections_html_is_sanitised(api) -> None:
    body = create_incident(api("author"), sections={
        "summary": "Hello <img src=x onerror=alert(1)> <script>alert(2)</script> "
                   "[click](javascript:alert(3)) <iframe src='https://evil.example'></iframe> "
                   "**bold** [ok](https://example.com)"})
    html = body["sections"][0]["html"]
    assert "onerror" not in html and "<script" not in html and "javascript:" not in html
    assert "<iframe" not in html
    assert "<strong>bold</strong>" in html and 'href="https://example.com"' in html


def test_patch_with_versions(api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    ok = author.patch(f"/api/v1/incidents/{key}", json={
        "version": 1, "title": "Checkout errors (cache TTL)", "sections": {"summary": "New text"}})
    assert ok.status_code == 200, ok.text
    body = ok.get_json()
    assert body["version"] == 2 and body["title"] == "Checkout errors (cache TTL)"
    assert body["sections"][0]["markdown"] == "New text"
    assert body["sections"][1]["markdown"] == ""  # partial: other sections untouched

    stale = author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "title": "Lost?"})
    error = assert_error(stale, 409)
    assert error["current_version"] == 2
    after = author.get(f"/api/v1/incidents/{key}").get_json()
    assert after["title"] == "Checkout errors (cache TTL)" and after["version"] == 2

    assert_error(author.patch(f"/api/v1/incidents/{key}", json={"title": "x"}), 422, "version")
    assert_error(author.patch(f"/api/v1/incidents/{key}", json={
        "version": 2, "resolved_at": "2026-03-14T08:00:00Z"}), 422, "resolved_at")
    assert_error(author.patch(f"/api/v1/incidents/{key}", json={
        "version": 2, "sections": {"bogus": "x"}}), 422, "sections")
    assert author.get(f"/api/v1/incidents/{key}").get_json()["version"] == 2
    assert_error(api("viewer").patch(f"/api/v1/incidents/{key}", json={"version": 2}), 403)
    assert_error(author.patch("/api/v1/incidents/INC-999", json={"version": 1}), 404)


def test_blameless_findings(api) -> None:
    body = create_incident(api("author"), sections={
        "summary": "This was human error: the operator should have checked the flag."})
    findings = body["blameless"]["findings"]
    phrases = [f["phrase"].lower() for f in findings]
    assert "human error" in phrases and "should have" in phrases
    assert all(f["section"] == "summary" and f["suggestion"] for f in findings)


def test_a_persons_name_as_the_cause_is_flagged(app, api) -> None:
    from . import builders

    with app.app_context():
        builders.make_user(role="author", name="Priya Patel")
    author = api("author")
    body = create_incident(author, sections={
        "summary": "Priya pushed the config change.", "impact": "The deploy pushed a config."})
    named = [f for f in body["blameless"]["findings"] if f["rule"] == "person-as-cause"]
    assert [(f["section"], f["phrase"]) for f in named] == [("summary", "Priya pushed")]


def test_timeline_and_factors(api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    late = author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:41:00Z", "kind": "mitigation", "text": "Config rolled back"})
    early = author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T08:55:00", "kind": "deploy", "text": "TTL change rolled out"})
    default_kind = author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:30:00Z", "text": "Status page updated"})
    assert late.status_code == early.status_code == default_kind.status_code == 201
    assert default_kind.get_json()["kind"] == "note"
    assert early.get_json()["at"] == "2026-03-14T08:55:00Z"
    events = author.get(f"/api/v1/incidents/{key}").get_json()["timeline"]
    assert [e["text"] for e in events] == ["TTL change rolled out", "Status page updated",
                                           "Config rolled back"]
    assert_error(author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:00:00Z", "kind": "party", "text": "x"}), 422, "kind")
    assert_error(author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "soon", "text": "x"}), 422, "at")
    assert_error(author.post(f"/api/v1/incidents/{key}/timeline", json={"at": "2026-03-14T09:00:00Z"}),
                 422, "text")
    assert author.delete(f"/api/v1/incidents/{key}/timeline/{early.get_json()['id']}").status_code == 204
    assert len(author.get(f"/api/v1/incidents/{key}").get_json()["timeline"]) == 2
    assert_error(author.delete(f"/api/v1/incidents/{key}/timeline/99999"), 404)

    taxonomy = author.get("/api/v1/taxonomy").get_json()
    keys = {c["key"] for c in taxonomy}
    assert {"config-change", "deploy-release", "capacity", "dependency", "data-store",
            "certificate-time", "tooling-command", "monitoring-gap", "cascading-failure",
            "security"} <= keys
    factor = author.post(f"/api/v1/incidents/{key}/factors", json={
        "text": "TTL validated for type, not range", "category": "config-change"})
    plain = author.post(f"/api/v1/incidents/{key}/factors", json={"text": "No canary for config"})
    assert factor.status_code == plain.status_code == 201
    assert plain.get_json()["category"] is None
    assert_error(author.post(f"/api/v1/incidents/{key}/factors", json={
        "text": "x", "category": "gremlins"}), 422, "category")
    assert_error(author.post(f"/api/v1/incidents/{key}/factors", json={"text": ""}), 422, "text")
    body = author.get(f"/api/v1/incidents/{key}").get_json()
    assert [f["category"] for f in body["factors"]] == ["config-change", None]
    assert author.delete(f"/api/v1/incidents/{key}/factors/{plain.get_json()['id']}").status_code == 204
    assert_error(api("viewer").post(f"/api/v1/incidents/{key}/factors", json={"text": "x"}), 403)


def test_review_and_publish_flow(api) -> None:
    author, reviewer = api("author"), api("reviewer")
    key = create_incident(author)["key"]
    # An author cannot publish, and a draft cannot skip review.
    assert_error(author.post(f"/api/v1/incidents/{key}/transition", json={"to": "published"}), 409)
    # An empty draft is not ready for review.
    assert_error(author.post(f"/api/v1/incidents/{key}/transition", json={"to": "in_review"}),
                 422, "checklist")
    author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "sections": {"summary": "Cache TTL."}})
    submitted = author.post(f"/api/v1/incidents/{key}/transition", json={"to": "in_review"})
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "in_review"
    assert_error(author.post(f"/api/v1/incidents/{key}/transition", json={"to": "published"}), 403)
    assert_error(author.post(f"/api/v1/incidents/{key}/transition", json={"to": "done"}), 422, "to")

    refused = assert_error(
        reviewer.post(f"/api/v1/incidents/{key}/transition", json={"to": "published"}), 422,
        "checklist")
    checklist = " ".join(refused["fields"]["checklist"])
    assert "action item" in checklist and "contributing factor" in checklist
    assert "mitigated" in checklist and "Impact" in checklist

    make_publishable(author, key)
    published = reviewer.post(f"/api/v1/incidents/{key}/transition", json={
        "to": "published", "comment": "Thorough, thanks."})
    assert published.status_code == 200, published.text
    body = published.get_json()
    assert body["status"] == "published" and body["published_at"]

    # Frozen: edits are refused, action items stay editable.
    assert_error(author.patch(f"/api/v1/incidents/{key}", json={
        "version": body["version"], "title": "x"}), 409)
    assert_error(author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:00:00Z", "text": "late"}), 409)
    assert_error(author.post(f"/api/v1/incidents/{key}/factors", json={"text": "late"}), 409)
    item_id = body["action_items"][0]["id"]
    assert author.patch(f"/api/v1/action-items/{item_id}", json={
        "status": "in_progress"}).status_code == 200

    # Reopen: only a reviewer; then edits work again.
    assert_error(author.post(f"/api/v1/incidents/{key}/transition", json={"to": "draft"}), 403)
    reopened = reviewer.post(f"/api/v1/incidents/{key}/transition", json={"to": "draft"})
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "draft"
    assert reopened.get_json()["published_at"] is None
    assert author.patch(f"/api/v1/incidents/{key}", json={
        "version": reopened.get_json()["version"], "title": "Edited again"}).status_code == 200


def test_changes_requested_goes_back_to_draft(api) -> None:
    author, reviewer = api("author"), api("reviewer")
    key = create_incident(author)["key"]
    submit_for_review(author, key)
    back = reviewer.post(f"/api/v1/incidents/{key}/transition", json={
        "to": "draft", "comment": "Impact needs numbers"})
    assert back.get_json()["status"] == "draft"


def test_revisions(api) -> None:
    author = api("author")
    created = create_incident(author, sections={"summary": "First draft"})
    key = created["key"]
    author.patch(f"/api/v1/incidents/{key}", json={"version": 1, "sections": {"summary": "Second"}})
    author.post(f"/api/v1/incidents/{key}/timeline", json={"at": "2026-03-14T09:05:00Z",
                                                          "text": "Alert"})
    listing = author.get(f"/api/v1/incidents/{key}/revisions").get_json()
    assert [r["number"] for r in listing] == [1, 2, 3]
    assert listing[0]["author"] == author.email and listing[0]["summary"] == "Created"
    assert all(r["created_at"].endswith("Z") for r in listing)
    first = author.get(f"/api/v1/incidents/{key}/revisions/1").get_json()
    assert first["sections"][0]["markdown"] == "First draft"
    assert first["version"] == 1 and first["title"] == created["title"]
    assert first["timeline"] == []
    second = author.get(f"/api/v1/incidents/{key}/revisions/2").get_json()
    assert second["sections"][0]["markdown"] == "Second" and second["version"] == 2
    assert_error(author.get(f"/api/v1/incidents/{key}/revisions/99"), 404)


def test_list_filters_and_paging(api) -> None:
    author = api("author")
    a = create_incident(author, title="Search outage", severity="SEV1", services=["search"],
                        tags=["capacity"], started_at="2026-01-10T10:00:00Z", detected_at=None)
    b = create_incident(author, title="Login slow", severity="SEV3", services=["identity"],
                        tags=["latency"], started_at="2026-02-10T10:00:00Z", detected_at=None)
    c = create_incident(author, title="Checkout errors", severity="SEV2",
                        started_at="2026-03-14T09:02:00Z")
    submit_for_review(author, b['key'])

    def keys(query: str) -> list[str]:
        response = author.get(f"/api/v1/incidents{query}")
        assert response.status_code == 200, response.text
        return [item["key"] for item in response.get_json()["items"]]

    assert keys("") == [c["key"], b["key"], a["key"]]  # newest started_at first
    assert keys("?severity=SEV1") == [a["key"]]
    assert keys("?status=in_review") == [b["key"]]
    assert keys("?service=search") == [a["key"]]
    assert keys("?tag=latency") == [b["key"]]
    assert keys("?since=2026-02-01T00:00:00Z") == [c["key"], b["key"]]
    assert keys("?until=2026-02-10") == [b["key"], a["key"]]
    assert keys("?q=checkout") == [c["key"]]
    page = author.get("/api/v1/incidents?per_page=2&page=2").get_json()
    assert page["total"] == 3 and [i["key"] for i in page["items"]] == [a["key"]]
    assert_error(author.get("/api/v1/incidents?severity=SEV7"), 422, "severity")
    assert_error(author.get("/api/v1/incidents?since=never"), 422, "since")


def test_the_list_sums_up_each_incident_and_gives_the_whole_on_request(api) -> None:
    author, deployer = api("author"), api("deployer")
    key = create_incident(author, services=["checkout"], tags=["cache"])["key"]
    author.post(f"/api/v1/incidents/{key}/timeline", json={
        "at": "2026-03-14T09:10:00Z", "text": "Error rate rose"})
    author.post(f"/api/v1/incidents/{key}/factors", json={"text": "TTL unchecked"})
    done = author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Validate TTLs", "kind": "prevent"}).get_json()
    author.post(f"/api/v1/incidents/{key}/action-items", json={"title": "Alert", "kind": "detect"})
    author.patch(f"/api/v1/action-items/{done['id']}", json={"status": "done"})
    deployment = deployer.post("/api/v1/deployments", json={
        "service": "checkout", "version": "4.2.1", "environment": "production",
        "artifact": "registry/checkout@sha256:" + "a" * 64}).get_json()
    author.post(f"/api/v1/incidents/{key}/deployments", json={
        "deployment_id": deployment["id"], "role": "culprit"})
    whole = author.get(f"/api/v1/incidents/{key}").get_json()

    summary = author.get("/api/v1/incidents").get_json()["items"][0]
    # Every field of the incident but the long ones, which counts sum up.
    long = {"sections", "timeline", "action_items", "blameless"}
    assert set(summary) == set(whole) - long | {"counts"}
    assert {k: v for k, v in summary.items() if k != "counts"} == {
        k: v for k, v in whole.items() if k not in long}
    assert summary["deployments"][0]["version"] == "4.2.1"
    assert summary["counts"] == {"timeline": 1, "action_items": 2, "action_items_unfinished": 1}

    full = author.get("/api/v1/incidents?view=full").get_json()
    assert full["items"] == [whole] and full["total"] == 1
    assert author.get("/api/v1/incidents?view=summary").get_json()["items"] == [summary]
    assert_error(author.get("/api/v1/incidents?view=everything"), 422, "view")


def test_action_item_on_an_incident(api) -> None:
    author = api("author")
    key = create_incident(author)["key"]
    created = author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "Alert on config error rate", "kind": "detect", "owner": author.email,
        "team": "edge", "priority": "P2", "due_date": "2026-04-01",
        "verification": "A synthetic bad config pages within 5 minutes",
        "external_url": "https://tracker.example/EDGE-12"})
    assert created.status_code == 201, created.text
    item = created.get_json()
    for field in ("id", "incident_key", "title", "description", "owner", "team", "priority",
                  "kind", "status", "due_date", "overdue", "created_at", "completed_at",
                  "external_url", "factor_id", "verification"):
        assert field in item
    assert item["incident_key"] == key and item["status"] == "open" and item["owner"] == author.email
    assert_error(author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "x", "kind": "pray"}), 422, "kind")
    assert_error(author.post(f"/api/v1/incidents/{key}/action-items", json={"kind": "detect"}),
                 422, "title")
    assert_error(author.post(f"/api/v1/incidents/{key}/action-items", json={
        "title": "x", "kind": "detect", "factor_id": 424242}), 422, "factor_id")
