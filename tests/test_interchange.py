"""The Markdown interchange format: export, import, the round trip, and errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from postmortem.extensions import db
from postmortem.models import Incident
from postmortem.services import exchange
from postmortem.services.demo import DEMO_DIR

from .builders import assert_error

DOCUMENT = """---
title: Checkout errors after cache config rollout
severity: SEV2                  # SEV1..SEV4
status: published
started_at: 2026-03-14T09:02:00Z
detected_at: 2026-03-14T09:09:00Z
mitigated_at: 2026-03-14T09:41:00Z
resolved_at: 2026-03-14T11:30:00Z
services: [checkout, edge-cache]
tags: [config, cache]
commander: ana@example.com
template: standard
customer_tickets: 41
deployments:
  - service: edge-cache
    version: 2026.03.14-1
    environment: production
    artifact: registry.example.com/edge-cache@sha256:4f1c9a
    deployed_at: 2026-03-14T08:55:00Z
    kind: config
---

## Summary
Checkout failed for **39 minutes**.

## Timeline
- 2026-03-14T08:55:00Z [deploy] Cache TTL change rolled out to all regions
- 2026-03-14T09:09:00Z [detection] Error-rate alert on checkout fired
- 2026-03-14T09:20:00Z Status page updated

## Contributing factors
- [config-change] The TTL value was validated for type but not for range
- A factor with no category is fine too

## Action items
- [ ] Add range validation to the cache config schema (owner: ana@example.com, team: edge, due: 2026-04-01, priority: P1, kind: prevent)
- [x] Page the edge team on checkout error rate (kind: detect, completed: 2026-03-20)
- [ ] Canary config releases (team: edge, kind: prevent, status: in_progress, due: 2026-05-01)

## What went well
The rollback took two minutes.

