"""A post-mortem as a team wrote it elsewhere (a wiki page, an HTML export, a .docx), read
into what an interchange document holds: the title, the metadata however it is written near
the top, each section mapped to the template's by meaning, the timeline, the contributing
factors and the action items — and notes saying what was guessed, mapped or kept as text.
Nothing the document says is dropped: what has no field stays in a section."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from ...models import TimelineKind
from .blocks import Block, Line, Source
from .markdown import SPECIAL_SECTIONS, DocumentError
from .rows import (
    Event,
    Factor,
    Item,
    Leftover,
    TimelineReader,
    read_factors,
    read_items,
)
from .wording import (
    DAY_MARK_RE,
    STAMP_RE,
    find_dates,
    heading_target,
    is_section_name,
    meta_field,
    parse_date,
    parse_duration,
    parse_moment,
    severity_of,
    words,
    zone_hint,
    zone_of,
)

TITLE_MAX = 200
TIMES = ("started_at", "detected_at", "mitigated_at", "resolved_at")
TIME_SECTIONS = {"started_at": "summary", "detected_at": "detection", "mitigated_at": "recovery",
                 "resolved_at": "recovery"}
START_RE = re.compile(r"\b(?:outage|incident|impact|issue|problem|errors?)\s+(?:begins|began|"
                      r"starts|started)\b|\b(?:start|beginning) of (?:the )?(?:impact|outage|"
                      r"incident)\b|\bimpact (?:start|begin)", re.IGNORECASE)
KEY_VALUE_RE = re.compile(r"^\s*([A-Za-z][\w ./&'()#-]{0,40}?)\s*[:：]\s+(\S.*)$|"
                          r"^\s*([A-Za-z][\w ./&'()#-]{0,40}?)\s*[:：]\s*$")
SEPARATORS_RE = re.compile(r"\s+[·•|]\s+|\s{3,}|\t+|\s+[–—]\s+(?=[A-Z][\w ]{0,30}:)")
INNER_KEY_RE = re.compile(r"(?<=\s)(?=([A-Z][A-Za-z]*(?: [A-Za-z]+){0,3}):\s)")
STATUS_WORDS = {"published": r"publish|final|complete|approved|reviewed|closed|done",
                "in_review": r"review", "draft": r"draft|progress|wip|open|pending"}


@dataclass
class Section:
    """A part of the document under one heading, and what that heading means."""

    line: int
    heading: str
    level: int
    target: str | None  # a template section key, timeline, factors, actions, metadata, value
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Draft:
    """What a foreign document says, in our terms; `notes` are (line, note)."""

    title: str = ""
    title_line: int = 1
    unit: str = "line"
    severity: str | None = None
    times: dict[str, datetime] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    commander: str | None = None  # an email, when the document names one we can resolve
    status: str | None = None  # what the document says its status is, in our words
    metadata: dict[str, Any] = field(default_factory=dict)
    sections: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    # (line, title, markdown, template key or None for an extra section), in document order
    events: list[Event] = field(default_factory=list)
    factors: list[Factor] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def note(self, line: int, text: str) -> None:
        self.notes.append((line, text))

    def note_texts(self) -> list[str]:
        unit = self.unit.capitalize()
        return [f"{unit} {line}: {text}" if line else text
                for line, text in sorted(self.notes, key=lambda n: n[0])]


def read_archive(source: Source, section_titles: dict[str, str],
                 find_person: Callable[[str], str | None]) -> Draft:
    """The draft of a post-mortem from a document's blocks. `section_titles` names the
    template's sections (key → title); `find_person` gives the email of a person named in
    the document, or None. DocumentError when there is no text, title or start day."""
    draft = Draft(unit=source.unit)
    blocks = _promote(source.blocks)
    if not any(b.text or b.rows for b in blocks):
        raise DocumentError(1, "the document has no text")
    blocks = _take_title(blocks, source.page_title, draft)
    sections = _segment(blocks)
    zone: tzinfo | None = None
    raw: dict[str, tuple[int, str]] = {}
    texts: dict[str, list[tuple[int, str, str]]] = {}  # section key → (line, heading, markdown)
    pending: list[tuple[Section, list[Block]]] = []
    has_timeline = any(s.target == "timeline" for s in sections)
    has_summary = any(s.target == "summary" for s in sections)
    for section in sections:
        if section.target in ("preamble", "metadata") or (
                section.target == "summary" and section.blocks):
            kept = _metadata(section, raw, draft, texts, everything=section.target != "summary")
        elif section.target == "value":
            raw.setdefault(_key_name(section.heading), (section.line, " ".join(
                b.text for b in section.blocks).strip()))
            kept = [b for b in section.blocks if not b.text]
        else:
            kept = section.blocks
        pending.append((section, kept))
        if section.target == "timeline":
            zone = zone or zone_hint(section.heading)
    for block in blocks:
        if block.kind == "paragraph" and zone is None:
            zone = zone_hint(block.text) if "time" in block.text.lower() else None
    zone = _resolve_meta(raw, draft, find_person, texts) or zone
    base_day = _base_day(draft, raw, pending)
    if base_day is None:
        raise DocumentError(draft.title_line, "no date could be found for the incident: add a "
                            "line such as 'Date: 2024-03-01' near the top")
    base = datetime(base_day.year, base_day.month, base_day.day)
    reader = TimelineReader(base_day, zone)
    for section, kept in pending:
        if section.target == "preamble" and not has_summary and "summary" in section_titles:
            section.target, section.heading = "summary", section_titles["summary"]
        _map_section(section, kept, draft, texts, reader, base, has_timeline, section_titles)
    draft.events = sorted(reader.reading.events, key=lambda e: e.at)
    for line, text in reader.reading.notes:
        draft.note(line, text)
    if reader.reading.utc_assumed is not None:
        draft.note(reader.reading.utc_assumed, "no time zone is given; the times were read as UTC")
    _assemble_sections(draft, texts, section_titles)
    _times(draft, raw, base_day, zone)
    if draft.severity is None and "impact_level" in raw:
        found = severity_of(raw["impact_level"][1])
        if found:
            draft.severity = found[0]
            draft.note(raw["impact_level"][0], f"severity was read as {found[0]} from the "
                                               f"impact '{raw['impact_level'][1]}'")
    if draft.severity is None:
        _severity_from_text(draft, blocks)
    return draft


# ---- blocks ------------------------------------------------------------------------------

def _heading_like(line: Line) -> int:
    """A line styled as a heading (all bold, or a large font) or alone naming a known
    section: its level, else 0."""
    text = line.text.strip()
    if not text or len(text) > 100 or not re.search(r"[A-Za-z]", text):
        return 0
    if re.search(r":\s*\S", text) or STAMP_RE.match(text) and not DAY_MARK_RE.match(text):
        return 0
    if line.size >= 20:
        return 1
    if line.size >= 14.5:
        return 2
    if line.strong and not text.endswith((".", ",", ";")):
        return 3
    bare = text.rstrip(":").strip()
    target = heading_target(bare)
    if target and target != "value" and len(bare.split()) <= 5 and bare[0].isupper():
        return 3
    return 0


def _promote(blocks: list[Block]) -> list[Block]:
    """Paragraph lines that are headings in all but markup become heading blocks."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "item" and len(block.lines) > 1:
            # A plain-text file: "Lessons learned" under a bullet is read as its continuation.
            cut = next((i for i, line in enumerate(block.lines) if i and _heading_like(line)), 0)
            if cut:
                out.append(Block("item", block.line, block.lines[:cut], level=block.level,
                                 checked=block.checked, ordered=block.ordered))
                block = Block("paragraph", block.line + cut, block.lines[cut:])
        if block.kind != "paragraph":
            out.append(block)
            continue
        current: list[Line] = []
        start = block.line
        for offset, line in enumerate(block.lines):
            level = _heading_like(line)
            if level:
                if current:
                    out.append(Block("paragraph", start, current))
                out.append(Block("heading", block.line + offset,
                                 [Line(line.text.rstrip(":").strip(), line.text.rstrip(":").strip())],
                                 level=level))
                current, start = [], block.line + offset + 1
            else:
                current.append(line)
        if current:
            out.append(Block("paragraph", start, current))
    return out


