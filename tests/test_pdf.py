"""PDF exports: the text stakeholders read, the page count, the DRAFT mark, the digest, and a
renderer that fetches nothing but our static files."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from postmortem.services.exchange.pdf import FetchRefused, read_static

from .browser import SCREENSHOTS
from .test_interchange import DOCUMENT, post_import


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def save_pages_as_png(data: bytes, name: str, first: int = 1, last: int = 2) -> None:
    """docs/screenshots/<name>-N.png of pages first..last, for people to look at (needs
    poppler's pdftoppm)."""
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is missing: `make test` installs poppler-utils")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = SCREENSHOTS / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", str(first), "-l", str(last), str(source),
                    str(SCREENSHOTS / name)], check=True, timeout=60)
    source.unlink()


def test_incident_pdf_holds_what_stakeholders_need(api) -> None:
    author = api("reviewer")  # imports the published document as published
    key = post_import(author, DOCUMENT).get_json()["key"]
    response = author.get(f"/incidents/{key}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, pages = pdf_text(response.data)
    assert 2 <= pages <= 5
    for expected in ("Checkout errors after cache config rollout", "SEV2", "2026.03.14-1",
                     "registry.example.com/edge-cache@sha256:4f1c9a",
                     "Add range validation to the cache config schema",
                     "Error-rate alert on checkout fired", "Time to detect 7m",
                     "Time to resolve 2h 28m", "Page 1 of"):
        assert expected.lower() in text.lower(), expected
    assert "DRAFT" not in text  # the document was published
    save_pages_as_png(response.data, "pdf-incident")


def test_unpublished_pdf_carries_a_draft_mark(api) -> None:
    author = api("author")
    key = post_import(author, DOCUMENT.replace("status: published", "status: draft")).get_json()["key"]
    text, _ = pdf_text(author.get(f"/incidents/{key}.pdf").data)
    assert "DRAFT" in text


def test_long_post_mortem_paginates(api) -> None:
    author = api("author")
    rows = "\n".join(f"- 2026-03-14T{9 + i // 60:02d}:{i % 60:02d}:00Z [note] Step {i} of the "
                     "response, described in a full sentence for realism." for i in range(120))
    long_doc = DOCUMENT.replace("- 2026-03-14T09:20:00Z Status page updated", rows)
    key = post_import(author, long_doc).get_json()["key"]
    text, pages = pdf_text(author.get(f"/incidents/{key}.pdf").data)
    assert pages >= 4 and "Step 119 of the response" in text


def test_pdf_needs_a_login_or_token(client, api) -> None:
    key = post_import(api("author"), DOCUMENT).get_json()["key"]
    assert client.get(f"/incidents/{key}.pdf").status_code == 302
    assert client.get(f"/incidents/{key}.md").status_code == 302


def test_digest_pdf_renders_with_charts(api) -> None:
    author = api("author")
    post_import(api("reviewer"), DOCUMENT)  # published: counted
    post_import(author, DOCUMENT.replace("title: Checkout errors", "title: Draft checkout errors"))
    response = author.get("/reports/digest.pdf?since=2026-03-01&until=2026-03-31")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, pages = pdf_text(response.data)
    assert pages >= 2
    for expected in ("incident digest", "Incidents by month and severity", "Configuration change",
                     "Checkout errors after cache config rollout", "edge-cache",
                     "the period before: 29 Jan 2026", "the period before,", "Not published yet", "Draft checkout errors",
                     "Overdue action items"):
        assert expected.lower() in text.lower(), expected
    assert "published post- mortems 1" in " ".join(text.lower().split())
    save_pages_as_png(response.data, "pdf-digest")
    assert author.get("/reports/digest.pdf?since=soon").status_code == 400


def test_insights_page_shows_the_same_charts(client, login, api) -> None:
    post_import(api("reviewer"), DOCUMENT)  # published, so it counts
    login("viewer")
    page = client.get("/insights?since=2026-03-01&until=2026-03-31")
    assert page.status_code == 200 and page.text.count("<svg") >= 2
    assert "Mean time to resolve" in page.text
    # Every bar opens the list it counts.
    assert "/incidents?theme=config-change" in page.text
    assert "/incidents?service=edge-cache" in page.text


def test_the_fetcher_serves_only_our_static_files(app, tmp_path: Path) -> None:
    root = Path(app.static_folder).resolve()
    assert read_static(root, "static:/css/pdf.css").startswith(b"/*")
    assert read_static(root, (root / "css" / "pdf.css").as_uri())
    for url in ("https://example.com/x.css", "http://127.0.0.1/", "file:///etc/passwd",
                "static:/../pyproject.toml", "data:text/css,body{}", "ftp://x/y"):
        with pytest.raises(FetchRefused):
            read_static(root, url)


def test_outside_resources_are_never_fetched_while_rendering(app, api) -> None:
    from postmortem.services import exchange as pdf

    with app.test_request_context():
        data = pdf.html_to_pdf(
            '<link rel="stylesheet" href="https://example.com/evil.css">'
            '<img src="file:///etc/hostname"><p>Body text</p>')
    text, _ = pdf_text(data)
    assert "Body text" in text


def test_cli_pdf_export_and_digest(app, runner, api, tmp_path: Path) -> None:
    key = post_import(api("author"), DOCUMENT).get_json()["key"]
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["export", key, "--format", "pdf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Checkout errors" in pdf_text(out.read_bytes())[0]
    digest = tmp_path / "d.pdf"
    result = runner.invoke(args=["digest", "--since", "2026-03-01", "--until", "2026-03-31",
                                 "-o", str(digest)])
    assert result.exit_code == 0, result.output
    assert "Checkout errors" in pdf_text(digest.read_bytes())[0]
    assert runner.invoke(args=["digest", "--since", "nope", "-o", str(digest)]).exit_code != 0


def test_demo_pdfs_have_no_near_empty_page(app) -> None:
    """Every page but the last holds real content: no page with only a heading or a small
    table (the demo post-mortems and the demo digest)."""
    from postmortem.services import demo, exchange, incidents, insights

    with app.app_context():
        demo.load_demo()
        documents = [exchange.render_incident_pdf(incidents.get_incident(f"INC-{n}", reader=None))
                     for n in range(1, 13)]
        since, until = insights.parse_period({"since": "2026-01-01", "until": "2026-12-31"})
        documents.append(exchange.render_digest_pdf(since, until, seen="all"))
        since, until = insights.parse_period({"since": "2026-06-01", "until": "2026-11-30"})
        documents.append(exchange.render_digest_pdf(since, until, seen="all"))
    # What a stakeholder sees: INC-2's last two pages (its small artifacts table goes with
    # the end of the action items) and the demo's half-year digest.
    save_pages_as_png(documents[1], "pdf-demo-inc-2", first=2, last=3)
    save_pages_as_png(documents[-1], "pdf-demo-digest", first=1, last=3)
    for data in documents:
        reader = PdfReader(io.BytesIO(data))
        lines = [len([line for line in page.extract_text().splitlines() if line.strip()])
                 for page in reader.pages]
        assert all(count >= 12 for count in lines[:-1]), lines
        # Nor a page that begins with a small section (the artifacts involved, the metadata):
        # it goes with the end of what precedes it.
        for page in reader.pages[1:]:
            first = next(line for line in page.extract_text().splitlines() if line.strip())
            assert first.strip() not in ("Deployed artifacts involved", "Metadata"), lines


def test_demo_post_mortems_carry_their_review(app) -> None:
    """A demo post-mortem says when it was published (days after it was resolved, not the day
    the demo was loaded) and who reviewed it."""
    from postmortem.services import demo, exchange, incidents

    with app.app_context():
        demo.load_demo()
        incident = incidents.get_incident("INC-2", reader=None)
        assert incident.published_at is not None and incident.resolved_at is not None
        assert 0 < (incident.published_at - incident.resolved_at).days < 14
        assert [user.name for user in incident.reviewers] == ["Ana Lima"]
        text = " ".join(PdfReader(io.BytesIO(exchange.render_incident_pdf(incident)))
                        .pages[0].extract_text().split())
    assert "PUBLISHED 25 JUN 2026 BY ANA LIMA" in text  # the cover's eyebrow is upper case
    assert "REVIEWED BY Ana Lima" in text


def test_the_warm_up_renders_and_never_stops_the_server(app, monkeypatch, caplog) -> None:
    from postmortem.services.exchange import pdf

    calls: list[str] = []
    real = pdf.html_to_pdf
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: calls.append(html) or real(html))
    with app.app_context():
        pdf.warm_up()
    assert calls == [pdf.WARM_UP]

    def broken(_html: str) -> bytes:
        raise OSError("cannot load library 'libharfbuzz-subset.so.0'")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    with app.app_context():
        pdf.warm_up()  # logged, not raised
    assert "PDF warm-up failed" in caplog.text


def test_the_insights_page_and_its_pdf_mean_one_period(client, login, api) -> None:
    """The default period (and the one before it) is the same on the page, in its PDF link and
    in the PDF; each figure says the period before's value, then the change."""
    post_import(api("reviewer"), DOCUMENT)
    login("viewer")
    page = client.get("/insights").text
    period = re.search(r"Figures of (\d\d \w{3} \d{4}) – (\d\d \w{3} \d{4}), each compared with "
                       r"the period before: (\d\d \w{3} \d{4}) – (\d\d \w{3} \d{4})", page)
    assert period is not None
    link = re.search(r'href="(/reports/digest\.pdf\?[^"]+)"', page)
    assert link is not None
    text, _ = pdf_text(client.get(link.group(1).replace("&amp;", "&")).data)
    since, until, before_since, before_until = period.groups()
    assert f"{since} – {until}" in text
    assert f"the period before: {before_since} – {before_until}" in text
    assert re.search(r"\(\d+ the period before, (▲\d+|▼\d+|no change)\)", " ".join(page.split()))
