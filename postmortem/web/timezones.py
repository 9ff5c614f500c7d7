"""Time zones for timestamp inputs: the browser sends local wall-clock times and a zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..timeutil import MAX_YEAR, MIN_YEAR, RANGE_RULE

COMMON = [
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin",
    "Europe/Amsterdam", "Europe/Madrid", "Europe/Rome", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Africa/Lagos",
    "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth",
    "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "America/Mexico_City", "America/Bogota", "America/Toronto", "America/New_York",
    "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu",
]
TIMEZONES = COMMON + sorted(available_timezones() - set(COMMON) - {"localtime", "Factory"})


KNOWN = frozenset(TIMEZONES)


def zone(name: str | None) -> ZoneInfo:
    """The zone of this IANA name; ValueError for any other text (never a file lookup of it)."""
    if (name or "UTC") not in KNOWN:
        raise ValueError(f"unknown time zone '{(name or '')[:60]}'")
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'") from None


# A time of day as people type it: '14:05', '1405', '14.05', '2:05 PM', '2:05pm', '12:30 a.m.'.
CLOCK_RE = re.compile(r"^(\d{1,2})[:.h]?([0-5]\d)\s*(?:([AaPp])\.?\s*[Mm]?\.?)?$")
LOCAL_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\s*(.+)$")


def parse_clock(text: str | None) -> tuple[int, int]:
    """(hour 0–23, minute) from a 24-hour or a 12-hour time; ValueError otherwise."""
    match = CLOCK_RE.match((text or "").strip())
    if not match:
        raise ValueError("must be a time such as 14:05 or 2:05 PM")
    hour, minute, half = int(match.group(1)), int(match.group(2)), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("must be a time such as 2:05 PM (hours 1 to 12 with AM or PM)")
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    elif hour > 23:
        raise ValueError("must be a time such as 14:05 (hours 0 to 23)")
    return hour, minute


def local_input_to_iso(value: str | None, tz_name: str | None) -> str | None:
    """'2026-03-14 10:02' (or '…T10:02', or '2026-03-14 10:02 AM') in Europe/Berlin →
    '2026-03-14T09:02:00+00:00'; None for empty.

    Raises ValueError with a readable message for a malformed value or zone.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    match = LOCAL_RE.match(text)
    try:
        if match and CLOCK_RE.match(match.group(2).strip()):
            hour, minute = parse_clock(match.group(2))
            naive = datetime.fromisoformat(f"{match.group(1)}T{hour:02d}:{minute:02d}")
        else:
            naive = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a date and time, e.g. 2026-03-14 09:02") from None
    if not MIN_YEAR <= naive.year <= MAX_YEAR:
        raise ValueError(RANGE_RULE)
    if naive.tzinfo is not None:
        return naive.astimezone(UTC).isoformat()
    return naive.replace(tzinfo=zone(tz_name)).astimezone(UTC).isoformat()


def clock_text(hour: int, minute: int, clock: str = "24h") -> str:
    """'14:05' on a 24-hour clock, '2:05 PM' on a 12-hour one."""
    if clock == "12h":
        return f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"
    return f"{hour:02d}:{minute:02d}"


def to_local_input(value: datetime | None, tz_name: str | None, clock: str = "24h") -> str:
    """The text of a date-and-time field in the given zone and clock: '2026-03-14 14:05' or
    '2026-03-14 2:05 PM' ('' when None)."""
    if value is None:
        return ""
    local = value.astimezone(zone(tz_name))
    return f"{local:%Y-%m-%d} {clock_text(local.hour, local.minute, clock)}"
