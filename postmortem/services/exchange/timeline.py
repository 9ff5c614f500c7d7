"""Timeline lines as people write them (14:02, 14:02 UTC, 2:02 PM, 2024-03-01 14:02, (+1d),
Day 2, a date heading, a table with a time column), each read on the right day and zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from ...models import TimelineKind
from .blocks import Block
from .wording import (
    DATE_ONLY_RE,
    DAY_MARK_RE,
    INNER_TIME_RE,
    OFFSET_RE,
    STAMP_RE,
    parse_date,
    parse_moment,
    words,
    zone_hint,
    zone_of,
)

KIND_WORDS: list[tuple[str, str]] = [
    (TimelineKind.ROLLBACK.value, r"roll(?:ed|ing|s)?[ -]?back|revert(?:ed|ing|s)?"),
    (TimelineKind.RESOLUTION.value, r"resolved|fully recovered|all[ -]clear|(?:incident|outage) "
                                    r"(?:closed|over|ended|ends)|back to normal|recovered fully|closed the "
                                    r"incident|fully restored|recovery complete"),
    (TimelineKind.DETECTION.value, r"alert(?:s|ed)? (?:fired|triggered)|alert(?:ed|s)?\b|"
                                   r"detected|noticed|first report|customers? report|"
                                   r"support (?:sees|saw|notices|reports|flags|escalates)|"
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


def kind_of(text: str) -> str:
    """The timeline kind a line's words suggest; `note` when none does."""
    lowered = text.lower()
    for kind, pattern in KIND_WORDS:
        if re.search(pattern, lowered):
            return kind
    return TimelineKind.NOTE.value


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
                if self.marker(block.text, block.line):
                    continue
                stamp = STAMP_RE.match(block.text)
                if stamp and block.text[stamp.end():].strip():  # "### 14:02 — alert fires"
                    self.unit(block.line, block.text, block.markdown, 0)
                else:
                    self.reading.leftovers.append(Leftover(block.line, block.markdown, "heading"))
                continue
            if block.kind == "paragraph":
                hint = zone_hint(block.text) if not STAMP_RE.match(block.text) else None
                if hint is not None:
                    self.zone = hint
            for line, text, markdown, depth, _ in _units([block]):
                self.unit(line, text, markdown, depth, anywhere=True)
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
             extra: str = "", zone_text: str = "", anywhere: bool = False) -> bool:
        match = STAMP_RE.match(text)
        if match is None and anywhere and not DATE_ONLY_RE.match(text) \
                and not DAY_MARK_RE.match(text):
            inner = INNER_TIME_RE.search(text)
            if inner:
                # "Alert fired at 14:05 UTC": the time is inside the line; all of it is the text.
                text = f"{inner.group(1)} {inner.group(2) or ''} — {text.strip()}"
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
        written = zone_of(match.group("zone") or match.group("zone2") or "") or zone_of(zone_text)
        if written is not None and self.zone is None:
            self.zone = written  # "09:14 PDT" then "09:31": the next lines are PDT too
        zone = written or self.zone
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
