"""A post-mortem as a team wrote it elsewhere (a wiki page, an HTML export, a .docx), read
into what an interchange document holds: the title, the metadata however it is written near
the top, each section mapped to the template's by meaning, the timeline, the contributing
factors and the action items — and notes saying what was guessed, mapped or kept as text.
Nothing the document says is dropped: what has no field stays in a section."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo

from .archive_meta import (
    Draft,
    Section,
    base_day_of,
    key_name,
    resolve_metadata,
    settle_times,
    severity_from_text,
    take_metadata,
)
from .blocks import Block, Line, Source
from .markdown import SPECIAL_SECTIONS, DocumentError
from .rows import read_factors, read_items
from .timeline import Leftover, TimelineReader
from .wording import (
    DAY_MARK_RE,
    STAMP_RE,
    heading_target,
    is_section_name,
    parse_date,
    severity_of,
    words,
    zone_hint,
)

TITLE_MAX = 200


def read_archive(source: Source, section_titles: dict[str, str],
                 find_person: Callable[[str], str | None]) -> Draft:
    """The draft of a post-mortem from a document's blocks. `section_titles` names the
    template's sections (key → title); `find_person` gives the email of a person named in
    the document, or None. DocumentError when there is no text, title or start day."""
    draft = Draft(unit=source.unit)
    blocks = _promote(source.blocks)
    if not any(b.text or b.rows for b in blocks):
        raise DocumentError(1, "the document has no text")
    blocks = _take_title(blocks, source.page_title, draft, source.name)
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
            kept = take_metadata(section, raw, draft, texts, everything=section.target != "summary")
        elif section.target == "value":
            raw.setdefault(key_name(section.heading), (section.line, " ".join(
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
    zone = resolve_metadata(raw, draft, find_person, texts) or zone
    base_day = base_day_of(draft, raw, pending)
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
    settle_times(draft, raw, base_day, zone)
    if draft.severity is None and "impact_level" in raw:
        found = severity_of(raw["impact_level"][1])
        if found:
            draft.severity = found[0]
            draft.note(raw["impact_level"][0], f"severity was read as {found[0]} from the "
                                               f"impact '{raw['impact_level'][1]}'")
    if draft.severity is None:
        severity_from_text(draft, blocks)
    return draft


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
    if is_section_name(bare) and heading_target(bare) != "value" and bare[0].isupper() \
            and not bare.endswith((".", "!", "?", ",", ";")):
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


def _take_title(blocks: list[Block], page_title: str, draft: Draft, name: str) -> list[Block]:
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
    if name:
        stem = re.sub(r"\.[A-Za-z0-9]+$", "", name.replace("\\", "/").rsplit("/", 1)[-1])
        title = re.sub(r"[_\s]+|(?<=[A-Za-z])-(?=[A-Za-z])", " ", stem).strip()
        if title:
            draft.title = title[0].upper() + title[1:]
            draft.note(0, f"the document has no title; it was named after its file, '{name}'")
            return blocks
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
        title = re.sub(r"^\s*(?:\d+(?:\.\d+)*[.)]|\d+\.\d+(?:\.\d+)*|[IVX]+\.)\s+", "",
                       title or "") or "Section"
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
