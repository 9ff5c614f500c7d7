"""A person's own settings: the clock (24- or 12-hour), the time zone times are shown in, and
whether the getting-started list is hidden. Kept as one settings row per person."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ...errors import ValidationError
from ...extensions import db
from ...models import Setting, User

CLOCKS = ("24h", "12h")
DEFAULT_ZONE = "UTC"


@dataclass(frozen=True)
class Preferences:
    clock: str = "24h"
    time_zone: str = DEFAULT_ZONE
    steps_hidden: bool = False
    saved: bool = False  # the person has chosen (the getting-started step ticks)


def _key(user_id: int) -> str:
    return f"person:{user_id}"


def preferences_of(user_id: int | None) -> Preferences:
    """The person's settings (the defaults for nobody, or for what is not set): kept by the
    person and the catalog's version, which saving settings bumps (every page reads them)."""
    if not user_id:
        return _read(None)
    from ..kept import CATALOG, keep, versions

    return keep("preferences", (user_id, *versions(CATALOG)), lambda: _read(user_id))


def _read(user_id: int | None) -> Preferences:
    row = db.session.get(Setting, _key(user_id)) if user_id else None
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    clock = str(value["clock"]) if value.get("clock") in CLOCKS else "24h"
    zone = value.get("time_zone") if isinstance(value.get("time_zone"), str) else DEFAULT_ZONE
    return Preferences(clock=clock, time_zone=zone or DEFAULT_ZONE,
                       steps_hidden=bool(value.get("steps_hidden")),
                       saved=bool(value.get("saved")))


def save_preferences(user: User, *, clock: str | None = None, time_zone: str | None = None,
                     steps_hidden: bool | None = None,
                     known_zones: frozenset[str] | None = None) -> Preferences:
    """Change some of the person's settings; ValidationError naming a clock or zone that is
    not one of the choices (known_zones: the zones the caller offers)."""
    current = preferences_of(user.id)
    errors: dict[str, list[str]] = {}
    if clock is not None and clock not in CLOCKS:
        errors["clock"] = ["must be 24-hour or 12-hour"]
    if time_zone is not None and known_zones is not None and time_zone not in known_zones:
        errors["time_zone"] = ["is not a time zone we know"]
    if errors:
        raise ValidationError("Your settings were not saved.", fields=errors)
    chosen = clock is not None or time_zone is not None
    updated = Preferences(
        clock=clock if clock is not None else current.clock,
        time_zone=time_zone if time_zone is not None else current.time_zone,
        steps_hidden=steps_hidden if steps_hidden is not None else current.steps_hidden,
        saved=current.saved or chosen)
    row = db.session.get(Setting, _key(user.id)) or Setting(key=_key(user.id))
    row.value = asdict(updated)
    db.session.add(row)
    db.session.commit()
    return updated
