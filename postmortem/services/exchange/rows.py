"""Rows out of a foreign post-mortem's sections: timeline events (any common way of writing
the time, day and zone), contributing factors (one per bullet) and action items (owner, due
date, ticket link and status taken out of the line)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from ...models import TimelineKind
from .blocks import Block, Line
from .wording import (
    DATE_ONLY_RE,
    DAY_MARK_RE,
    OFFSET_RE,
    STAMP_RE,
    parse_date,
    parse_moment,
    words,
    zone_hint,
    zone_of,
)

ITEM_TITLE_MAX = 300
KIND_WORDS: list[tuple[str, str]] = [
    (TimelineKind.ROLLBACK.value, r"roll(?:ed|ing|s)?[ -]?back|revert(?:ed|ing|s)?"),
    (TimelineKind.RESOLUTION.value, r"resolved|fully recovered|all[ -]clear|(?:incident|outage) "
                                    r"(?:closed|over|ended|ends)|back to normal|recovered fully|closed the "
                                    r"incident|fully restored|recovery complete"),
    (TimelineKind.DETECTION.value, r"alert(?:s|ed)? (?:fired|triggered)|alert(?:ed|s)?\b|"
                                   r"detected|noticed|first report|customers? report|"
                                   r"reported by|monitoring (?:showed|flagged)|paged\b|pager|pages? "
                                   r"(?:fired|went)|on-?call (?:was )?paged"),
    (TimelineKind.ESCALATION.value, r"escalat|incident (?:was )?declared|declares? (?:an? )?"
                                    r"(?:incident|sev)|sev-?\s?\d (?:was )?declared|war ?room|"
                                    r"bridge (?:opened|started)|incident commander"),
    (TimelineKind.COMMUNICATION.value, r"status ?page|posted|tweet|announce|communicat|"
                                       r"customers? (?:were )?notified|email(?:ed)? customers|"
                                       r"update (?:sent|published)"),
    (TimelineKind.DEPLOY.value, r"deploy|rolled out|roll-?out|released|release of|pushed|"
                                r"config(?:uration)? change|change (?:was )?applied|shipped|"
                                r"migration (?:started|ran)"),
    (TimelineKind.MITIGATION.value, r"mitigat|workaround|fail(?:ed)?[ -]?over|traffic "
                                    r"(?:was )?(?:shifted|drained|moved)|restart|scaled|"
                                    r"throttl|disabled|blocked|rate[ -]limit|recover|restor|"
                                    r"fix (?:was )?(?:applied|deployed)|patched"),
]
FACTOR_WORDS: list[tuple[str, str]] = [
    ("certificate-time", r"certificat|\btls\b|\bssl\b|expir|clock|leap second|time ?zone|\bttl"),
    ("network", r"\bdns\b|\bbgp\b|network|routing|load balancer|firewall|packet|latency"),
    ("config-change", r"config|feature flag|setting|parameter|\bflag\b"),
    ("deploy-release", r"deploy|release|rollout|roll-out|canary|migration|build"),
    ("capacity", r"capacity|quota|limit|overload|load\b|memory|\bcpu\b|disk (?:full|space)|"
                 r"exhaust|autoscal|traffic spike|saturat"),
    ("data-store", r"database|\bdb\b|replica|replication|cache|redis|postgres|mysql|queue|"
                   r"kafka|storage|index|schema|failover"),
    ("cascading-failure", r"retr(?:y|ies)|timeout|cascad|thundering herd|backoff"),
    ("monitoring-gap", r"alert|monitor|dashboard|observab|metric|paging|detect"),
    ("dependency", r"upstream|vendor|third[- ]party|provider|dependency|library|\bsdk\b"),
    ("security", r"secur|attack|ddos|vulnerab|credential|secret|permission|access control"),
    ("tooling-command", r"command|script|tool|playbook|automation|cli\b"),
    ("process-communication", r"process|runbook|hand-?off|on-?call|communicat|review|"
                              r"documentation|training"),
]
ACTION_KIND_WORDS: list[tuple[str, str]] = [
    ("detect", r"alert|monitor|dashboard|detect|page\b|paging|observab|metric|probe"),
    ("mitigate", r"runbook|playbook|rollback|roll back|failover|mitigat|kill switch|"
                 r"circuit breaker|rate limit|recover"),
    ("process", r"process|review|training|document|communicat|post-?mortem|checklist|policy|"
                r"on-?call|game ?day|drill"),
]
OWNER_RE = re.compile(
    r"(?:(?:\b(?:owners?|assignee|responsible|dri)\s*[:=]\s*|\bassigned to\s+|\bowner\s+)"
    r"(?P<name>@?[\w.+-]+@[\w.-]+\.\w+|@[\w.-]+|[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*)?|[\w.-]+))"
    r"|(?<![\w/])(?P<handle>@[\w][\w.-]*\w)|(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)",
    re.IGNORECASE)
DUE_RE = re.compile(
    r"\b(?:due(?:\s+(?:date|by|on))?|by|before|deadline|eta|target(?:\s+date)?|until|"
    r"no later than)\s*[:=-]?\s*(?P<when>(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+\d{4})?|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
    r"nov|dec)[a-z]*\.?(?:,?\s+\d{4})?|end of (?:the )?(?:week|month|quarter|year)|"
    r"next (?:week|month|quarter)))", re.IGNORECASE)
PRIORITY_RE = re.compile(r"(?:\bpriority\s*[:=-]?\s*|(?<![\w-]))(?P<p>P[0-5]|high|medium|low)"
                         r"(?![\w-])", re.IGNORECASE)
STATUS_WORDS = [("done", r"\b(?:done|completed?|finished|fixed|closed|resolved|shipped)\b|✅"),
                ("wont_do", r"\bwon'?t (?:do|fix)\b|\bwontfix\b|\bdropped\b|\bcancell?ed\b"),
                ("in_progress", r"\bin[ -]progress\b|\bongoing\b|\bstarted\b|\bwip\b")]
TICKET_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b|\b(?:bug|issue|ticket)\s*#?\d{2,}\b|#\d{2,}\b",
                       re.IGNORECASE)
URL_RE = re.compile(r"https?://[^\s)>\]]+", re.IGNORECASE)
MD_LINK_RE = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")


def kind_of(text: str) -> str:
    """The timeline kind a line's words suggest; `note` when none does."""
    lowered = text.lower()
    for kind, pattern in KIND_WORDS:
        if re.search(pattern, lowered):
            return kind
    return TimelineKind.NOTE.value


