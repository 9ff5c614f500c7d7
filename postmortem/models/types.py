"""Column types and time helpers shared by the models: every datetime is aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, to the microsecond."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()


def enum_column(enum: type[StrEnum], length: int = 20) -> Enum:
    """A closed vocabulary stored as its text value in a VARCHAR (no native database enum, so
    adding a member needs no migration), read back as the enum's member."""
    return Enum(enum, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda members: [member.value for member in members])


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