def _take_title(blocks: list[Block], page_title: str, draft: Draft) -> list[Block]:
    headings = [b for b in blocks if b.kind == "heading"]
    top = min((b.level for b in headings), default=0)
    first = next((b for b in blocks if b.text or b.rows), None)
    chosen: Block | None = None
    h1 = next((b for b in headings if b.level == 1 and not is_section_name(b.text)), None)
    if h1 is not None:
        chosen = h1
    elif first is not None and first.kind == "heading" and not is_section_name(first.text):
        chosen = first
    elif headings and headings[0].level == top and not is_section_name(headings[0].text) \
            and headings[0] is first:
        chosen = headings[0]
    if chosen is not None:
        draft.title, draft.title_line = chosen.text, chosen.line
        return [b for b in blocks if b is not chosen]
    if page_title:
        draft.title = re.sub(r"^[^:]{1,40} : ", "", page_title)  # Confluence: "Space : Page"
        draft.note(0, "the title was taken from the page's <title>")
        return blocks
    if first is not None and first.kind == "paragraph" and len(first.lines[0].text) <= 200:
        draft.title, draft.title_line = first.lines[0].text, first.line
        draft.note(first.line, "the document has no heading; its first line was taken as the title")
        rest = first.lines[1:]
        return [b if b is not first else Block("paragraph", first.line + 1, rest)
                for b in blocks if b is not first or rest]
    raise DocumentError(1, "the document has no title: start it with a heading")


