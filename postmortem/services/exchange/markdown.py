"""The Markdown interchange format (spec/markdown-format.md): export and lossless import.

Export → import → export gives the same document, apart from the incident key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from ...errors import ValidationError
from ...models import ActionItem, ActionStatus, Incident
from ...timeutil import isoformat

FRONT_MATTER_ORDER = ("key", "title", "severity", "status", "started_at", "detected_at",
                      "mitigated_at", "resolved_at", "services", "tags", "commander", "template")
# Written by export for readers, ignored by import (the importing system assigns its own).
EXPORT_ONLY_KEYS = {"key"}
KNOWN_KEYS = set(FRONT_MATTER_ORDER) | {"deployments", "restricted", "readers"}
SPECIAL_SECTIONS = {"timeline": "Timeline", "contributing factors": "Contributing factors",
                    "action items": "Action items"}
ITEM_KEYS = ("owner", "team", "due", "priority", "kind", "status", "completed", "url",
             "verification", "note")
PLAIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/@+-]*$")
YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
TIMELINE_RE = re.compile(r"^-\s+(\S+)\s+(?:\[([a-z_]+)\]\s+)?(.*)$")
FACTOR_RE = re.compile(r"^-\s+(?:\[([A-Za-z0-9_-]+)\]\s+)?(.+)$")
ITEM_RE = re.compile(r"^-\s+\[([ xX])\]\s+(.+)$")
PAIR_RE = re.compile(r'\s*([a-z_]+):\s*("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)')


class DocumentError(ValidationError):
    """A malformed document: `line` is the 1-based line at fault; `problems` lists every
    (line, field, reason) found, the first one first."""

    def __init__(self, line: int, reason: str, field_name: str = "document", *,
                 more: list[tuple[int, str, str]] | None = None) -> None:
        problems = [(line, field_name, reason), *(more or [])]
        fields: dict[str, list[str]] = {}
        for at, name, why in problems:
            fields.setdefault(name, []).append(f"line {at}: {why}")
        message = f"line {line}: {reason}"
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        super().__init__(message, fields=fields, extra={"line": line, "problems": [
            {"line": at, "field": name, "message": why} for at, name, why in problems]})
        self.line = line
        self.problems = problems

    @classmethod
    def collect(cls, problems: list[tuple[int, str, str]]) -> DocumentError:
        """One error holding every problem, sorted by line."""
        ordered = sorted(problems)
        first, rest = ordered[0], ordered[1:]
        return cls(first[0], first[2], first[1], more=rest)


# ---- export ------------------------------------------------------------------------------

def _scalar(value: Any) -> str:
    """A YAML scalar: plain when unambiguous, else a JSON (= YAML double-quoted) string."""
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return isoformat(value) or "null"
    text = str(value)
    if PLAIN_RE.match(text) and text.lower() not in YAML_WORDS and not _looks_numeric(text) \
            and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _flow_list(values: list[str]) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def _item_value(value: str) -> str:
    return json.dumps(value, ensure_ascii=False) if re.search(r'[,()"]|^\s|\s$', value) else value


def export_markdown(incident: Incident) -> str:
    """The post-mortem as one interchange document."""
    lines = ["---"]
    values: dict[str, Any] = {
        "key": incident.key, "title": incident.title, "severity": incident.severity,
        "status": incident.status, "started_at": incident.started_at,
        "detected_at": incident.detected_at, "mitigated_at": incident.mitigated_at,
        "resolved_at": incident.resolved_at,
    }
    for name, value in values.items():
        if value is not None:
            lines.append(f"{name}: {_scalar(value)}")
    lines.append(f"services: {_flow_list([s.name for s in incident.services])}")
    lines.append(f"tags: {_flow_list(incident.tags)}")
    if incident.commander:
        lines.append(f"commander: {_scalar(incident.commander.email)}")
    lines.append(f"template: {_scalar(incident.template_key)}")
    if incident.restricted:  # so that an import of the document is restricted too
        lines.append("restricted: true")
        lines.append(f"readers: {_flow_list([person.email for person in incident.readers])}")
    links = sorted(incident.deployment_links, key=lambda link: (link.deployment.deployed_at,
                                                                link.deployment.id))
    if links:
        lines.append("deployments:")
        for link in links:
            d = link.deployment
            entry = [("service", d.service.name), ("version", d.version),
                     ("environment", d.environment), ("artifact", d.artifact_ref),
                     ("deployed_at", d.deployed_at), ("kind", d.kind), ("role", link.role),
                     ("commit", d.commit), ("url", d.url), ("notes", d.notes)]
            first = True
            for name, value in entry:
                if value is None:
                    continue
                lines.append(f"  {'- ' if first else '  '}{name}: {_scalar(value)}")
                first = False
    for name, value in (incident.extra_metadata or {}).items():
        dumped = yaml.safe_dump({name: value}, default_flow_style=False, sort_keys=False,
                                allow_unicode=True, width=1000).rstrip("\n")
        lines.append(dumped)
    lines.append("---")
    body: list[str] = []
    sections = list(incident.sections)
    specials_written = False
    for index, section in enumerate(sections):
        body += [f"## {section.title}", *_paragraph(section.markdown)]
        if index == 0:
            body += _specials(incident)
            specials_written = True
    if not specials_written:
        body += _specials(incident)
    return "\n".join(lines) + "\n\n" + "\n".join(body).rstrip("\n") + "\n"


def _paragraph(markdown: str) -> list[str]:
    text = markdown.strip("\n")
    return [text, ""] if text else [""]


def _specials(incident: Incident) -> list[str]:
    out = ["## Timeline"]
    for event in incident.timeline:
        out.append(f"- {isoformat(event.at)} [{event.kind}] {_one_line(event.text)}")
    out += ["", "## Contributing factors"]
    for factor in incident.factors:
        prefix = f"[{factor.category}] " if factor.category else ""
        out.append(f"- {prefix}{_one_line(factor.text)}")
    out += ["", "## Action items"]
    for item in incident.action_items:
        out.append(_item_line(item))
    out.append("")
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _item_line(item: ActionItem) -> str:
    box = "[x]" if item.status == ActionStatus.DONE.value else "[ ]"
    pairs: list[tuple[str, str]] = []
    if item.owner:
        pairs.append(("owner", item.owner.email))
    if item.team:
        pairs.append(("team", item.team))
    if item.due_on:
        pairs.append(("due", item.due_on.isoformat()))
    if item.priority:
        pairs.append(("priority", item.priority))
    pairs.append(("kind", item.kind))
    if item.status in (ActionStatus.IN_PROGRESS.value, ActionStatus.WONT_DO.value):
        pairs.append(("status", item.status))
    if item.completed_at:
        pairs.append(("completed", item.completed_at.date().isoformat()))
    if item.external_url:
        pairs.append(("url", item.external_url))
    if item.verification:
        pairs.append(("verification", _one_line(item.verification)))
    if item.resolution_note:
        pairs.append(("note", _one_line(item.resolution_note)))
    suffix = ", ".join(f"{k}: {_item_value(v)}" for k, v in pairs)
    return f"- {box} {_one_line(item.title)} ({suffix})"


# ---- parse -------------------------------------------------------------------------------

@dataclass
class ParsedItem:
    line: int
    title: str
    done: bool
    attrs: dict[str, str]


@dataclass
class ParsedSection:
    line: int
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return "\n".join(self.lines).strip("\n")


@dataclass
class Document:
    front: dict[str, Any]
    front_lines: dict[str, int]
    sections: list[ParsedSection]
    timeline: list[tuple[int, str, str | None, str]]
    factors: list[tuple[int, str | None, str]]
    items: list[ParsedItem]


def parse_document(text: str) -> Document:
    """Split and check a document; DocumentError names the first line at fault."""
    if not isinstance(text, str) or not text.strip():
        raise DocumentError(1, "the document is empty")
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise DocumentError(line, "the document contains a NUL character")
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or lines[start].strip() != "---":
        raise DocumentError(start + 1, "a document starts with YAML front matter between '---' lines")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise DocumentError(start + 1, "the front matter is not closed with '---'")
    front, front_lines = _parse_front_matter("\n".join(lines[start + 1:end]), start + 2)
    if "title" not in front or front.get("title") in (None, ""):
        raise DocumentError(start + 1, "the front matter has no 'title'", "title")
    sections, timeline, factors, items = _parse_body(lines, end + 1)
    return Document(front, front_lines, sections, timeline, factors, items)


MAX_FRONT_MATTER_DEPTH = 10


class FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases and with a nesting limit: front matter is a flat
    record, and an alias bomb or a 20,000-deep list is an attack, not a post-mortem."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed", self.peek_event().start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_FRONT_MATTER_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"values nest deeper than {MAX_FRONT_MATTER_DEPTH} levels",
                    self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _checked_timestamp(loader: FrontMatterLoader, node: Any) -> Any:
    """YAML's date and timestamp, or a marked error for one that does not exist (2026-02-30,
    24:00): a line to point at, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as error:
        raise yaml.constructor.ConstructorError(
            None, None, f"'{node.value}' is not a real date or time ({error})",
            node.start_mark) from None


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)


