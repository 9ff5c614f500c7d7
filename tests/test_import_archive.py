"""Bringing an existing archive (api-v1.md, third round): post-mortems written elsewhere —
Markdown without front matter, HTML exports, .docx — come in whole, one at a time, as a dry
run, as published, in a zip, and from the command line."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from postmortem.extensions import db
from postmortem.models import Incident, Revision
from postmortem.services.exchange import DOCX

from . import corpus_forms as corpus
from .builders import assert_error

TYPES = {"md": "text/markdown", "html": "text/html", "gdocs": "text/html", "docx": DOCX}
FORMS = ["md", "html", "gdocs", "docx"]


def render(family: str, form: str, incident: dict[str, Any]) -> bytes:
    page = corpus.FAMILIES[family](incident)
    if form == "md":
        return page.encode()
    if form == "html":
        return corpus.html_export(page, incident["title"]).encode()
    if form == "gdocs":
        return corpus.google_docs(page).encode()
    return corpus.docx(page, bold_headings=family in ("other-team", "plain-text"))


def post(client: Any, body: bytes | str, content_type: str = "text/markdown",
         query: str = "") -> Any:
    data = body.encode() if isinstance(body, str) else body
    return client.post(f"/api/v1/import{query}", data=data, content_type=content_type)


def count_incidents(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Incident.id))) or 0


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("family", list(corpus.FAMILIES))
def test_every_corpus_incident_comes_in_whole(api, family: str, form: str) -> None:
    """Title, severity, start day, every timed timeline line, every factor and action item,
    summary and impact — for each public incident, template family and export form."""
    author = api("author")
    whole, problems = 0, {}
    for incident in corpus.INCIDENTS:
        response = post(author, render(family, form, incident), TYPES[form], "?dry_run=true")
        assert response.status_code == 200, response.get_json()
        missing = corpus.missing(incident, response.get_json())
        if missing:
            problems[incident["title"]] = missing
        else:
            whole += 1
    assert whole == len(corpus.INCIDENTS), problems


def test_the_issue_examples_come_in_whole(api) -> None:
    author = api("author")
    checkout = post(author, (corpus.CORPUS / "checkout-cache.md").read_text())
    assert checkout.status_code == 201, checkout.get_json()
    body = checkout.get_json()
    assert body["title"] == "Checkout errors after the cache cluster upgrade"
    assert body["severity"] == "SEV2" and body["services"] == ["checkout-api", "redis-sessions"]
    # "all times PDT": 09:14 PDT is 16:14 UTC.
    assert [e["at"][11:16] for e in body["timeline"]] == ["16:02", "16:14", "16:20", "16:31", "16:45"]
    assert body["started_at"] == "2023-09-12T16:02:00Z"
    assert [f["text"] for f in body["factors"]] == [
        "The new client library dropped connections on failover.",
        "The upgrade runbook did not include a canary step."]
    items = {i["title"]: i for i in body["action_items"]}
    assert items["CKT-812 Pin the client library"]["due_date"] == "2023-10-01"
    assert "dana" in items["CKT-812 Pin the client library"]["description"]
    assert items["Add a canary stage to cache upgrades"]["due_date"] == "2023-10-15"
    assert items["Alert on checkout error rate above 2 %"]["status"] == "done"
    sections = {s["key"]: s for s in body["sections"]}
    assert "17 minutes" in sections["summary"]["markdown"]
    assert any("P2" in note and "SEV2" in note for note in body["import_notes"])
    assert any("What happened" in note and "Summary" in note for note in body["import_notes"])

    dns = post(author, (corpus.CORPUS / "dns-resolvers.txt").read_text(), "text/plain")
    assert dns.status_code == 201, dns.get_json()
    body = dns.get_json()
    assert body["severity"] == "SEV1" and body["started_at"] == "2021-06-03T22:40:00Z"
    assert [e["at"] for e in body["timeline"]] == [
        "2021-06-03T22:40:00Z", "2021-06-03T23:10:00Z", "2021-06-04T00:55:00Z",
        "2021-06-04T01:05:00Z"]  # Day 2 is the next day
    assert body["mitigated_at"] == "2021-06-04T01:05:00Z"
    assert len(body["factors"]) == 2 and len(body["action_items"]) == 2
    item = next(i for i in body["action_items"] if i["title"].startswith("Validate"))
    assert item["owner"] == "sam@example.com" and item["due_date"] == "2021-07-01"
    assert "validation" in {s["key"]: s for s in body["sections"]}["lessons_learned"]["markdown"]


def test_sre_book_shape_keeps_every_part(api) -> None:
    body = post(api("author"), (corpus.CORPUS / "sre-book-shakespeare.md").read_text()).get_json()
    sections = {s["key"]: s for s in body["sections"]}
    assert "Borgmon" in sections["detection"]["markdown"]
    assert "sacrificial cluster" in sections["recovery"]["markdown"]
    assert "aficionados" in sections["where_we_got_lucky"]["markdown"]
    assert "inexperienced" in sections["what_went_poorly"]["markdown"]
    # A heading the template lacks stays, after the section that came before it.
    keys = [s["key"] for s in body["sections"]]
    assert keys[-1] == "supporting_information"
    assert "http://monitor/shakespeare" in sections["supporting_information"]["markdown"]
    assert body["started_at"] == "2015-10-21T14:54:00Z"  # "OUTAGE BEGINS"
    assert body["resolved_at"] == "2015-10-21T16:00:00Z"  # "INCIDENT ENDS"
    assert len(body["timeline"]) == 13
    assert {i["kind"] for i in body["action_items"]} == {"prevent", "mitigate", "process"}
    done = [i for i in body["action_items"] if i["status"] == "done"]
    assert [i["title"] for i in done] == [
        "Update playbook with instructions for responding to cascading failure"]
    # Nothing is dropped: the authors and status are kept as metadata.
    assert body["metadata"]["Authors"] == "jennifer, martym, agoogler"


def test_dry_run_answers_what_would_be_made_and_writes_nothing(app, api) -> None:
    author = api("author")
    text = (corpus.CORPUS / "checkout-cache.md").read_text()
    response = post(author, text, query="?dry_run=true")
    assert response.status_code == 200
    body = response.get_json()
    assert "key" not in body and body["title"].startswith("Checkout errors")
    assert body["import_notes"] and body["duplicate_of"] is None
    assert count_incidents(app) == 0
    created = post(author, text).get_json()
    again = post(author, text, query="?dry_run=true").get_json()
    assert again["duplicate_of"] == created["key"]
    assert_error(post(author, text), 409)  # duplicates are found by content, as before
    assert count_incidents(app) == 1


def test_publish_keeps_the_original_dates_and_says_who_imported(app, api) -> None:
    text = (corpus.CORPUS / "dns-resolvers.txt").read_text()
    assert_error(post(api("author"), text, "text/plain", "?publish=true"), 403)
    reviewer = api("reviewer")
    body = post(reviewer, text, "text/plain", "?publish=true").get_json()
    assert body["status"] == "published"
    assert body["published_at"].startswith("2021-06-04")
    assert body["created_at"].startswith("2021-06-03")
    with app.app_context():
        revision = db.session.scalar(select(Revision).join(Incident).where(
            Incident.title == body["title"]))
        assert reviewer.email in revision.summary and "published" in revision.summary
    # Without ?publish=true the same kind of document lands as a draft.
    other = post(api("author"), text.replace("DNS resolution", "DNS lookup"), "text/plain")
    assert other.get_json()["status"] == "draft"


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_batch_imports_each_file_on_its_own(app, api) -> None:
    author = api("author")
    incidents = corpus.INCIDENTS
    archive = _zip({
        "2017/s3.md": render("repo-file", "md", incidents[0]),
        "2019/cloudflare.html": render("wiki-table", "html", incidents[1]),
        "2017/gitlab.docx": render("other-team", "docx", incidents[2]),
        "broken/corrupt.docx": b"PK\x03\x04 this is not a word file",
        "broken/empty.md": b"",
        "notes/readme.pdf": b"%PDF-1.4",
        "2017/s3-copy.md": render("repo-file", "md", incidents[0]),
        "__MACOSX/._s3.md": b"junk",
    })
    response = author.post("/api/v1/import/batch", data=archive, content_type="application/zip")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert sorted(e["file"] for e in body["imported"]) == [
        "2017/gitlab.docx", "2017/s3.md", "2019/cloudflare.html"]
    assert all(e["key"].startswith("INC-") for e in body["imported"])
    assert body["duplicates"] == [{"file": "2017/s3-copy.md", "key": next(
        e["key"] for e in body["imported"] if e["file"] == "2017/s3.md")}]
    failed = {e["file"]: e for e in body["failed"]}
    assert set(failed) == {"broken/corrupt.docx", "broken/empty.md", "notes/readme.pdf"}
    assert "docx" in failed["broken/corrupt.docx"]["message"]
    assert failed["broken/empty.md"]["line"] == 1
    assert count_incidents(app) == 3
    assert_error(author.post("/api/v1/import/batch", data=b"not a zip",
                             content_type="application/zip"), 422)
    assert_error(author.post("/api/v1/import/batch", data=b"{}",
                             content_type="application/json"), 415)
    assert_error(api("viewer").post("/api/v1/import/batch", data=archive,
                                    content_type="application/zip"), 403)


@pytest.mark.parametrize(("body", "content_type"), [
    (b"", "text/markdown"),
    (b"   \n\n", "text/html"),
    (b"<html><body></body></html>", "text/html"),
    (b"PK\x03\x04garbage", DOCX),
    (b"\x00\x01\x02", DOCX),
    (b"<html><body><h1>Only a title</h1></body></html>", "text/html"),
    (b"# Title\n\n" + b"- item\n" * 3, "text/markdown"),
    (b"<" * 5000, "text/html"),
    (b"# T\n\n" + b">" * 3000 + b" deep", "text/markdown"),
    (b"# T\n\nDate: 2026-02-30\n", "text/markdown"),
    ("# T\n\nDate: 2024-01-01\n\n## Timeline\n- 25:99 nonsense\n- 14:02 \ud800".encode(
        "utf-8", "surrogatepass"), "text/markdown"),
])
def test_bad_documents_get_a_clear_error_never_a_500(api, body: bytes, content_type: str) -> None:
    response = post(api("author"), body, content_type)
    assert response.status_code in (201, 400, 422), response.get_data(as_text=True)
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert error["message"] and error["status"] == response.status_code


def test_unknown_content_type_is_415(api) -> None:
    assert_error(post(api("author"), b"{}", "application/json"), 415)
    assert_error(post(api("author"), b"x", "image/png"), 415)


def test_cli_imports_files_folders_and_zips(app, runner, tmp_path) -> None:
    incidents = corpus.INCIDENTS
    folder = tmp_path / "postmortems"
    (folder / "2021").mkdir(parents=True)
    (folder / "2021" / "fastly.md").write_bytes(render("sre-book", "md", incidents[3]))
    (folder / "2021" / "facebook.html").write_bytes(render("wiki-table", "gdocs", incidents[4]))
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 nope")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    archive = tmp_path / "old.zip"
    archive.write_bytes(_zip({"le.docx": render("repo-file", "docx", incidents[5])}))
    dry = runner.invoke(args=["import", "--dry-run", str(folder), str(archive)])
    assert "3 would be imported, 0 already there (duplicates), 1 failed, of 4 file(s)" in dry.output
    assert "[1/4]" in dry.output and "[4/4]" in dry.output
    assert count_incidents(app) == 0
    result = runner.invoke(args=["import", "--publish", str(folder), str(archive)])
    assert result.exit_code != 0  # the broken file is reported
    assert "broken.docx: not imported: line 1" in result.output
    assert "3 imported, 0 already there (duplicates), 1 failed" in result.output
    with app.app_context():
        statuses = db.session.scalars(select(Incident.status)).all()
        assert sorted(statuses) == ["published"] * 3


def test_import_page_previews_fixes_and_imports_one_file(app, client, login) -> None:
    login("author")
    page = corpus.html_export(corpus.wiki_table(corpus.INCIDENTS[1]), corpus.INCIDENTS[1]["title"])
    checked = client.post("/incidents/import", data={
        "file": (io.BytesIO(page.encode()), "cloudflare.html")}, content_type="multipart/form-data")
    assert checked.status_code == 200
    text = checked.text
    assert "Check the import of cloudflare.html" in text
    assert "severity &#39;Critical&#39; was read as SEV1" in text  # the notes: what was mapped
    assert "WAF rule change is deployed globally" in text  # the post-mortem as it would read
    assert count_incidents(app) == 0
    document = text.split('name="document" value="')[1].split('"')[0]
    done = client.post("/incidents/import", data={
        "document": document, "filename": "cloudflare.html", "action": "import",
        "title": "Cloudflare WAF outage", "severity": "SEV2",
        "started_at": "2019-07-02T13:42:00Z", "services": "waf, edge-proxy"})
    assert done.status_code == 302, done.text
    with app.app_context():
        incident = db.session.scalar(select(Incident))
        assert (incident.title, incident.severity, incident.status) == (
            "Cloudflare WAF outage", "SEV2", "draft")
        assert len(incident.timeline) == 5 and len(incident.action_items) == 3


def test_import_page_takes_several_files_each_on_its_own(app, client, login) -> None:
    login("author")
    incidents = corpus.INCIDENTS
    files = [(io.BytesIO(render("repo-file", "md", incidents[6])), "github.md"),
             (io.BytesIO(render("sre-book", "docx", incidents[7])), "slack.docx"),
             (io.BytesIO(b"PK\x03\x04 broken"), "broken.docx")]
    response = client.post("/incidents/import", data={"file": files},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "2 imported, 0 already there, 1 failed." in response.text
    assert "broken.docx" in response.text and "Imported as" in response.text
    assert count_incidents(app) == 2
    # What the page's script sends, one file at a time, for its progress bar.
    one = client.post("/incidents/import/one", data={
        "file": (io.BytesIO(render("repo-file", "md", incidents[6])), "github.md")},
        content_type="multipart/form-data")
    assert one.get_json()["results"][0]["status"] == "duplicate"
    zipped = client.post("/incidents/import/one", data={"file": (io.BytesIO(_zip({
        "a/roblox.md": render("plain-text", "md", incidents[8]),
        "b/nothing.md": b""})), "old.zip")}, content_type="multipart/form-data")
    statuses = {r["file"]: r["status"] for r in zipped.get_json()["results"]}
    assert statuses == {"old.zip:a/roblox.md": "imported", "old.zip:b/nothing.md": "failed"}


def test_wild_shapes_come_in(api) -> None:
    """Documents shaped unlike the families above: numbered headings, a severity in the title,
    the day only in prose, bold day lines, '~' times, factors as sub-headings, TODO/DONE
    markers; a Confluence export with a vertical metadata table, a zone in a column header
    and a task list; a wiki page with other headings and tasks under 'Remediation'."""
    author = api("author")
    latency = post(author, (corpus.CORPUS / "latency-numbered-headings.md").read_text()).get_json()
    assert latency["severity"] == "SEV2" and latency["started_at"] == "2022-03-03T14:02:00Z"
    assert [e["at"][11:16] for e in latency["timeline"]] == ["14:02", "14:04", "14:10", "14:25",
                                                           "14:49"]
    assert [f["text"].split(" — ")[0] for f in latency["factors"]] == [
        "Factor 1: Failover left stale connections", "Factor 2: No alert on pool errors"]
    items = {i["title"]: i for i in latency["action_items"]}
    assert items["API-431: Validate connections on checkout from the pool"]["external_url"] == \
        "https://tracker.example.com/API-431"
    assert items["Document failover"]["status"] == "done"
    assert "Alert on connection pool error rate" in items

    confluence = post(author, (corpus.CORPUS / "confluence-certificate.html").read_bytes(),
                      "text/html").get_json()
    assert confluence["title"] == "Postmortem - Certificate expiry on login"
    assert confluence["severity"] == "SEV1" and confluence["services"] == ["login", "sso-gateway"]
    assert confluence["timeline"][0]["at"] == "2023-01-17T08:00:00Z"  # 09:00 CET
    assert all("UTC" not in note for note in confluence["import_notes"])
    assert "SRE" not in {s["title"] for s in confluence["sections"]}  # breadcrumbs are no text
    assert len(confluence["factors"]) == 3  # 'Fault' and 'Root cause'
    task = next(i for i in confluence["action_items"] if i["title"].startswith("Monitor"))
    assert task["due_date"] == "2023-02-01" and task["external_url"].endswith("SRE-12")
    assert [i["status"] for i in confluence["action_items"]] == ["done", "open"]

    backbone = post(author, (corpus.CORPUS / "backbone-wiki-other-headings.md").read_text()).get_json()
    assert backbone["severity"] == "SEV2" and backbone["resolved_at"] == "2021-10-04T21:50:00Z"
    sections = {s["key"]: s["markdown"] for s in backbone["sections"]}
    assert "routine maintenance" in sections["summary"] and "Nobody" in sections["impact"]
    assert "Rehearse" in sections["lessons_learned"]
    assert len(backbone["timeline"]) == 3 and len(backbone["factors"]) == 2
    assert [i["status"] for i in backbone["action_items"]] == ["open", "done"]


def test_a_saved_wiki_page_leaves_its_chrome_behind(api) -> None:
    body = post(api("author"), (corpus.CORPUS / "mediawiki-dns.html").read_bytes(),
                "text/html").get_json()
    assert body["title"] == "DNS outage of 14 July 2020" and body["severity"] == "SEV2"
    assert [s["key"] for s in body["sections"] if s["markdown"]] == ["summary", "impact"]
    assert "[edit]" not in str(body["sections"]) and "Main page" not in str(body["sections"])
    # "At 21:10 UTC, …": the words before a time are not the event.
    assert [e["text"] for e in body["timeline"]][0] == "the upstream provider changed its DNSSEC keys."
    assert body["started_at"] == "2020-07-14T21:10:00Z"  # 07/14/2020, the US way
    items = {i["title"]: i for i in body["action_items"]}
    assert items["Add a DNSSEC validation fallback"]["owner"] == "jo@example.com"
    assert items["Add a DNSSEC validation fallback"]["status"] == "in_progress"
    assert items["Alert on SERVFAIL ratio"]["team"] == "net-team"
    assert items["Alert on SERVFAIL ratio"]["status"] == "done"


def test_a_notion_export_with_properties_days_and_a_zone(api) -> None:
    body = post(api("author"), (corpus.CORPUS / "notion-payments.html").read_bytes(),
                "text/html").get_json()
    assert body["severity"] == "SEV2"  # "Level 2 - Major"
    assert sorted(body["services"]) == ["ledger", "payments"]  # side-by-side multi-select values
    # 9:05 AM in New York on 14 March 2023 (daylight time) is 13:05 UTC; "Day 2" is the 15th.
    assert [e["at"] for e in body["timeline"]] == [
        "2023-03-14T13:05:00Z", "2023-03-14T14:30:00Z", "2023-03-15T12:15:00Z"]
    assert body["detected_at"] == "2023-03-14T14:30:00Z"
    assert len(body["factors"]) == 2  # "5 Whys"
    assert [i["status"] for i in body["action_items"]] == ["done", "open"]
    assert body["action_items"][1]["due_date"] == "2023-03-31"
    assert "Appendix" in [s["title"] for s in body["sections"]]


def test_a_time_inside_a_timeline_line_still_makes_it_an_event(api) -> None:
    text = ("# Queue backlog\n\nDate: 2024-05-02\nSeverity: SEV3\n\n## Timeline\n\n"
            "- Deploy of worker v2 finished at 09:58 UTC\n- Queue depth alert fired (10:04)\n"
            "- Workers rolled back by 10:20\n- The ratio was 3:1 all day\n")
    body = post(api("author"), text).get_json()
    assert [(e["at"], e["text"]) for e in body["timeline"]] == [
        ("2024-05-02T09:58:00Z", "Deploy of worker v2 finished at 09:58 UTC"),
        ("2024-05-02T10:04:00Z", "Queue depth alert fired (10:04)"),
        ("2024-05-02T10:20:00Z", "Workers rolled back by 10:20")]
    notes = {s["title"]: s["markdown"] for s in body["sections"]}
    assert "The ratio was 3:1 all day" in notes["Timeline (notes)"]  # kept, not dropped


def test_a_real_shaped_google_docs_export(api) -> None:
    """Class-styled headings, metadata in one paragraph of bold names, a table without <th>,
    lists without nesting, links through google.com/url, a due date without its year."""
    body = post(api("author"), (corpus.CORPUS / "google-docs-kafka.html").read_bytes(),
                "text/html").get_json()
    assert body["title"] == "Kafka consumer lag incident" and body["severity"] == "SEV2"
    assert [e["at"] for e in body["timeline"]] == [  # 10:12 Eastern (standard time)
        "2022-11-08T15:12:00Z", "2022-11-08T15:25:00Z", "2022-11-08T15:52:00Z"]
    assert len(body["factors"]) == 2
    first = body["action_items"][0]
    assert first["title"] == "Use cooperative rebalancing (DATA-77)"
    assert first["external_url"] == "https://jira.example.com/browse/DATA-77"
    assert first["due_date"] == "2022-12-01" and "Owner: Mo" in first["description"]
    assert body["action_items"][1]["title"] == "Move patching outside peak hours"
    assert body["metadata"] == {"Author": "Mo Chen"}


def test_timeline_entries_written_as_headings_and_code(api) -> None:
    text = ("# Cache stampede\n\n- Date: 2024-02-20\n- Severity: Minor\n\n## Timeline\n\n"
            "### 08:00 UTC — Cache flushed by the deploy\nHit rate dropped to zero.\n\n"
            "### 08:03 UTC — Database CPU at 100%\n\n```\n08:10 rate limit raised\n"
            "08:20 cache warm again\n```\n")
    body = post(api("author"), text).get_json()
    assert body["severity"] == "SEV3"
    assert [(e["at"][11:16], e["text"]) for e in body["timeline"]] == [
        ("08:00", "Cache flushed by the deploy"), ("08:03", "Database CPU at 100%"),
        ("08:10", "rate limit raised"), ("08:20", "cache warm again")]
    notes = {s["title"]: s["markdown"] for s in body["sections"]}
    assert "Hit rate dropped to zero." in notes["Timeline (notes)"]


def test_a_file_without_a_title_is_named_after_the_file(api) -> None:
    archive = _zip({"2020/2020-05-11-search-index-corruption.md":
                    b"## Summary\n\nThe search index was corrupted on 2020-05-11.\n\n"
                    b"## Timeline\n\n- 10:00 reindex started\n"})
    body = api("author").post("/api/v1/import/batch", data=archive,
                              content_type="application/zip").get_json()
    assert [e["file"] for e in body["imported"]] == ["2020/2020-05-11-search-index-corruption.md"]
    assert any("named after its file" in note for note in body["imported"][0]["notes"])
    # Without a file name (a body posted alone) a title is still needed.
    assert_error(post(api("author"), b"## Summary\n\nOn 2020-05-11.\n"), 422)


@pytest.mark.parametrize(("written", "ours"), [
    ("SEV-1", "SEV1"), ("Sev 0", "SEV1"), ("P1", "SEV1"), ("P2", "SEV2"), ("Critical", "SEV1"),
    ("Major", "SEV2"), ("Minor", "SEV3"), ("Low", "SEV4"), ("S3 - Medium", "SEV3"),
    ("Level 2 - Major", "SEV2"), ("2 - High", "SEV2"), ("Code Red", "SEV1"), ("Urgent", "SEV1"),
])
def test_severity_scales_map_to_ours_and_say_so(api, written: str, ours: str) -> None:
    text = f"# Login errors\n\n- Date: 2024-06-01\n- Severity: {written}\n\n## Summary\n\nx\n"
    body = post(api("author"), text, query="?dry_run=true").get_json()
    assert body["severity"] == ours
    assert f"severity '{written}' was read as {ours}" in " ".join(body["import_notes"])


def test_definition_lists_hold_metadata_and_timeline_lines(api) -> None:
    page = ("<html><body><h1>Object storage 503s</h1><dl><dt>Date</dt><dd>2022-08-09</dd>"
            "<dt>Severity</dt><dd>Major</dd></dl><h2>Summary</h2><p>Uploads failed.</p>"
            "<h2>Timeline</h2><dl><dt>15:39 UTC</dt><dd>Rebalance started</dd>"
            "<dt>15:52 UTC</dt><dd>Uploads <b>fail</b> with 503</dd></dl></body></html>")
    body = post(api("author"), page, "text/html").get_json()
    assert body["severity"] == "SEV2" and body["started_at"] == "2022-08-09T15:39:00Z"
    assert [e["text"] for e in body["timeline"]] == ["Rebalance started", "Uploads fail with 503"]