def _segment(blocks: list[Block]) -> list[Section]:
    sections = [Section(1, "", 0, "preamble")]
    for block in blocks:
        current = sections[-1]
        if block.kind != "heading":
            current.blocks.append(block)
            continue
        target = heading_target(block.text)
        nested = current.target not in ("preamble", None, "value") and \
            block.level > current.level and target in (None, current.target)
        if current.target == "timeline" and (DAY_MARK_RE.match(block.text)
                                             or parse_date(block.text) is not None):
            nested = True
        if current.target is None and block.level > current.level and target is None:
            nested = True
        if nested:
            current.blocks.append(block)
        else:
            sections.append(Section(block.line, block.text, block.level, target))
    return sections


# ---- metadata ----------------------------------------------------------------------------

def _key_name(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip("*_").rstrip(":")).strip()


def _pairs_of_line(text: str) -> list[tuple[str, str]] | None:
    """'Date: x · Severity: P2' → pairs; None when the line is not made of `Name: value`."""
    pairs: list[tuple[str, str]] = []
    segments = []
    for piece in SEPARATORS_RE.split(text.strip()):
        # "Impact start: … Impact end: …" once HTML has collapsed the spaces between them.
        cuts = [m.start(1) for m in INNER_KEY_RE.finditer(piece) if meta_field(m.group(1))]
        for start, end in zip([0, *cuts], [*cuts, len(piece)], strict=True):
            segments.append(piece[start:end])
    for segment in segments:
        match = KEY_VALUE_RE.match(segment)
        if match and not STAMP_RE.match(segment):
            pairs.append((_key_name(match.group(1) or match.group(3)), (match.group(2) or "").strip()))
        elif pairs and segment.strip():
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value} {segment.strip()}".strip())
        elif segment.strip():
            return None
    return pairs or None


