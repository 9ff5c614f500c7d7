"""Parsing raw input (JSON bodies, forms, imported documents) into typed values.

A `Fields` collects every problem before raising one ValidationError, so the caller learns
about all bad fields at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from ..errors import ValidationError
from ..models.enums import choices
from ..timeutil import parse_date, parse_timestamp

MAX_INTEGER = 2**63 - 1
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
        if not isinstance(value, str):
            self.error(name, "must be a string")
        elif "\x00" in value:
            self.error(name, "must not contain NUL characters")
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
        except (ValueError, TypeError):
            self.error(name, "must be an ISO 8601 timestamp, e.g. 2026-03-14T09:02:00Z")
            return None
        if end_of_day and isinstance(value, str) and len(value.strip()) == 10:
            parsed += timedelta(days=1) - timedelta(microseconds=1)
        return parsed

    def date(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        try:
            return parse_date(value)
        except (ValueError, TypeError):
            self.error(name, "must be a date YYYY-MM-DD")
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
        from .accounts import find_user_by_email

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