def _load_front_matter(text: str) -> tuple[Any, Any]:
    """(root node, data) of one YAML document through FrontMatterLoader."""
    loader = FrontMatterLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _parse_front_matter(text: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        node, data = _load_front_matter(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark else 0)
        raise DocumentError(line, f"the front matter is not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise DocumentError(first_line, f"the front matter is not valid YAML: {error}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or node is None or not isinstance(node, yaml.MappingNode):
        raise DocumentError(first_line, "the front matter must be a mapping of keys to values")
    positions = {str(key.value): first_line + key.start_mark.line for key, _ in node.value}
    return {str(k): v for k, v in data.items()}, positions


def _parse_body(lines: list[str], offset: int) -> tuple[list, list, list, list]:
    sections: list[ParsedSection] = []
    timeline: list[tuple[int, str, str | None, str]] = []
    factors: list[tuple[int, str | None, str]] = []
    items: list[ParsedItem] = []
    current: ParsedSection | None = None
    preamble = ParsedSection(offset + 1, "")
    fence: str | None = None
    for index in range(offset, len(lines)):
        number, line = index + 1, lines[index]
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and line.startswith("## "):
            current = ParsedSection(number, line[3:].strip())
            sections.append(current)
            continue
        target = current or preamble
        target.lines.append(line)
        if current is None or fence is not None:
            continue
        special = current.title.lower()
        if special not in SPECIAL_SECTIONS or not stripped:
            continue
        if special == "timeline":
            timeline.append(_timeline_line(number, stripped))
        elif special == "contributing factors":
            factors.append(_factor_line(number, stripped))
        else:
            items.append(_item_line_parse(number, stripped))
    text = "\n".join(line for line in preamble.lines if not line.startswith("# ")).strip()
    if text:
        preamble.title = "Introduction"
        preamble.lines = [text]
        sections.insert(0, preamble)
    return sections, timeline, factors, items


def _timeline_line(number: int, line: str) -> tuple[int, str, str | None, str]:
    match = TIMELINE_RE.match(line)
    if not match or not match.group(3).strip():
        raise DocumentError(number, "a timeline line is '- <ISO timestamp> [<kind>] <text>'",
                            "timeline")
    return number, match.group(1), match.group(2), match.group(3).strip()


def _factor_line(number: int, line: str) -> tuple[int, str | None, str]:
    match = FACTOR_RE.match(line)
    if not match:
        raise DocumentError(number, "a factor line is '- [<category>] <text>' or '- <text>'",
                            "factors")
    return number, match.group(1), match.group(2).strip()


def _item_line_parse(number: int, line: str) -> ParsedItem:
    match = ITEM_RE.match(line)
    if not match:
        raise DocumentError(number, "an action item line is '- [ ] <title> (key: value, …)' "
                            "or '- [x] …'", "action_items")
    done, rest = match.group(1).lower() == "x", match.group(2).strip()
    attrs: dict[str, str] = {}
    if rest.endswith(")") and "(" in rest:
        start = _matching_paren(rest)
        if start is not None:
            parsed = _parse_pairs(rest[start + 1:-1])
            if parsed is not None:
                attrs, rest = parsed, rest[:start].rstrip()
    unknown = [k for k in attrs if k not in ITEM_KEYS]
    if unknown:
        raise DocumentError(number, f"unknown action item key '{unknown[0]}' (known: "
                            + ", ".join(ITEM_KEYS) + ")", "action_items")
    if not rest:
        raise DocumentError(number, "the action item has no title", "action_items")
    return ParsedItem(number, rest, done, attrs)


def _matching_paren(text: str) -> int | None:
    depth, in_quotes = 0, False
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            in_quotes = not in_quotes
        elif not in_quotes and char == ")":
            depth += 1
        elif not in_quotes and char == "(":
            depth -= 1
            if depth == 0:
                return index
    return None


def _parse_pairs(text: str) -> dict[str, str] | None:
    """'owner: a@b, due: 2026-04-01' → dict; None when the text is not such a list."""
    pairs: dict[str, str] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = PAIR_RE.match(text, position)
        if not match or match.end() == position:
            return None
        raw = match.group(2).strip()
        if raw.startswith('"'):
            try:
                raw = json.loads(raw)
            except ValueError:
                return None
        pairs[match.group(1)] = raw
        position = match.end()
    return pairs or None


def date_value(value: Any) -> str | None:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)