def _table_pairs(block: Block) -> list[tuple[int, str, str]] | None:
    rows = block.rows
    width = max(len(r) for r in rows)
    if width == 2 or (width >= 2 and all(len([c for c in r if c.text]) <= 2 for r in rows)
                      and not block.header):
        body = rows[1:] if block.header and meta_field(rows[0][0].text) is None else rows
        pairs = [(block.line + i, r[0].text.rstrip(":"), r[1].text if len(r) > 1 else "")
                 for i, r in enumerate(body) if r and r[0].text]
        known = sum(1 for _, k, _ in pairs if meta_field(k))
        if pairs and known >= max(1, len(pairs) // 3):
            return pairs
    if block.header and 2 <= len(rows) <= 3:
        names = [c.text for c in rows[0]]
        if sum(1 for n in names if meta_field(n)) >= 2:
            return [(block.line + 2, n, rows[1][i].text if i < len(rows[1]) else "")
                    for i, n in enumerate(names) if n]
    return None


def _metadata(section: Section, raw: dict[str, tuple[int, str]], draft: Draft,
              texts: dict[str, list[tuple[int, str, str]]], everything: bool) -> list[Block]:
    """Take `Name: value` metadata out of the section's blocks (lists, tables, lines); what
    is not metadata is returned. In a summary only a leading table or list counts."""
    kept: list[Block] = []
    for index, block in enumerate(section.blocks):
        pairs: list[tuple[int, str, str]] | None = None
        if not everything and index > 0:
            kept.append(block)
            continue
        if block.kind == "table":
            pairs = _table_pairs(block)
        elif block.kind == "item" and everything:
            found = _pairs_of_line(block.lines[0].text) if block.lines else None
            pairs = [(block.line, k, v) for k, v in found] if found else None
        elif block.kind == "paragraph" and everything:
            rest: list[Line] = []
            taken: list[tuple[int, str, str]] = []
            for offset, line in enumerate(block.lines):
                found = _pairs_of_line(line.text)
                if found and (any(meta_field(k) for k, _ in found) or section.target == "metadata"
                              or len(found) > 1):
                    taken += [(block.line + offset, k, v) for k, v in found]
                else:
                    rest.append(line)
            if taken:
                _store_pairs(taken, raw, draft, texts, section)
            if rest:
                kept.append(Block("paragraph", block.line, rest))
            continue
        if pairs and not everything and not sum(1 for _, k, _ in pairs if meta_field(k)) >= 2:
            pairs = None
        if pairs:
            _store_pairs(pairs, raw, draft, texts, section)
        else:
            kept.append(block)
    return kept


def _store_pairs(pairs: list[tuple[int, str, str]], raw: dict[str, tuple[int, str]],
                 draft: Draft, texts: dict[str, list[tuple[int, str, str]]],
                 section: Section) -> None:
    for line, key, value in pairs:
        if not key:
            continue
        field_name = meta_field(key)
        if field_name in ("summary", "impact", "detection", "recovery"):
            if field_name == "impact" and len(value.split()) <= 2:
                raw.setdefault("impact_level", (line, value))  # "Impact: High" is a rank
            texts.setdefault(field_name, []).append((line, "", value))
            draft.note(line, f"'{key}' was put in the {field_name.replace('_', ' ')} section")
        elif field_name == "factors":
            draft.factors.append(Factor(line, value, None))
            draft.note(line, f"'{key}' became a contributing factor")
        elif field_name is None and not value:
            continue
        elif field_name in TIME_SECTIONS and (len(value.split()) > 6
                                              or not re.search(r"\d", value)):
            # "Detection: Borgmon paged on-call" is the story, not a time.
            texts.setdefault(TIME_SECTIONS[field_name], []).append((line, "", value))
            draft.note(line, f"'{key}' was put in the "
                             f"{TIME_SECTIONS[field_name].replace('_', ' ')} section")
        elif field_name is not None and field_name not in raw:
            raw[field_name] = (line, value)
            raw.setdefault(f"label:{field_name}", (line, key))
        else:
            name = key if key.lower() not in ("title", "severity", "status", "template",
                                              "services", "tags", "commander", "key",
                                              "deployments") else f"{key} (as written)"
            draft.metadata.setdefault(name, value)
            draft.note(line, f"'{key}' has no field here; kept as metadata")


def _resolve_meta(raw: dict[str, tuple[int, str]], draft: Draft,
                  find_person: Callable[[str], str | None],
                  texts: dict[str, list[tuple[int, str, str]]]) -> tzinfo | None:
    """Fields from the metadata names we know; the zone the metadata names, if any."""
    zone = None
    if "timezone" in raw:
        line, value = raw["timezone"]
        zone = zone_of(value) or zone_hint(value)
        draft.metadata["Time zone"] = value
        if zone is None:
            draft.note(line, f"the time zone '{value}' is not one we know; times are read as UTC")
    if "title" in raw and not draft.title:
        draft.title = raw["title"][1]
    if "severity" in raw:
        line, value = raw["severity"]
        found = severity_of(value)
        if found:
            draft.severity = found[0]
            draft.lines["severity"] = line
            draft.note(line, f"severity '{value}' was read as {found[0]}")
        else:
            draft.metadata["Severity (as written)"] = value
            draft.note(line, f"severity '{value}' is not on a scale we know; kept as metadata")
    if "services" in raw:
        line, value = raw["services"]
        draft.services = _slugs(value, 63)
        draft.lines["services"] = line
        written = [p.strip() for p in re.split(r"[,;/&]|\band\b", value) if p.strip()]
        if written != draft.services:
            draft.note(line, f"services '{value}' were read as {', '.join(draft.services)}")
    if "tags" in raw:
        line, value = raw["tags"]
        draft.tags = _slugs(value, 50)
    if "commander" in raw:
        line, value = raw["commander"]
        email = find_person(value)
        if email:
            draft.commander = email
            if email.lower() != value.strip().lower():
                draft.note(line, f"the incident commander '{value}' was read as {email}")
        else:
            draft.metadata[raw["label:commander"][1]] = value
            draft.note(line, f"the incident commander '{value}' is not someone we know by name "
                             "or email; kept as metadata")
    if "owner" in raw:
        line, value = raw["owner"]
        draft.metadata[raw["label:owner"][1]] = value
    if "status" in raw:
        line, value = raw["status"]
        draft.status = next((ours for ours, pattern in STATUS_WORDS.items()
                             if re.search(pattern, value, re.IGNORECASE)), None)
        draft.metadata[raw["label:status"][1]] = value
    for name in ("duration", "time_to_detect", "time_to_mitigate", "time_to_resolve"):
        if name in raw:
            draft.metadata[raw[f"label:{name}"][1]] = raw[name][1]
    return zone


def _slugs(value: str, limit: int) -> list[str]:
    names = []
    for part in re.split(r"[,;/&\n]|\band\b", value):
        slug = re.sub(r"[^a-z0-9._-]+", "-", part.strip().lower()).strip("-._")[:limit]
        if slug and slug not in names:
            names.append(slug)
    return names


def _base_day(draft: Draft, raw: dict[str, tuple[int, str]],
              pending: list[tuple[Section, list[Block]]]) -> date | None:
    """The incident's day: the metadata's date or start, else the first date the timeline
    names, else the first date in the title or text."""
    for name in ("date", "started_at", "detected_at", "mitigated_at", "resolved_at"):
        if name in raw:
            day = parse_date(raw[name][1]) or _day_of_moment(raw[name][1])
            if day is not None:
                return day
    ordered = sorted(pending, key=lambda p: p[0].target != "timeline")
    written = [value for key, (_, value) in raw.items() if not key.startswith("label:")]
    for texts in ([draft.title], written, *[[b.text for b in kept] for _, kept in ordered]):
        for text in texts:
            for phrase in find_dates(text):
                day = parse_date(phrase)
                if day is not None and re.search(r"\d{4}", phrase):
                    draft.note(0, f"the incident's day was taken from '{phrase}'")
                    return day
    return None


def _day_of_moment(text: str) -> date | None:
    moment = parse_moment(text, None, None)
    return moment.date() if moment and re.search(r"\d{4}", text) else None


# ---- sections ----------------------------------------------------------------------------

def _map_section(section: Section, kept: list[Block], draft: Draft,
                 texts: dict[str, list[tuple[int, str, str]]], reader: TimelineReader,
                 base: datetime, has_timeline: bool, titles: dict[str, str]) -> None:
    target = section.target
    heading = section.heading
    leftovers: list[Leftover] = []
    if target not in ("timeline", "factors", "actions", "preamble") and _looks_like_actions(kept):
        draft.note(section.line, f"'{heading}' holds tasks with owners or checkboxes; they "
                                 "became action items")
        target = "actions"
    if target == "timeline":
        before = len(reader.reading.leftovers)
        reader.read(kept, heading)
        leftovers = reader.reading.leftovers[before:]
        for leftover in leftovers:
            if leftover.why != "heading":
                draft.note(leftover.line, f"{leftover.why}; the line is kept in the section "
                                          f"'{heading} (notes)'")
        _extra(draft, texts, section, leftovers, f"{heading} (notes)")
        return
    if target == "factors":
        factors, leftovers = read_factors(kept)
        draft.factors.extend(factors)
        if factors and heading and words(heading) not in ("contributing factors",):
            draft.note(section.line, f"'{heading}' became {len(factors)} contributing "
                                     f"factor{'s' if len(factors) != 1 else ''}")
        _extra(draft, texts, section, leftovers, heading)
        return
    if target == "actions":
        items, leftovers = read_items(kept, base)
        draft.items.extend(items)
        _extra(draft, texts, section, leftovers, heading)
        return
    if not has_timeline and target not in ("metadata", "value"):
        kept = _timed_lines(kept, reader, draft)
    if target in titles:
        markdown = _markdown(kept)
        if markdown:
            texts.setdefault(target, []).append((section.line, heading, markdown))
            if words(heading) != words(titles[target]):
                draft.note(section.line, f"the section '{heading}' was mapped to "
                                         f"'{titles[target]}'")
        return
    title = heading or ("Introduction" if target == "preamble" else "Details")
    _extra(draft, texts, section, [Leftover(b.line, b.markdown, "") for b in kept], title)


def _looks_like_actions(blocks: list[Block]) -> bool:
    """Checkboxes, or a table with an owner or due-date column: a to-do list by any name."""
    items = [b for b in blocks if b.kind == "item" and not b.level]
    if items and sum(1 for b in items if b.checked is not None) * 2 > len(items):
        return True
    return any(b.kind == "table" and b.header and sum(
        1 for c in b.rows[0] if re.search(r"\b(owner|assignee|due|deadline|eta|ticket|jira)\b",
                                          c.text, re.IGNORECASE)) >= 1
        and not any(re.search(r"\b(time|when|timestamp)\b", c.text, re.IGNORECASE)
                    for c in b.rows[0]) for b in blocks)


def _timed_lines(blocks: list[Block], reader: TimelineReader, draft: Draft) -> list[Block]:
    """In a document without a timeline section, lines that start with a time are the
    timeline (day markers such as `Day 2` before them too)."""
    kept: list[Block] = []
    for block in blocks:
        if block.kind == "table" and block.header and any(
                re.search(r"\b(time|when|timestamp)\b", c.text, re.IGNORECASE)
                for c in block.rows[0]):
            before = len(reader.reading.events)
            reader.table(block)
            if len(reader.reading.events) > before:
                draft.note(block.line, "the table with a time column was read as the timeline")
                continue
        if block.kind not in ("paragraph", "item", "code"):
            kept.append(block)
            continue
        lines = block.lines if block.kind != "code" else [
            Line(t, t) for t in block.lines[0].text.split("\n")]
        rest: list[Line] = []
        took = False
        for offset, line in enumerate(lines):
            match = STAMP_RE.match(line.text)
            following = lines[offset + 1].text if offset + 1 < len(lines) else ""
            is_marker = (DAY_MARK_RE.match(line.text) is not None and len(line.text) < 40
                         and STAMP_RE.match(following) is not None)
            if match and line.text[match.end():].strip() and re.search(r":|[ap]\.?m", match.group(
                    "time"), re.IGNORECASE):
                took = reader.unit(block.line + offset, line.text, line.markdown, 0) or took
                if took:
                    continue
            elif is_marker and reader.marker(line.text, block.line + offset):
                continue
            rest.append(line)
        if took:
            draft.note(block.line, "lines starting with a time were read as the timeline")
        if rest:
            kept.append(Block(block.kind if block.kind != "code" else "paragraph", block.line,
                              rest, level=block.level, checked=block.checked,
                              ordered=block.ordered))
    return kept


def _markdown(blocks: list[Block]) -> str:
    parts: list[str] = []
    previous: Block | None = None
    for block in blocks:
        text = block.markdown
        if not text.strip():
            continue
        if previous is not None and not (block.kind == "item" and previous.kind == "item"):
            parts.append("")
        # A line starting with '## ' would end the section in the interchange format.
        parts.append(re.sub(r"(?m)^#{1,2} ", "### ", text))
        previous = block
    return "\n".join(parts).strip()


def _extra(draft: Draft, texts: dict[str, list[tuple[int, str, str]]], section: Section,
           leftovers: list[Leftover], title: str) -> None:
    blocks = [Block("other", left.line, raw=left.markdown) for left in leftovers
              if left.markdown.strip()]
    markdown = "\n\n".join(re.sub(r"(?m)^#{1,2} ", "### ", b.raw) for b in blocks).strip()
    if markdown:
        title = re.sub(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+", "", title or "") or "Section"
        if title.lower() in SPECIAL_SECTIONS:
            title = f"{title} (notes)"
        draft.sections.append((section.line, title, markdown, None))
        draft.note(section.line, f"kept as the section '{title}'")


def _assemble_sections(draft: Draft, texts: dict[str, list[tuple[int, str, str]]],
                       titles: dict[str, str]) -> None:
    for key, parts in texts.items():
        if key not in titles:
            continue
        if len(parts) == 1:
            markdown = parts[0][2]
        else:
            markdown = "\n\n".join(
                (f"**{heading}**\n\n{text}" if heading and words(heading) != words(titles[key])
                 else text) for _, heading, text in parts)
        draft.sections.append((parts[0][0], titles[key], markdown, key))
    draft.sections.sort(key=lambda s: s[0])


# ---- times and severity ------------------------------------------------------------------

def _times(draft: Draft, raw: dict[str, tuple[int, str]], base_day: date,
           zone: tzinfo | None) -> None:
    base = datetime(base_day.year, base_day.month, base_day.day)
    times: dict[str, datetime] = {}
    for name in TIMES:
        if name in raw:
            line, value = raw[name]
            moment = parse_moment(value, base, zone) if re.search(r"\d", value) else None
            if moment is not None and re.search(r"\d{1,2}:\d{2}|[ap]\.?m\b", value,
                                                re.IGNORECASE) is None:
                moment = None if name != "started_at" else moment
            if moment is None:
                draft.metadata[raw[f"label:{name}"][1]] = value
                draft.note(line, f"'{value}' could not be read as a time; kept as metadata")
            else:
                times[name] = moment
                draft.lines[name] = line
    if "started_at" not in times and "date" in raw:
        line, value = raw["date"]
        moment = parse_moment(value, base, zone)
        if moment is not None and re.search(r"\d{1,2}:\d{2}", value):
            times["started_at"] = moment
            draft.lines["started_at"] = line
    events = draft.events
    if "started_at" not in times:
        begins = [e for e in events if START_RE.search(e.text)]
        if begins:
            times["started_at"] = begins[0].at
            draft.lines["started_at"] = begins[0].line
            draft.note(begins[0].line, "the start was taken from this timeline line")
    if "started_at" not in times:
        same_day = [e for e in events if (e.at.astimezone(zone or UTC)).date() >= base_day]
        first = (same_day or events)[0] if (same_day or events) else None
        if first is not None:
            times["started_at"] = first.at
            draft.lines["started_at"] = first.line
            draft.note(first.line, "the start was taken from the first timeline line")
        else:
            start = datetime(base_day.year, base_day.month, base_day.day, tzinfo=zone or UTC)
            times["started_at"] = start.astimezone(UTC)
            draft.note(raw.get("date", (draft.title_line, ""))[0],
                       "no start time is given; the start of the day was taken")
    start = times["started_at"]
    for name, after in (("time_to_detect", "detected_at"), ("time_to_mitigate", "mitigated_at"),
                        ("time_to_resolve", "resolved_at"), ("duration", "resolved_at")):
        if name in raw and after not in times:
            span = parse_duration(raw[name][1])
            if span is not None:
                times[after] = start + span
                draft.note(raw[name][0], f"{after.replace('_at', '')} was worked out from "
                                         f"'{raw[name][1]}' after the start")
    for name, kinds in (("detected_at", (TimelineKind.DETECTION.value,)),
                        ("mitigated_at", (TimelineKind.MITIGATION.value,
                                          TimelineKind.ROLLBACK.value)),
                        ("resolved_at", (TimelineKind.RESOLUTION.value,))):
        if name in times:
            continue
        floor = max([start, *[times[n] for n in TIMES[:TIMES.index(name)] if n in times]])
        found = [e for e in events if e.kind in kinds and e.at >= floor]
        if found:
            event = found[-1] if name == "resolved_at" else found[0]
            times[name] = event.at
            draft.note(event.line, f"{name.replace('_at', '')} was taken from this timeline line")
    previous = start
    for name in TIMES[1:]:
        if name in times:
            if times[name] < previous:
                draft.note(draft.lines.get(name, 0), f"{name.replace('_at', '')} "
                           f"({times[name].isoformat()}) is before an earlier step; left out")
                draft.metadata.setdefault(name.replace("_at", "").capitalize(),
                                          times[name].isoformat())
                del times[name]
            else:
                previous = times[name]
    draft.times = times


def _severity_from_text(draft: Draft, blocks: list[Block]) -> None:
    texts = [draft.title] + [b.text for b in blocks[:40]]
    for text in texts:
        match = re.search(r"\b(?:SEV|Sev|sev|Severity|severity|Priority|priority)[\s:_-]*"
                          r"([0-5]|critical|major|minor|high|medium|low)\b|\bP[0-4]\b", text)
        if match:
            found = severity_of(match.group(0))
            if found:
                draft.severity = found[0]
                draft.note(0, f"severity was read as {found[0]} from '{match.group(0)}'")
                return
    draft.severity = "SEV3"
    draft.note(0, "no severity is given; SEV3 was assumed")
