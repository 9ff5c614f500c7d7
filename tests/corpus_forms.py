"""The import corpus: public incidents (import_corpus/incidents.yaml) written up the way
different teams write them — five template families — and in each form a team exports
(Markdown, an HTML export, a Google Docs HTML export with headings styled by hand, .docx) —
and the check that an import of one is whole."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import yaml
from markdown_it import MarkdownIt

CORPUS = Path(__file__).parent / "import_corpus"
INCIDENTS: list[dict[str, Any]] = yaml.safe_load((CORPUS / "incidents.yaml").read_text())
PACIFIC = ZoneInfo("America/Los_Angeles")
PLUS_ONE = timezone(timedelta(hours=1))


def _at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def events(incident: dict[str, Any]) -> list[tuple[datetime, str]]:
    return [(_at(at), text) for at, text in incident["timeline"]]


def _local(at: datetime, zone: tzinfo) -> datetime:
    return at.astimezone(zone)


def _clock12(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


# ---- template families (Markdown) --------------------------------------------------------

def sre_book(incident: dict[str, Any]) -> str:
    """The SRE book's shape: bold metadata lines, trigger/resolution/detection, an action-item
    table, lessons learned with sub-sections, a timeline under a date line."""
    first = events(incident)[0][0]
    sev = incident["severity"].replace("SEV", "SEV-")
    lines = [f"# {incident['title']}", "", f"**Date**: {first:%Y-%m-%d}", "",
             "**Authors**: alex, sam", "", "**Status**: Complete, action items in progress", "",
             f"**Severity**: {sev}", "", f"**Summary**: {incident['summary']}", "",
             f"**Impact**: {incident['impact']}", "",
             "**Resolution**: Service restored by the responders as described in the timeline.",
             "", "**Detection**: Automated alerts and customer reports.", "",
             "## Root Causes", ""]
    lines += [f"- {factor}" for factor in incident["factors"]]
    lines += ["", "## Action Items", "", "| Action Item | Type | Owner | Bug |", "|---|---|---|---|"]
    for number, item in enumerate(incident["actions"], start=1):
        owner = (item.get("owner") or "").split("@")[0] or "n/a"
        lines.append(f"| {item['title']} | prevent | {owner} | Bug {5550000 + number} **TODO** |")
    lines += ["", "## Lessons Learned", "", "### What went well", "",
              "- Alerts fired quickly", "", "### What went wrong", "", "- Recovery was slow", "",
              "### Where we got lucky", "", "- It happened on a weekday", "", "## Timeline", ""]
    day = None
    for at, text in events(incident):
        if at.date() != day:
            day = at.date()
            lines += ["", f"{day:%Y-%m-%d} (all times UTC)", ""]
        lines.append(f"- {at:%H:%M} {text}")
    lines += ["", "## Supporting information", "", "Dashboards and chat logs are linked from the ticket."]
    return "\n".join(lines) + "\n"


def wiki_table(incident: dict[str, Any]) -> str:
    """A wiki page: a metadata table, word severities, a timeline table in Pacific time with
    12-hour clock times, checkbox follow-ups with @owner and due dates."""
    first = _local(events(incident)[0][0], PACIFIC)
    word = {"SEV1": "Critical", "SEV2": "Major", "SEV3": "Minor", "SEV4": "Low"}[incident["severity"]]
    lines = [f"# {incident['title']}", "", "| Field | Value |", "|---|---|",
             f"| Incident date | {first:%B} {first.day}, {first.year} |", f"| Severity | {word} |",
             "| Incident commander | Dana Ruiz |",
             f"| Affected systems | {', '.join(incident['services'])} |", "",
             "## Overview", "", incident["summary"], "", "## Customer impact", "", incident["impact"],
             "", "## Timeline", "", "All times are Pacific (PT).", "", "| Date | Time | What happened |",
             "|---|---|---|"]
    for at, text in events(incident):
        local = _local(at, PACIFIC)
        lines.append(f"| {local:%b} {local.day} | {_clock12(local)} | {text} |")
    lines += ["", "## Contributing factors", ""]
    lines += [f"- {factor}" for factor in incident["factors"]]
    lines += ["", "## Follow-ups", ""]
    for item in incident["actions"]:
        box = "[x]" if item.get("done") else "[ ]"
        extra = []
        if item.get("owner"):
            extra.append(f"@{item['owner'].split('@')[0]}")
        if item.get("due"):
            due = datetime.fromisoformat(str(item["due"]))
            extra.append(f"due {due:%b} {due.day}, {due.year}")
        lines.append(f"- {box} {item['title']}" + (f" — {', '.join(extra)}" if extra else ""))
    lines += ["", "## What went well", "", "The on-call rotation was fully staffed."]
    return "\n".join(lines) + "\n"


def repo_file(incident: dict[str, Any]) -> str:
    """A repository's postmortems/*.md: bullet metadata, P-scale priority, HH:MM lines with
    (+1d) for the next days."""
    evs = events(incident)
    first = evs[0][0]
    priority = incident["severity"].replace("SEV", "P")
    lines = [f"# {incident['title']}", "", f"- Date: {first:%Y-%m-%d}", f"- Priority: {priority}",
             f"- Services: {', '.join(incident['services'])}", "- Owner: platform team", "",
             "## Summary", "", incident["summary"], "", "## Impact", "", incident["impact"], "",
             "## Timeline (UTC)", ""]
    for at, text in evs:
        days = (at.date() - first.date()).days
        lines.append(f"- {at:%H:%M}{f' (+{days}d)' if days else ''} {text}")
    lines += ["", "## Root cause(s)", ""]
    lines += [f"- {factor}" for factor in incident["factors"]]
    lines += ["", "## Action items", ""]
    for item in incident["actions"]:
        pairs = []
        if item.get("owner"):
            pairs.append(f"owner: {item['owner']}")
        if item.get("due"):
            pairs.append(f"due {item['due']}")
        box = "[x]" if item.get("done") else "[ ]"
        lines.append(f"- {box} {item['title']}" + (f" ({', '.join(pairs)})" if pairs else ""))
    return "\n".join(lines) + "\n"


def other_team(incident: dict[str, Any]) -> str:
    """Another team's template: a horizontal metadata table, an urgency scale, other headings,
    a chronology table in UTC+1 with Day N rows, next steps as a table with ticket links."""
    evs = events(incident)
    first = _local(evs[0][0], PLUS_ONE)
    urgency = {"SEV1": "Critical", "SEV2": "High", "SEV3": "Medium", "SEV4": "Low"}[incident["severity"]]
    lines = [f"# {incident['title']}", "",
             "| Incident ID | Urgency | Start of impact | Systems |", "|---|---|---|---|",
             f"| INC-{first:%Y%m%d} | {urgency} | {first:%d %b %Y %H:%M} | "
             f"{'; '.join(incident['services'])} |", "",
             "## What happened", "", incident["summary"], "", "## Business impact", "",
             incident["impact"], "", "## Chronology", "", "| When (UTC+1) | What |", "|---|---|"]
    day = None
    for at, text in evs:
        local = _local(at, PLUS_ONE)
        if local.date() != day:
            if day is not None:
                lines.append(f"| Day {(local.date() - first.date()).days + 1} | |")
            day = local.date()
        lines.append(f"| {local:%H:%M} | {text} |")
    lines += ["", "## Why it happened", ""]
    lines += [f"{number}. {factor}" for number, factor in enumerate(incident["factors"], start=1)]
    lines += ["", "## Next steps", "", "| Ticket | Task | Owner | Due |", "|---|---|---|---|"]
    for number, item in enumerate(incident["actions"], start=1):
        ticket = f"[OPS-{100 + number}](https://jira.example.com/browse/OPS-{100 + number})"
        lines.append(f"| {ticket} | {item['title']} | {item.get('owner') or ''} | "
                     f"{item.get('due') or ''} |")
    lines += ["", "## Reflections", "", "We will review this again in a month."]
    return "\n".join(lines) + "\n"


def plain_text(incident: dict[str, Any]) -> str:
    """A plain text file: no markup at all, Day N markers, Key: value lines on one line."""
    evs = events(incident)
    first, last = evs[0][0], evs[-1][0]
    lines = [f"Incident report: {incident['title']}",
             f"Impact start: {first:%Y-%m-%d %H:%M} UTC   Impact end: {last:%Y-%m-%d %H:%M} UTC",
             f"Severity: {incident['severity'].replace('SEV', 'Sev ')}", "Summary", incident["summary"],
             "Impact", incident["impact"], "Timeline"]
    day = None
    for at, text in evs:
        if at.date() != day:
            day = at.date()
            lines.append(f"Day {(day - first.date()).days + 1}")
        lines.append(f"{at:%H:%M} {text}")
    lines.append("Contributing factors")
    lines += [f"* {factor}" for factor in incident["factors"]]
    lines.append("Action items")
    for item in incident["actions"]:
        due = f" (due {item['due']})" if item.get("due") else ""
        lines.append(f"* {item['title']}{due}")
    lines += ["Lessons learned", "Check the blast radius of every change before it ships."]
    # A plain file: every line its own paragraph once read as Markdown.
    return "\n\n".join(lines) + "\n"


def incident_table_template(incident: dict[str, Any]) -> str:
    """A corporate template: a metadata table of long names with zones in them, S-scale
    severity, a detailed timeline table in Pacific time with full dates, both a root cause
    analysis and a contributing factors list, remediation actions as a numbered table."""
    evs = events(incident)
    first, last = evs[0][0], evs[-1][0]
    scale = {"SEV1": "S1 - Critical", "SEV2": "S2 - High", "SEV3": "S3 - Medium", "SEV4": "S4 - Low"}
    lines = [f"# {incident['title']}", "", "| | |", "|---|---|",
             f"| **Incident Severity** | {scale[incident['severity']]} |",
             f"| **Incident Start (UTC)** | {first:%Y-%m-%d %H:%M} |",
             f"| **Resolution Time (UTC)** | {last:%Y-%m-%d %H:%M} |",
             "| **Incident Lead** | Jordan Blake |",
             f"| **Impacted Services** | {', '.join(incident['services'])} |", "",
             "## Incident Overview", "", incident["summary"], "",
             "## Customer Impact", "", incident["impact"], "",
             "## Detailed Timeline", "", "| Date/Time (Pacific) | Event | Owner |", "|---|---|---|"]
    for at, text in evs:
        local = _local(at, PACIFIC)
        lines.append(f"| {local:%Y-%m-%d %H:%M} | {text} | on-call |")
    lines += ["", "## Root Cause Analysis", "", "The analysis below lists what combined to cause "
              "the incident:", "", "## Contributing Factors", ""]
    lines += [f"* {factor}" for factor in incident["factors"]]
    lines += ["", "## Remediation Actions", "", "| # | Action | Owner | Target Date | Jira |",
              "|---|---|---|---|---|"]
    for number, item in enumerate(incident["actions"], start=1):
        due = datetime.fromisoformat(str(item["due"])) if item.get("due") else None
        lines.append(f"| {number} | {item['title']} | {item.get('owner') or 'TBD'} | "
                     f"{f'{due:%m/%d/%Y}' if due else ''} | OPS-{200 + number} |")
    lines += ["", "## Lessons", "", "Smaller changes, rolled out more slowly."]
    return "\n".join(lines) + "\n"


def prose_wiki(incident: dict[str, Any]) -> str:
    """A prose wiki page: a prefixed title, metadata in one italic line, h3 sections, bold date
    lines with '– ' after bold UTC times, one paragraph per cause, a numbered action list."""
    evs = events(incident)
    sev = incident["severity"].replace("SEV", "SEV ")
    lines = [f"# Post-mortem: {incident['title']}", "",
             f"_Last updated: {evs[-1][0] + timedelta(days=9):%Y-%m-%d}_ · Severity: **{sev}**", "",
             "### Summary", "", incident["summary"], "", "### Impact", "", incident["impact"], "",
             "### Timeline", ""]
    day = None
    for at, text in evs:
        if at.date() != day:
            day = at.date()
            lines += ["", f"**{at:%B} {at.day}, {at.year}**", ""]
        lines.append(f"- **{at:%H:%M} UTC** – {text}")
    lines += ["", "### Root cause", ""]
    for factor in incident["factors"]:
        lines += [factor, ""]
    lines += ["### Action items", ""]
    lines += [f"{n}. {item['title']}" for n, item in enumerate(incident["actions"], start=1)]
    return "\n".join(lines) + "\n"


FAMILIES = {"sre-book": sre_book, "wiki-table": wiki_table, "repo-file": repo_file,
            "other-team": other_team, "plain-text": plain_text,
            "table-template": incident_table_template, "prose-wiki": prose_wiki}


# ---- forms -------------------------------------------------------------------------------

def html_export(markdown: str, title: str) -> str:
    """A Confluence-style HTML export of the page: breadcrumbs, the page in #main-content."""
    body = MarkdownIt("commonmark", {"breaks": True}).enable("table").render(markdown)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>Engineering : {title}</title></head><body>"
            "<nav><ul><li><a href='/'>Home</a></li><li>Engineering</li></ul></nav>"
            f"<div id='main-content' class='wiki-content'>{body}</div>"
            "<footer>Powered by a wiki</footer></body></html>")