def category_of(text: str) -> str | None:
    lowered = text.lower()
    return next((key for key, pattern in FACTOR_WORDS if re.search(pattern, lowered)), None)


@dataclass
class Event:
    line: int
    at: datetime  # UTC
    text: str
    kind: str
    dated: bool  # the line itself said which day


@dataclass
class Leftover:
    """A line of a section that became no row: it stays as text, with the reason."""

    line: int
    markdown: str
    why: str


@dataclass
class TimelineReading:
    events: list[Event] = field(default_factory=list)
    leftovers: list[Leftover] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    days: list[date] = field(default_factory=list)  # days named by the lines, in order
    utc_assumed: int | None = None  # the first line read as UTC for want of a zone


def _normal_time(text: str) -> str:
    text = text.strip()
    compact = re.fullmatch(r"(\d{2})(\d{2})\s*(?:Z|UTC|hrs|h)?", text, re.IGNORECASE)
    if compact:
        return f"{compact.group(1)}:{compact.group(2)}"
    return re.sub(r"^(\d{1,2})h(\d{2})$", r"\1:\2", text)


def _units(blocks: list[Block]) -> list[tuple[int, str, str, int, Block]]:
    """(line, text, markdown, depth, block) for every line of the section, tables row by row
    (cells joined), code blocks line by line."""
    out: list[tuple[int, str, str, int, Block]] = []
    for block in blocks:
        if block.kind == "table":
            continue
        if block.kind == "code":
            for offset, text in enumerate(block.lines[0].text.split("\n")):
                if text.strip():
                    out.append((block.line + 1 + offset, text.strip(), text.strip(), 0, block))
            continue
        for offset, line in enumerate(block.lines):
            if block.kind == "item" and offset:
                continue
            text = line.text
            markdown = line.markdown
            if block.kind == "item" and len(block.lines) > 1:
                text = " ".join(x.text for x in block.lines)
                markdown = " ".join(x.markdown for x in block.lines)
            out.append((block.line + offset, text, markdown,
                        block.level + 1 if block.kind == "item" and block.level else 0, block))
    return out


