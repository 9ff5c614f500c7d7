"""Parsing raw input (JSON bodies, forms, imported documents) into typed values.

A `Fields` collects every problem before raising one ValidationError, so the caller learns
about all bad fields at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .errors import ValidationError
from .models.enums import choices
from .timeutil import OutOfRange, parse_date, parse_timestamp
from .timeutil import end_of_day as end_of_day_of

MAX_INTEGER = 2**63 - 1
MAX_JSON_DEPTH = 20
TIMESTAMPS = ("started_at", "detected_at", "mitigated_at", "resolved_at")
SERVICE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
SERVICE_NAME_RULE = (
    "must be a slug: lowercase letters, digits, '.', '_' or '-', "
    "starting with a letter or digit, at most 63 characters"
)
TEAM_MAX = 100
ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
ENVIRONMENT_RULE = "letters, digits, '.', '_', ':', '/' or '-', at most 100 characters"
# The longest values a deployment keeps, for the API, the CLI and imported documents alike.
VERSION_MAX, ARTIFACT_MAX, COMMIT_MAX, NOTES_MAX = 200, 500, 100, 5000


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored (NUL, or a lone surrogate that is no character), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def unstorable(data: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """(field path, problem) for the first key or string in decoded JSON that cannot be stored,
    or for nesting deeper than MAX_JSON_DEPTH; None when everything can be."""
    if depth > MAX_JSON_DEPTH:
        return path or "body", f"nests deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(data, str):
        problem = text_problem(data)
        return (path or "body", problem) if problem else None
    if isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            problem = text_problem(key)
            if problem:
                return path or "body", f"has a key that {problem}"
            found = unstorable(value, child, depth + 1)
            if found:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = unstorable(value, f"{path}[{index}]" if path else f"[{index}]", depth + 1)
            if found:
                return found
    return None


def out_of_order(values: dict[str, datetime | None]) -> list[tuple[str, str]]:
    """(earlier, later) name pairs breaking started ≤ detected ≤ mitigated ≤ resolved, over
    the timestamps that are given."""
    given = [(name, values[name]) for name in TIMESTAMPS if values.get(name) is not None]
    return [(earlier_name, later_name)
            for (earlier_name, earlier), (later_name, later) in zip(given, given[1:], strict=False)
            if later < earlier]  # type: ignore[operator]
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9._:/-]{0,49}$")
URL_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


class Fields:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def has(self, name: str) -> bool:
        return name in self.data

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_errors(self, message: str = "Some fields are invalid.") -> None:
        if self.errors:
            raise ValidationError(message, fields=self.errors)

    def _string(self, name: str, value: object, max_length: int) -> str | None:
        """value when it is a storable string of at most max_length characters."""
        problem = text_problem(value) if isinstance(value, str) else None
        if not isinstance(value, str):
            self.error(name, "must be a string")
        elif problem:
            self.error(name, problem)
        elif len(value) > max_length:
            self.error(name, f"must be at most {max_length} characters")
        else:
            return value
        return None

    def text(self, name: str, *, required: bool = False, max_length: int = 10_000) -> str | None:
        """A one-line value, stripped; None when absent or blank."""
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(name, "is required")
            return None
        text = self._string(name, value.strip() if isinstance(value, str) else value, max_length)
        return text

    def markdown(self, name: str, *, max_length: int = 200_000) -> str | None:
        """Free Markdown, kept as written (only line endings normalised)."""
        value = self.data.get(name)
        if value is None:
            return None
        text = self._string(name, value, max_length)
        return None if text is None else text.replace("\r\n", "\n")

    def enum(self, name: str, enum: type[StrEnum], *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.error(name, "is required; must be one of " + choices(enum))
            return None
        if not isinstance(value, str) or value not in {m.value for m in enum}:
            self.error(name, "must be one of " + choices(enum))
            return None
        return value

    def timestamp(self, name: str, *, required: bool = False,
                  end_of_day: bool = False) -> datetime | None:
        """An aware UTC datetime; with end_of_day, a bare date means the last instant of it
        (so `until=2026-03-31` includes the 31st)."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.error(name, "is required (an ISO 8601 timestamp)")
            return None
        try:
            parsed = parse_timestamp(value)
        except OutOfRange as error:
            self.error(name, str(error))
            return None
        except (ValueError, TypeError):
            self.error(name, "must be a date and time such as 2026-03-14T09:02:00Z")
            return None
        if end_of_day and isinstance(value, str) and len(value.strip()) == 10:
            parsed = end_of_day_of(parsed)
        return parsed

    def period(self) -> tuple[datetime | None, datetime | None]:
        """(since, until), both inclusive; a bare date as until means the end of that day (UTC).
        The one reading of since/until for every list, figure, theme and report."""
        since = self.timestamp("since")
        until = self.timestamp("until", end_of_day=True)
        if since is not None and until is not None and since > until:
            self.error("until", "must not be before since")
        return since, until

    def check_order(self, values: dict[str, datetime | None]) -> None:
        """Record an error on each timestamp that comes before the one it must follow."""
        for earlier_name, later_name in out_of_order(values):
            self.error(later_name, f"must not be before {earlier_name}")

    def service_name(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=63)
        if value is not None and not SERVICE_NAME_RE.match(value):
            self.error(name, SERVICE_NAME_RULE)
            return None
        return value

    def team(self, name: str = "team") -> str | None:
        return self.text(name, max_length=TEAM_MAX)

    def boolean(self, name: str) -> bool | None:
        """true/false (JSON booleans, or 'true', 'false', '1', '0' in query strings)."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        self.error(name, "must be true or false")
        return None

    def date(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        try:
            return parse_date(value)
        except OutOfRange as error:
            self.error(name, str(error))
            return None
        except (ValueError, TypeError):
            self.error(name, "must be a date such as 2026-03-14")
            return None

    def url(self, name: str) -> str | None:
        value = self.text(name, max_length=500)
        if value is not None and not URL_RE.match(value):
            self.error(name, "must be an http or https URL")
            return None
        return value

    def string_list(self, name: str, *, pattern: re.Pattern[str], rule: str,
                    lower: bool = True) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            value = [part for part in re.split(r"[,\s]+", value) if part]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(name, "must be a list of strings")
            return None
        result: list[str] = []
        for item in value:
            item = item.strip().lower() if lower else item.strip()
            if not item:
                continue
            if not pattern.match(item):
                self.error(name, f"'{item}' {rule}")
                continue
            if item not in result:
                result.append(item)
        return result

    def user(self, name: str) -> tuple[bool, Any]:
        """(given, user) for a field holding the email of an existing user, or null."""
        from .services.accounts import find_user_by_email

        if not self.has(name):
            return False, None
        email = self.data.get(name)
        if email in (None, ""):
            return True, None
        if not isinstance(email, str):
            self.error(name, "must be the email of a user")
            return True, None
        user = find_user_by_email(email)
        if user is None:
            self.error(name, f"no user with email {email}")
        return True, user

    def integer(self, name: str) -> int | None:
        """A whole number within the range a database column holds (64-bit signed)."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value)
        if number is None:
            self.error(name, "must be a whole number")
            return None
        if not -MAX_INTEGER <= number <= MAX_INTEGER:
            self.error(name, "is out of range")
            return None
        return number