def google_docs(markdown: str) -> str:
    """A Google Docs HTML export: no <h2>, headings are paragraphs whose spans are bold and
    larger through classes; the title is a 26pt paragraph."""
    body = MarkdownIt("commonmark", {"breaks": True}).enable("table").render(markdown)
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    for element in list(root.iter()):
        if element.tag in ("h1", "h2", "h3"):
            tag, text = element.tag, element.text_content()
            for child in list(element):
                element.remove(child)
            element.tag, element.text = "p", None
            element.set("class", "title" if tag == "h1" else "c3")
            span = lxml.html.Element("span")
            span.set("class", {"h1": "c9", "h2": "c5", "h3": "c6"}[tag])
            span.text = text
            element.append(span)
        elif element.tag == "strong":
            element.tag = "span"
            element.set("style", "font-weight:700")
    html = lxml.html.tostring(root, encoding="unicode")
    style = (".c0{font-size:11pt}.c3{padding-top:10pt}.c5{font-weight:700;font-size:14pt}"
             ".c6{font-weight:700;font-size:12pt}.c9{font-size:26pt;font-family:Arial}")
    return (f"<html><head><meta content='text/html; charset=UTF-8' http-equiv='content-type'>"
            f"<style type='text/css'>{style}</style></head><body class='doc-content'>{html}"
            "</body></html>")


