"""Parsing and printing timestamps: input without an offset is UTC, output is UTC with Z."""

from __future__ import annotations

from datetime import UTC, date, datetime

# Times outside these years are typing mistakes, and near the ends of datetime's range a time
# zone shift overflows; every timestamp and date the app accepts lies within them.
MIN_YEAR = 1900
MAX_YEAR = 2999
RANGE_RULE = f"must be between the years {MIN_YEAR} and {MAX_YEAR}"


class OutOfRange(ValueError):
    """A well-formed timestamp or date outside MIN_YEAR..MAX_YEAR."""


def parse_timestamp(value: object) -> datetime:
    """An aware UTC datetime from an ISO 8601 string; ValueError when it is not one,
    OutOfRange when it lies outside MIN_YEAR..MAX_YEAR."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    else:
        raise ValueError("must be an ISO 8601 timestamp")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise OutOfRange(RANGE_RULE)
    return parsed.astimezone(UTC)


def parse_date(value: object) -> date:
    """A date from 'YYYY-MM-DD'; ValueError otherwise, OutOfRange outside MIN_YEAR..MAX_YEAR."""
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = date.fromisoformat(value.strip())
    else:
        raise ValueError("must be a date YYYY-MM-DD")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise OutOfRange(RANGE_RULE)
    return parsed


def end_of_day(moment: datetime) -> datetime:
    """The last microsecond of moment's UTC day: a bare date as `until` includes that day."""
    return moment.replace(hour=23, minute=59, second=59, microsecond=999_999)


def isoformat(value: datetime | None) -> str | None:
    """'2026-03-14T09:02:00Z' (seconds, or microseconds when there are any)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    text = value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text + "Z"


def humanize_duration(seconds: float | int | None) -> str:
    """'1h 05m', '12m', '2d 3h', '40s' — as precise as anyone reading a metric needs (seconds
    only under a minute); '—' when unknown."""
    if seconds is None:
        return "—"
    if seconds < 0:
        return "—"
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes_total = int(seconds / 60 + 0.5)
    days, rest = divmod(minutes_total, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"
