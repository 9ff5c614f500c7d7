"""Proposing timeline events from a pasted chat transcript: a Slack or Teams copy, or a Slack
export's JSON. Nothing is written; the author accepts, edits or drops each proposal."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...models import Incident, TimelineKind

MAX_TRANSCRIPT = 200_000
MAX_PROPOSALS = 200
# "[9:05 AM] Ana: …", "09:05 Ana Lima: …", "Ana Lima  9:05 AM", "[14/03/2026 09:05] Ana: …"
STAMP = (r"(?:(?P<date>\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}),?\s+)?"
         r"(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?::[0-5]\d)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?")
LINE_WITH_TIME = re.compile(
    rf"^\s*\[?{STAMP}\]?\s*(?:[-–|]\s*)?(?:(?P<who>[^:\n]{{1,40}}):\s+)?(?P<text>.*)$")
NAME_THEN_TIME = re.compile(rf"^\s*(?P<who>[A-Z][\w.' -]{{0,40}}?)\s{{1,}}\[?{STAMP}\]?\s*$")
# The first kind whose words appear in a message (resolution before mitigation, and so on).
KIND_WORDS: list[tuple[TimelineKind, re.Pattern[str]]] = [
    (kind, re.compile(words, re.IGNORECASE)) for kind, words in (
        (TimelineKind.RESOLUTION, r"\b(resolved|all clear|closing the incident|back to normal)\b"),
        (TimelineKind.ROLLBACK, r"\b(roll(ed|ing)? ?back|revert(ed|ing)?)\b"),
        (TimelineKind.MITIGATION,
         r"\b(mitigat\w*|recover\w*|restored|errors? (are )?(down|dropping)|fixed)\b"),
        (TimelineKind.DEPLOY, r"\b(deploy\w*|released|rolled out|rolling out|shipped)\b"),
        (TimelineKind.ESCALATION,
         r"\b(escalat\w*|pag(ed|ing)|incident commander|declar\w+ (an )?incident|sev ?[12])\b"),
        (TimelineKind.COMMUNICATION, r"\b(status ?page|customers?|announce\w*|support|comms)\b"),
        (TimelineKind.DETECTION,
         r"\b(alert\w*|fir(ed|ing)|noticed|spik\w*|dashboard|reports? of|seeing)\b"),
    )
]


@dataclass
class Proposal:
    at: datetime
    kind: TimelineKind
    text: str


def guess_kind(text: str) -> TimelineKind:
    """The timeline kind the words suggest (a note when nothing does)."""
    for kind, pattern in KIND_WORDS:
        if pattern.search(text):
            return kind
    return TimelineKind.NOTE


def propose_events(transcript: str, incident: Incident, tz: str) -> list[Proposal]:
    """Proposed events, oldest first. Times without a date fall on the incident's start day in
    the zone `tz` (the next day when that would put them more than 6 hours before the start)."""
    text = (transcript or "")[:MAX_TRANSCRIPT].replace("\r\n", "\n")
    zone = ZoneInfo(tz)
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return _from_slack_export(json.loads(stripped))[:MAX_PROPOSALS]
        except (ValueError, TypeError, AttributeError):
            pass
    messages: list[tuple[dict[str, str | None], list[str]]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        header = NAME_THEN_TIME.match(line)
        if header:  # "Ana Lima  9:05 AM": the message follows on the next lines
            messages.append((header.groupdict(), []))
            continue
        stamped = LINE_WITH_TIME.match(line)
        if stamped and (stamped.group("text") or stamped.group("who")):
            fields = stamped.groupdict()
            messages.append((fields, [fields["text"] or ""]))
        elif messages:
            messages[-1][1].append(line.strip())
    start_local = incident.started_at.astimezone(zone)
    proposals = []
    for fields, lines in messages:
        body = " ".join(part for part in lines if part).strip()
        if not body:
            continue
        hour, minute = int(fields["h"] or 0), int(fields["m"] or 0)
        ampm = (fields.get("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        day = _day(fields.get("date"), start_local)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        if not fields.get("date") and local < start_local - timedelta(hours=6):
            local += timedelta(days=1)
        who = (fields.get("who") or "").strip()
        proposals.append(Proposal(local.astimezone(UTC), guess_kind(body),
                                  f"{who}: {body}" if who else body))
    return sorted(proposals, key=lambda p: p.at)[:MAX_PROPOSALS]


def _day(text: str | None, start_local: datetime) -> datetime:
    """The date a transcript line names (day/month/year or year-month-day), else the start's."""
    if not text:
        return start_local
    parts = [int(p) for p in re.split(r"[/.-]", text)]
    try:
        if parts[0] > 31:
            return datetime(parts[0], parts[1], parts[2])
        year = parts[2] + 2000 if parts[2] < 100 else parts[2]
        return datetime(year, parts[1], parts[0])
    except ValueError:
        return start_local


def _from_slack_export(messages: Any) -> list[Proposal]:
    proposals = []
    for message in messages:
        if not isinstance(message, dict) or not message.get("text"):
            continue
        at = datetime.fromtimestamp(float(message["ts"]), UTC).replace(microsecond=0)
        who = message.get("user_name") or (message.get("user_profile") or {}).get("real_name") or ""
        body = str(message["text"]).strip()
        proposals.append(Proposal(at, guess_kind(body), f"{who}: {body}" if who else body))
    return sorted(proposals, key=lambda p: p.at)