def docx(markdown: str, *, bold_headings: bool) -> bytes:
    """A .docx written with python-docx from the page: heading styles, or (bold_headings)
    headings typed by hand as bold paragraphs; lists, tables."""
    import docx as python_docx

    body = MarkdownIt("commonmark").enable("table").render(markdown)
    root = lxml.html.fragment_fromstring(body, create_parent="div")
    document = python_docx.Document()
    for element in root:
        text = " ".join(element.text_content().split())
        if element.tag in ("h1", "h2", "h3"):
            level = int(element.tag[1])
            if element.tag == "h1":
                document.add_heading(text, 0)
            elif bold_headings:
                run = document.add_paragraph().add_run(text)
                run.bold = True
            else:
                document.add_heading(text, level)
        elif element.tag in ("ul", "ol"):
            style = "List Bullet" if element.tag == "ul" else "List Number"
            for item in element.iter("li"):
                document.add_paragraph(" ".join(item.text_content().split()), style=style)
        elif element.tag == "table":
            rows = list(element.iter("tr"))
            width = max(len(row) for row in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = " ".join(cell.text_content().split())
        elif element.tag == "p":
            paragraph = document.add_paragraph()
            for piece in _runs(element):
                run = paragraph.add_run(piece[0])
                run.bold = piece[1]
        elif text:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _runs(element: Any) -> list[tuple[str, bool]]:
    runs = [(element.text or "", False)]
    for child in element:
        if child.tag == "br":
            runs.append(("\n", False))
        else:
            runs.append((child.text_content(), child.tag == "strong"))
        runs.append((child.tail or "", False))
    merged = [(re.sub(r"\n", " ", text), bold) for text, bold in runs if text]
    return merged


# ---- wholeness ---------------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9%]+", " ", text.lower()).split())


def missing(incident: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """What an imported post-mortem lacks of the incident: empty when it is whole (title,
    severity, start day, every timed timeline line, every factor and action item, summary
    and impact)."""
    problems = []
    if incident["title"] not in body["title"]:
        problems.append(f"title {body['title']!r}")
    if body["severity"] != incident["severity"]:
        problems.append(f"severity {body['severity']}")
    first = events(incident)[0][0]
    if body["started_at"][:10] != f"{first:%Y-%m-%d}":
        problems.append(f"started_at {body['started_at']}")
    got = {(e["at"], _norm(e["text"])) for e in body["timeline"]}
    for at, text in events(incident):
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if not any(a == stamp and _norm(text) in t for a, t in got):
            problems.append(f"timeline {stamp} {text}")
    factors = [_norm(f["text"]) for f in body["factors"]]
    for factor in incident["factors"]:
        if not any(_norm(factor) in f for f in factors):
            problems.append(f"factor {factor}")
    items = [_norm(i["title"]) for i in body["action_items"]]
    for item in incident["actions"]:
        if not any(_norm(item["title"]) in i for i in items):
            problems.append(f"action item {item['title']}")
    sections = {s["key"]: _norm(s["markdown"]) for s in body["sections"]}
    for key in ("summary", "impact"):
        if _norm(incident[key]) not in sections.get(key, ""):
            problems.append(f"section {key}")
    return problems