class TimelineReader:
    """Reads timeline lines in order, keeping the current day and zone."""

    def __init__(self, base: date | None, zone: tzinfo | None) -> None:
        self.base = base
        self.day = base
        self.zone = zone
        self.reading = TimelineReading()
        self.last: datetime | None = None
        self.day_from_marker = False

    def read(self, blocks: list[Block], heading: str = "") -> TimelineReading:
        self.zone = zone_hint(heading) or self.zone
        for block in blocks:
            if block.kind == "table":
                self.table(block)
                continue
            if block.kind == "heading":
                if not self.marker(block.text, block.line):
                    self.reading.leftovers.append(Leftover(block.line, block.markdown, "heading"))
                continue
            if block.kind == "paragraph":
                hint = zone_hint(block.text) if not STAMP_RE.match(block.text) else None
                if hint is not None:
                    self.zone = hint
            for line, text, markdown, depth, _ in _units([block]):
                self.unit(line, text, markdown, depth)
        return self.reading

    def marker(self, text: str, line: int) -> bool:
        """A day heading: `Day 2`, `2024-03-01`, `Tuesday, March 1`."""
        hint = zone_hint(text)
        stripped = re.sub(r"\([^)]*\)", " ", text).strip().rstrip(":").strip("*_ ")
        day_mark = DAY_MARK_RE.match(stripped)
        if day_mark and not STAMP_RE.match(stripped):
            rest = day_mark.group(2)
            named = parse_date(rest, self._base_dt()) if rest and DATE_ONLY_RE.match(rest) else None
            if named is None and self.base is not None:
                named = self.base + timedelta(days=int(day_mark.group(1)) - 1)
            if named is not None:
                self._set_day(named)
                return True
            return False
        if DATE_ONLY_RE.match(stripped) and len(stripped) <= 40:
            named = parse_date(stripped, self._base_dt())
            if named is not None:
                self._set_day(named)
                self.zone = hint or self.zone
                return True
        return False

    def _set_day(self, day: date) -> None:
        self.day = day
        self.day_from_marker = True
        self.last = None
        self.reading.days.append(day)

    def _base_dt(self) -> datetime | None:
        start = self.day or self.base
        return datetime(start.year, start.month, start.day) if start else None

    def unit(self, line: int, text: str, markdown: str, depth: int,
             extra: str = "", zone_text: str = "") -> bool:
        match = STAMP_RE.match(text)
        rest = text[match.end():].strip() if match else ""
        if match and match.group("zone") and zone_of(match.group("zone")) is None:
            # "14:01 DST Root CA expires": a word in capitals, not a zone.
            rest = text[match.start("zone"):].strip(" -–—:|")
        if extra:
            rest = f"{rest} — {extra}".strip(" —") if rest else extra
        if match is None or not rest:
            if match is None and self.marker(text, line):
                return True
            if depth and self.reading.events and match is None:
                last = self.reading.events[-1]
                last.text = f"{last.text}; {text.strip()}"
                return True
            self.reading.leftovers.append(Leftover(line, markdown, "no time could be read"))
            return False
        day = self.day
        dated = False
        if match.group("date"):
            named = parse_date(match.group("date"), self._base_dt())
            if named is None:
                self.reading.leftovers.append(Leftover(line, markdown, "the date could not be read"))
                return False
            day, dated = named, True
            if self.base is None:
                self.base = named
            if named != self.day:
                self.day, self.last = named, None
            self.reading.days.append(named)
        offset_text = (match.group("pre") or "") + (match.group("offset") or "")
        offset = OFFSET_RE.search(offset_text) or (
            re.search(r"(\d+)", offset_text) if offset_text.strip() else None)
        if day is None:
            self.reading.leftovers.append(Leftover(line, markdown, "no day is known for this time"))
            return False
        if offset:
            day = (self.base or day) + timedelta(days=int(offset.group(1)))
            dated = True
        zone = zone_of(match.group("zone") or "") or zone_of(zone_text) or self.zone
        if zone is None and self.reading.utc_assumed is None:
            self.reading.utc_assumed = line
        moment = parse_moment(f"{day.isoformat()} {_normal_time(match.group('time'))}",
                              None, zone)
        if moment is None:
            self.reading.leftovers.append(Leftover(line, markdown, "the time could not be read"))
            return False
        if not dated and self.last is not None and moment < self.last - timedelta(minutes=1):
            moment += timedelta(days=1)
            self.day = day + timedelta(days=1)
            self.reading.notes.append((line, "the time is earlier than the line before, so it "
                                             "was read as the next day"))
        self.last = moment
        self.reading.events.append(Event(line, moment, _tidy(rest), kind_of(rest), dated))
        return True

    def table(self, block: Block) -> None:
        rows = block.rows
        header = [words(c.text) for c in rows[0]] if block.header else []
        time_col = next((i for i, name in enumerate(header)
                         if re.search(r"\b(time|when|timestamp|hour|utc|clock)\b", name)), None)
        date_col = next((i for i, name in enumerate(header)
                         if re.search(r"\b(date|day)\b", name) and i != time_col), None)
        body = rows[1:] if block.header else rows
        if time_col is None:
            time_col = next((i for i in range(max(len(r) for r in rows))
                             if sum(1 for r in body if i < len(r) and _only_time(r[i].text))
                             >= max(1, len(body) // 2)), None)
        if time_col is not None and header:
            hinted = zone_hint(rows[0][time_col].text) or zone_hint(
                rows[0][time_col].text.replace("(", "( ").replace(")", " )"))
            if hinted is not None:
                self.zone = hinted
        for offset, row in enumerate(body, start=1 if block.header else 0):
            line = block.line + offset + (1 if block.header else 0)
            cells = [c.text for c in row]
            if time_col is None or time_col >= len(cells):
                self.reading.leftovers.append(Leftover(line, " | ".join(cells),
                                                       "no time column"))
                continue
            stamp = cells[time_col]
            if date_col is not None and date_col < len(cells) and cells[date_col]:
                stamp = f"{cells[date_col]} {stamp}"
            others = [c for i, c in enumerate(cells) if i not in (time_col, date_col) and c]
            if not stamp.strip() and others and self.reading.events:
                self.reading.events[-1].text += "; " + " — ".join(others)
                continue
            if not self.unit(line, stamp, " | ".join(cells), 0, extra=" — ".join(others)):
                continue


def _only_time(text: str) -> bool:
    match = STAMP_RE.match(text)
    return match is not None and not text[match.end():].strip()


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(" -–—:|*_")).strip() or text.strip()


# ---- factors -----------------------------------------------------------------------------

@dataclass
class Factor:
    line: int
    text: str
    category: str | None


def read_factors(blocks: list[Block]) -> tuple[list[Factor], list[Leftover]]:
    """One factor per top-level bullet or table row (sub-bullets join it); one per paragraph
    when the section has no list. An introduction ending in ':' stays as text."""
    factors: list[Factor] = []
    leftovers: list[Leftover] = []
    has_rows = any(b.kind in ("item", "table") for b in blocks)
    titled = any(b.kind == "heading" for b in blocks) and not has_rows
    heading: Block | None = None
    for block in blocks:
        if titled and block.kind == "heading":
            # "### Factor 1: stale connections" then its paragraph: one factor, both parts.
            heading = block
            factors.append(Factor(block.line, block.text, category_of(block.text)))
        elif titled and heading is not None and block.kind == "paragraph":
            factors[-1].text += f" — {block.text.replace(chr(10), ' ')}"
            factors[-1].category = category_of(factors[-1].text)
        elif block.kind == "item":
            text = " ".join(line.text for line in block.lines).strip()
            if block.level and factors:
                factors[-1].text += f"; {text}"
            elif text:
                factors.append(Factor(block.line, text, category_of(text)))
        elif block.kind == "table":
            body = block.rows[1:] if block.header else block.rows
            for offset, row in enumerate(body, start=1):
                text = " — ".join(c.text for c in row if c.text)
                if text:
                    factors.append(Factor(block.line + offset, text, category_of(text)))
        elif block.kind == "paragraph" and not has_rows and not block.text.endswith(":"):
            factors.append(Factor(block.line, block.text.replace("\n", " "),
                                  category_of(block.text)))
        else:
            leftovers.append(Leftover(block.line, block.markdown, "kept as text"))
    return factors, leftovers


# ---- action items ------------------------------------------------------------------------

@dataclass
class Item:
    line: int
    title: str
    done: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    owner_name: str | None = None
    notes: list[str] = field(default_factory=list)


COLUMN_WORDS = {
    "title": r"\b(action|item|task|description|title|what|summary|remediation|follow|todo|step)",
    "owner": r"\b(owner|assignee|assigned|who|responsible|dri|lead|person)\b",
    "team": r"\b(team|group|squad)\b",
    "due": r"\b(due|deadline|eta|target|by when|date)\b",
    "url": r"\b(ticket|issue|jira|link|bug|tracking|url|reference|ref|pr)\b",
    "status": r"\b(status|state|done|complete|progress)\b",
    "priority": r"\b(priority|pri|prio|importance)\b",
    "kind": r"\b(type|kind|category)\b",
}


def read_items(blocks: list[Block], base: datetime | None) -> tuple[list[Item], list[Leftover]]:
    """One item per top-level bullet, checkbox or table row; a section without a list gives
    one per paragraph. Sub-bullets become the item's description."""
    items: list[Item] = []
    leftovers: list[Leftover] = []
    has_rows = any(b.kind in ("item", "table") for b in blocks)
    for block in blocks:
        if block.kind == "item":
            if block.level and items:
                extra = " ".join(line.markdown for line in block.lines)
                previous = items[-1]
                previous.attrs["description"] = (previous.attrs.get("description", "") + "\n- "
                                                 + extra).strip()
                continue
            markdown = " ".join(line.markdown for line in block.lines)
            items.append(item_from_text(block.line, markdown, block.checked, base))
        elif block.kind == "table":
            items.extend(_table_items(block, base))
        elif block.kind == "paragraph" and not has_rows and not block.text.endswith(":"):
            for offset, line in enumerate(block.lines):
                items.append(item_from_text(block.line + offset, line.markdown, None, base))
        else:
            leftovers.append(Leftover(block.line, block.markdown, "kept as text"))
    return items, leftovers


def item_from_text(line: int, markdown: str, checked: bool | None, base: datetime | None,
                   cells: dict[str, str] | None = None) -> Item:
    """An item from one line of Markdown: the ticket link, owner, due date, priority and status
    taken out of the title when the line names them."""
    item = Item(line, "")
    text = markdown.strip()
    attrs: dict[str, str] = {}
    link = MD_LINK_RE.search(text) or None
    if link:
        attrs["url"] = link.group(2)
        text = MD_LINK_RE.sub(lambda m: m.group(1) if m.group(1) else "", text)
    bare = URL_RE.search(text)
    if bare:
        attrs.setdefault("url", bare.group(0).rstrip(".,;"))
        text = URL_RE.sub("", text)
    text = re.sub(r"\*\*|__|`", "", text)
    text = re.sub(r"(?<!\w)[*_](\S[^*_]*)[*_](?!\w)", r"\1", text)
    paren = re.search(r"\(([^()]*(?:owner|due|by|assignee|eta|@|priority|P[0-5])[^()]*)\)\s*$",
                      text, re.IGNORECASE)
    tail = paren.group(1) if paren else ""
    if paren:
        text = text[:paren.start()]
    scan = f"{text} ({tail})" if tail else text
    due = DUE_RE.search(scan)
    if due:
        when = parse_date(due.group("when"), base)
        if when is not None:
            attrs["due"] = when.isoformat()
            text = text.replace(due.group(0), " ")
            tail = tail.replace(due.group(0), " ")
    owner = OWNER_RE.search(tail) or OWNER_RE.search(text)
    if owner:
        name = owner.group("name") or owner.group("handle") or owner.group("email")
        item.owner_name = name.lstrip("@")
        text = text.replace(owner.group(0), " ")
    priority = PRIORITY_RE.search(tail) or re.search(r"(?:^|\(|\[)\s*(P[0-5])\s*(?:\)|\]|:|-)",
                                                     text)
    if priority:
        value = (priority.group(1) if priority.re is not PRIORITY_RE else priority.group("p"))
        attrs["priority"] = _priority(value)
        if priority.re is not PRIORITY_RE:
            text = text.replace(priority.group(0), " ")
    done = bool(checked)
    status_scan = f"{tail} {text[-30:]}" if checked is None else tail
    for status, pattern in STATUS_WORDS:
        if re.search(pattern, status_scan, re.IGNORECASE):
            if status == "done":
                done = True
            else:
                attrs["status"] = status
            break
    if cells:
        item.owner_name = cells.get("owner") or item.owner_name
        if cells.get("team"):
            attrs["team"] = cells["team"][:100]
        if cells.get("due"):
            when = parse_date(cells["due"], base)
            if when is not None:
                attrs["due"] = when.isoformat()
            else:
                item.notes.append(f"the due date '{cells['due']}' could not be read; it is kept "
                                  "in the description")
                attrs["description"] = f"Due: {cells['due']}"
        if cells.get("priority"):
            attrs["priority"] = _priority(cells["priority"])
        status_text = (cells.get("status") or "").lower()
        if status_text:
            for status, pattern in STATUS_WORDS:
                if re.search(pattern, status_text):
                    done = done or status == "done"
                    if status != "done":
                        attrs["status"] = status
                    break
        if cells.get("kind"):
            attrs["kind_hint"] = cells["kind"]
    marker = re.match(r"^\s*(?:\[?(TODO|DONE|WIP|FIXME)\]?\s*[:\-–—]\s*)", text)
    if marker:
        done = done or marker.group(1) == "DONE"
        text = text[marker.end():]
    closing = re.search(r"\s*[(\[]?\b(DONE|TODO|COMPLETED?|WIP)\b[)\]]?\s*$", text)
    if closing:
        done = done or closing.group(1) in ("DONE", "COMPLETE", "COMPLETED")
        text = text[:closing.start()]
    text = re.sub(r"~~([^~]+)~~", r"\1", text)
    title = re.sub(r"\s+", " ", text)
    title = re.sub(r"\s*[,;]\s*(?=[,;]|$)", "", title)
    title = re.sub(r"(?:\s*[—–-]\s*)+$|^\s*[—–:-]\s*|\(\s*[,;]?\s*\)", "", title).strip(" ,;:")
    if not title:
        title = re.sub(r"\s+", " ", markdown).strip() or "Action item"
    if len(title) > ITEM_TITLE_MAX:
        attrs["description"] = (title + "\n" + attrs.get("description", "")).strip()
        title = title[:ITEM_TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
    kind_hint = attrs.pop("kind_hint", "")
    named_kind = next((kind for kind, stem in (("prevent", "prevent"), ("mitigate", "mitigat"),
                                               ("detect", "detect"), ("process", "process"))
                       if stem in kind_hint.lower()), None)
    kind_hint += " " + title
    attrs["kind"] = named_kind or next((kind for kind, pattern in ACTION_KIND_WORDS
                          if re.search(pattern, kind_hint, re.IGNORECASE)), "prevent")
    if attrs.get("priority") is None:
        attrs.pop("priority", None)
    item.title, item.done, item.attrs = title, done, attrs
    return item


def _priority(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in ("high", "critical", "urgent", "p0", "p1"):
        return "P1"
    if lowered in ("medium", "normal", "p2"):
        return "P2"
    return "P3"


def _table_items(block: Block, base: datetime | None) -> list[Item]:
    rows = block.rows
    columns: dict[str, int] = {}
    if block.header:
        for index, cell in enumerate(rows[0]):
            name = words(cell.text)
            for role, pattern in COLUMN_WORDS.items():
                if role not in columns and re.search(pattern, name):
                    columns[role] = index
                    break
    body = rows[1:] if block.header else rows
    if "title" not in columns:
        widths = [sum(len(r[i].text) for r in body if i < len(r))
                  for i in range(max(len(r) for r in rows))]
        free = [i for i in range(len(widths)) if i not in columns.values()]
        columns["title"] = max(free, key=lambda i: widths[i]) if free else 0
    items: list[Item] = []
    names = [c.text for c in rows[0]] if block.header else []
    for offset, row in enumerate(body, start=1):
        cells = {role: row[i].text for role, i in columns.items() if i < len(row)}
        title_cell = row[columns["title"]] if columns["title"] < len(row) else Line("", "")
        markdown = title_cell.markdown
        if "url" in columns and columns["url"] < len(row):
            ticket = row[columns["url"]]
            url = next(iter(ticket.links), None) or (ticket.text if URL_RE.fullmatch(
                ticket.text.strip()) else None)
            ticket_id = TICKET_RE.search(ticket.text)
            if url:
                markdown = f"{markdown} [{ticket.text if ticket.text != url else ''}]({url})"
            elif ticket_id:
                markdown = f"{ticket_id.group(0)} {markdown}"
        if not (markdown.strip() or any(cells.values())):
            continue
        if "status" not in columns:
            row_text = " ".join(c.text for c in row)
            status_word = re.search(r"\b(DONE|TODO|COMPLETED?|OPEN|IN PROGRESS|WON'?T (?:DO|FIX))\b",
                                    row_text)
            if status_word:
                cells["status"] = status_word.group(1).lower().replace("todo", "open")
        checked = True if re.search(r"^\s*(?:\[x\]|☑|✅|✓|yes)\s*$", cells.get("status", ""),
                                    re.IGNORECASE) else None
        item = item_from_text(block.line + offset, markdown, checked, base, cells)
        used = set(columns.values())
        if "url" in columns and columns["url"] < len(row) and not row[columns["url"]].links \
                and not TICKET_RE.fullmatch(row[columns["url"]].text.strip()):
            used.discard(columns["url"])  # "n/a DONE" is no ticket: keep it as written
        leftover = [f"{names[i] if i < len(names) and names[i] else f'Column {i + 1}'}: "
                    f"{cell.text}" for i, cell in enumerate(row)
                    if i not in used and cell.text]
        if leftover:
            item.attrs["description"] = "\n".join(
                [item.attrs.get("description", ""), *leftover]).strip()
        items.append(item)
    return items