## Customer communication
We e-mailed the 41 customers who contacted support.
"""


def post_import(client, text: str):  # noqa: ANN001, ANN201
    return client.post("/api/v1/import", data=text.encode(),
                       headers={"Content-Type": "text/markdown"})


def test_import_keeps_everything(api) -> None:
    reviewer = api("reviewer")  # may publish, so the document's status is kept
    response = post_import(reviewer, DOCUMENT)
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["title"] == "Checkout errors after cache config rollout"
    assert body["status"] == "published" and body["severity"] == "SEV2"
    assert body["import_notes"] == []
    assert body["metrics"]["time_to_resolve_s"] == 8880
    assert [e["kind"] for e in body["timeline"]] == ["deploy", "detection", "note"]
    assert [(f["category"], f["text"][:10]) for f in body["factors"]] == [
        ("config-change", "The TTL va"), (None, "A factor w")]
    items = {i["title"]: i for i in body["action_items"]}
    assert items["Add range validation to the cache config schema"]["status"] == "open"
    assert items["Add range validation to the cache config schema"]["owner"] == "ana@example.com"
    assert items["Page the edge team on checkout error rate"]["status"] == "done"
    assert items["Page the edge team on checkout error rate"]["completed_at"].startswith("2026-03-20")
    assert items["Canary config releases"]["status"] == "in_progress"
    assert [(d["service"], d["version"], d["kind"]) for d in body["deployments"]] == [
        ("edge-cache", "2026.03.14-1", "config")]
    assert body["metadata"] == {"customer_tickets": 41}
    sections = {s["key"]: s for s in body["sections"]}
    assert "<strong>39 minutes</strong>" in sections["summary"]["html"]
    assert sections["what_went_well"]["markdown"] == "The rollback took two minutes."
    assert body["sections"][-1]["title"] == "Customer communication"
    assert "41 customers" in body["sections"][-1]["markdown"]


def test_export_import_export_is_unchanged(api, client, login) -> None:
    author = api("author")
    key = post_import(author, DOCUMENT).get_json()["key"]
    first = author.get(f"/incidents/{key}.md")
    assert first.headers["Content-Disposition"] == f'attachment; filename="{key}.md"'
    assert first.status_code == 200 and first.mimetype == "text/markdown"
    again = author.post("/api/v1/import?allow_duplicate=true", data=first.text.encode(),
                        headers={"Content-Type": "text/markdown"}).get_json()["key"]
    second = author.get(f"/incidents/{again}.md").text
    assert first.text.replace(f"key: {key}", "") == second.replace(f"key: {again}", "")
    assert "customer_tickets: 41" in second and "## Customer communication" in second


@pytest.mark.parametrize("path", sorted(DEMO_DIR.glob("*.md")), ids=lambda p: p.stem)
def test_every_demo_document_round_trips(app, path: Path) -> None:
    with app.app_context():
        first = exchange.import_markdown(path.read_text(encoding="utf-8"), None).incident
        exported = exchange.export_markdown(first)
        second = exchange.import_markdown(exported, None, allow_duplicate=True).incident
        again = exchange.export_markdown(second)
        assert exported.replace(first.key, "KEY") == again.replace(second.key, "KEY")
        assert first.title in exported


@pytest.mark.parametrize(("needle", "replacement", "line", "field"), [
    ("severity: SEV2                  # SEV1..SEV4", "severity: SEV9", 3, "severity"),
    ("started_at: 2026-03-14T09:02:00Z", "started_at: yesterday-ish", 5, "started_at"),
    ("resolved_at: 2026-03-14T11:30:00Z", "resolved_at: 2026-03-14T08:00:00Z", 8, "resolved_at"),
    ("- 2026-03-14T09:09:00Z [detection]", "- 2026-13-14T09:09:00Z [detection]", 28, "timeline"),
    ("- 2026-03-14T09:09:00Z [detection]", "- just after nine [detection]", 28, "timeline"),
    ("- [config-change] The TTL", "- [-bad] The TTL", 32, "factors"),
    ("kind: detect, completed", "kind: pray, completed", 37, "action_items"),
    ("title: Checkout errors after cache config rollout\n", "", 1, "title"),
])
def test_malformed_documents_name_the_line_and_create_nothing(app, api, needle, replacement,
                                                               line, field) -> None:
    author = api("author")
    assert needle in DOCUMENT
    error = assert_error(post_import(author, DOCUMENT.replace(needle, replacement, 1)), 422, field)
    assert error["line"] == line and f"line {line}" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 0


def test_document_without_front_matter_or_its_facts_is_refused(api) -> None:
    # Without front matter a document is read as one written elsewhere (test_import_archive.py);
    # one that says neither what happened nor when is refused, naming what is missing.
    error = assert_error(post_import(api("author"), "## Summary\nNo front matter here.\n"), 422)
    assert error["line"] == 1 and "title" in error["message"]
    error = assert_error(post_import(api("author"), "# Outage\n\nNo date anywhere.\n"), 422)
    assert error["line"] == 1 and "no date" in error["message"]
    error = assert_error(post_import(api("author"), "---\ntitle: [unclosed\n---\n"), 422)
    assert "YAML" in error["message"]


def test_import_content_type_size_and_role(app, api) -> None:
    assert_error(api("author").post("/api/v1/import", json={"x": 1}), 415)
    assert_error(post_import(api("viewer"), DOCUMENT), 403)
    app.config["IMPORT_MAX_CONTENT_LENGTH"] = 2000
    assert_error(post_import(api("author"), DOCUMENT + "x" * 5000), 413)


def test_import_form_in_the_browser(app, client, login) -> None:
    login("author")
    # First the check: every problem, with its line, and nothing created.
    bad = client.post("/incidents/import", data={"markdown": DOCUMENT.replace("SEV2 ", "SEV7 ")})
    assert bad.status_code == 200 and "cannot be imported yet" in bad.text and "line 3" in bad.text
    checked = client.post("/incidents/import", data={"markdown": DOCUMENT, "keep_status": "1"})
    assert "Ready: a new post-mortem" in checked.text and "as draft" in checked.text
    assert "publishing needs a reviewer" in checked.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 0
    ok = client.post("/incidents/import", data={"markdown": DOCUMENT, "action": "import"})
    assert ok.status_code == 302
    with app.app_context():
        incident = db.session.scalar(select(Incident))
        assert incident.status == "draft"  # an author's import lands as a draft
    # The same document again: the check says so, and offers to replace or duplicate.
    again = client.post("/incidents/import", data={"markdown": DOCUMENT})
    assert "INC-1 already has this title" in again.text and "Replace INC-1" in again.text
    replaced = client.post("/incidents/import", data={
        "markdown": DOCUMENT.replace("severity: SEV2", "severity: SEV1"), "action": "into",
        "into": "INC-1"}, follow_redirects=True)
    assert "Replaced the content of INC-1" in replaced.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 1


def test_cli_import_and_export(app, runner, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text(DOCUMENT)
    bad = tmp_path / "bad.md"
    bad.write_text(DOCUMENT.replace("severity: SEV2", "severity: SEV0"))
    result = runner.invoke(args=["import", str(bad), str(good), str(tmp_path / "missing.md")])
    assert result.exit_code != 0
    assert "bad.md: not imported: line 3" in result.output
    assert "good.md: imported as INC-" in result.output
    assert "missing.md: not imported" in result.output
    key = result.output.split("imported as ")[1].split()[0]
    out = tmp_path / "out.md"
    exported = runner.invoke(args=["export", key, "--format", "md", "-o", str(out)])
    assert exported.exit_code == 0 and "Checkout errors" in out.read_text()
    assert runner.invoke(args=["export", "INC-999"]).exit_code != 0


def test_other_tools_vocabularies_are_kept(api) -> None:
    author = api("author")
    text = (DOCUMENT.replace("[detection] Error-rate", "[alert] Error-rate")
            .replace("- [config-change] The TTL", "- [human-factors] The TTL"))
    body = post_import(author, text).get_json()
    assert body["timeline"][1]["kind"] == "note"
    assert body["timeline"][1]["text"].startswith("[alert] Error-rate")
    # Not silently: the person importing is told which line and what became of it.
    line = text.splitlines().index(next(x for x in text.splitlines() if "[alert]" in x)) + 1
    assert [n for n in body["import_notes"] if "'alert'" in n] == [
        f"Line {line}: the timeline kind 'alert' is not one of detection, escalation, communication, "
        "mitigation, deploy, rollback, resolution, note; the event is kept as a note, with [alert] "
        "at the start of its text."]
    assert body["factors"][0]["category"] == "human-factors"
    keys = [c["key"] for c in author.get("/api/v1/taxonomy").get_json()]
    assert "human-factors" in keys


def test_import_never_raises_status_and_refuses_duplicates(api) -> None:
    author, admin = api("author"), api("admin")
    first = post_import(author, DOCUMENT)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "draft" and "draft" in body["import_notes"][0]
    key = body["key"]
    # The same document again: refused, naming the post-mortem it would duplicate.
    again = assert_error(post_import(author, DOCUMENT), 409)
    assert key in again["message"] and again["key"] == key
    total = author.get("/api/v1/incidents").get_json()["total"]
    # ... unless asked for, or imported into the existing one.
    allowed = author.post("/api/v1/import?allow_duplicate=true", data=DOCUMENT.encode(),
                          headers={"Content-Type": "text/markdown"})
    assert allowed.status_code == 201 and allowed.get_json()["key"] != key
    changed = DOCUMENT.replace("severity: SEV2", "severity: SEV1")
    into = author.post(f"/api/v1/import?into={key}", data=changed.encode(),
                       headers={"Content-Type": "text/markdown"})
    assert into.status_code == 200, into.text
    replaced = into.get_json()
    assert replaced["key"] == key and replaced["severity"] == "SEV1"
    assert replaced["version"] == body["version"] + 1 and replaced["status"] == "draft"
    assert len(replaced["timeline"]) == len(body["timeline"])  # replaced, not appended
    assert author.get("/api/v1/incidents").get_json()["total"] == total + 1
    revisions = author.get(f"/api/v1/incidents/{key}/revisions").get_json()
    assert revisions[-1]["summary"] == "Replaced from an imported document"
    # A published post-mortem is frozen for imports as for PATCH.
    published = post_import(admin, DOCUMENT.replace("title: Checkout", "title: Frozen checkout"))
    frozen = published.get_json()["key"]
    assert published.get_json()["status"] == "published"
    assert_error(author.post(f"/api/v1/import?into={frozen}", data=DOCUMENT.encode(),
                             headers={"Content-Type": "text/markdown"}), 409)
    assert_error(author.post("/api/v1/import?into=INC-999", data=DOCUMENT.encode(),
                             headers={"Content-Type": "text/markdown"}), 404)
