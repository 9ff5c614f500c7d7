"""Domain errors raised by services. They know nothing of HTTP: `handlers.py` maps each kind
to a status and a response."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A use case refused: `message` for people, `fields` naming the bad fields, `extra` for
    details the caller may show (such as the current version)."""

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or None
        self.extra = extra or {}


class ValidationError(DomainError):
    """Invalid fields; `fields` maps each field to its messages."""



class NotFound(DomainError):
    """The thing asked for does not exist."""


class Forbidden(DomainError):
    """The actor may not do this."""


class Conflict(DomainError):
    """The change clashes with the current state."""


class StaleVersion(Conflict):
    """The client edited an older version; `current_version` says which one is current."""

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"This post-mortem was changed by someone else (now version {current_version}); "
            "reload it and apply your changes again.",
            extra={"current_version": current_version},
        )
        self.current_version = current_version


class StaleRow(Conflict):
    """A row (timeline event, factor, action item) was changed since the version the client
    edited; `extra["current"]` holds the row as it is now."""

    def __init__(self, what: str, current: dict[str, Any]) -> None:
        super().__init__(
            f"This {what} was changed by someone else (now version {current.get('version')}); "
            "nothing was saved. Compare with the current text and save again.",
            extra={"current": current},
        )


class Frozen(Conflict):
    """A published post-mortem is read-only until a reviewer reopens it."""


class Throttled(DomainError):
    """Too many attempts; try again later."""
