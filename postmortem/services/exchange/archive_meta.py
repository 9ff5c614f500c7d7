"""The metadata of a foreign post-mortem, however it is written near the top (a list, a
table, `Name: value` lines), read into our fields; and the incident's day, times and
severity worked out from it and from the timeline."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from ...models import TimelineKind
from .blocks import Block, Line
from .rows import Factor, Item
from .timeline import Event
from .wording import (
    STAMP_RE,
    find_dates,
    meta_field,
    parse_date,
    parse_duration,
    parse_moment,
    severity_of,
    zone_hint,
    zone_of,
)

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


def key_name(text: str) -> str:
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
            pairs.append((key_name(match.group(1) or match.group(3)), (match.group(2) or "").strip()))
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


def take_metadata(section: Section, raw: dict[str, tuple[int, str]], draft: Draft,
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


def resolve_metadata(raw: dict[str, tuple[int, str]], draft: Draft,
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


def base_day_of(draft: Draft, raw: dict[str, tuple[int, str]],
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


def settle_times(draft: Draft, raw: dict[str, tuple[int, str]], base_day: date,
           zone: tzinfo | None) -> None:
    base = datetime(base_day.year, base_day.month, base_day.day)
    times: dict[str, datetime] = {}
    for name in TIMES:
        if name in raw:
            line, value = raw[name]
            # "Incident start (PST)": the name may say the zone of its value.
            named_zone = zone_hint(raw.get(f"label:{name}", (0, ""))[1]) or zone
            moment = parse_moment(value, base, named_zone) if re.search(r"\d", value) else None
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


def severity_from_text(draft: Draft, blocks: list[Block]) -> None:
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
