"""Time zones for timestamp inputs: the browser sends local wall-clock times and a zone."""

from __future__ import annotations

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


def local_input_to_iso(value: str | None, tz_name: str | None) -> str | None:
    """'2026-03-14T10:02' in Europe/Berlin → '2026-03-14T09:02:00+00:00'; None for empty.

    Raises ValueError with a readable message for a malformed value or zone.
    """
    if value is None or not value.strip():
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date and time, e.g. 2026-03-14 09:02") from None
    if not MIN_YEAR <= naive.year <= MAX_YEAR:
        raise ValueError(RANGE_RULE)
    if naive.tzinfo is not None:
        return naive.astimezone(UTC).isoformat()
    return naive.replace(tzinfo=zone(tz_name)).astimezone(UTC).isoformat()


def to_local_input(value: datetime | None, tz_name: str | None) -> str:
    """The value for a datetime-local input in the given zone ('' when None)."""
    if value is None:
        return ""
    return value.astimezone(zone(tz_name)).strftime("%Y-%m-%dT%H:%M")
