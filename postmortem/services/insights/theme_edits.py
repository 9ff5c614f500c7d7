"""People's corrections of detected themes: rename, describe, hide, merge two, take a
post-mortem out. Each changes the stored theme at once and is kept as a ThemeCorrection, which
every later recomputation applies again when it finds the theme (corrections.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, insert, select

from ...errors import NotFound, ValidationError
from ...extensions import db
from ...models import Incident, Service, Theme, ThemeCorrection, ThemeMember, User, incident_services, utcnow
from .. import kept
from ..transaction import use_case
from .engine import brief_of, card_of, theme_document


def _detected(theme_id: Any, field: str = "id") -> Theme:
    theme = db.session.get(Theme, theme_id) if isinstance(theme_id, str) else None
    if theme is None:
        raise NotFound(f"No theme {theme_id!r}.")
    if theme.source != "detected":
        raise ValidationError("Only a theme found in the text can be corrected here.", fields={
            field: ["is a factor category: rename it in the taxonomy"]})
    return theme


def _members(theme_id: str) -> list[int]:
    return list(db.session.scalars(select(ThemeMember.incident_id)
                                   .where(ThemeMember.theme_id == theme_id)))


def _correction(theme: Theme, actor: User) -> ThemeCorrection:
    correction = db.session.scalar(select(ThemeCorrection)
                                   .where(ThemeCorrection.theme_id == theme.id))
    if correction is None:
        correction = ThemeCorrection(theme_id=theme.id, members=sorted(_members(theme.id)),
                                     removed=[], hidden=False)
        db.session.add(correction)
    correction.by_id, correction.by_name, correction.updated_at = actor.id, actor.name, utcnow()
    return correction


def _store(theme: Theme) -> dict[str, Any]:
    """Write the theme's stored forms again from its members (after a change to them)."""
    rows = db.session.execute(
        select(Incident.started_at, ThemeMember.incident_id, ThemeMember.after)
        .join(Incident, Incident.id == ThemeMember.incident_id)
        .where(ThemeMember.theme_id == theme.id, Incident.archived_at.is_(None))).all()
    ordered = sorted((started, incident, after or []) for started, incident, after in rows)
    names: dict[int, list[str]] = defaultdict(list)
    for incident_id, name in db.session.execute(
            select(incident_services.c.incident_id, Service.name).join(Service)
            .where(incident_services.c.incident_id.in_([i for _, i, _ in ordered]))):
        names[incident_id].append(name)
    head = {"id": theme.id, "name": theme.name, "source": theme.source,
            "description": theme.description, "terms": theme.terms,
            "named_by": theme.named_by, "hidden": theme.hidden}
    summary = theme_document(head, ordered, names)
    theme.document = json.dumps(summary, separators=(",", ":"))
    theme.brief = json.dumps(brief_of(summary), separators=(",", ":"))
    theme.card = card_of(summary)
    theme.incident_count = len(ordered)
    theme.last_seen = ordered[-1][0] if ordered else None
    theme.updated_at = utcnow()
    kept.bump(db.session, [kept.THEMES])
    return summary


@use_case
def correct_theme(theme_id: str, actor: User, changes: dict[str, Any]) -> dict[str, Any]:
    """Rename, describe, hide or show a detected theme (changes: any of name, description,
    hidden); the theme as the API gives it. NotFound; ValidationError for a factor category."""
    theme = _detected(theme_id)
    correction = _correction(theme, actor)
    if "name" in changes and changes["name"]:
        theme.name = correction.name = changes["name"]
        theme.named_by = actor.name
    if "description" in changes:
        theme.description = correction.description = changes["description"] or None
        if correction.description is None:
            correction.description = ""  # "" keeps the description cleared after a recompute
    if "hidden" in changes and changes["hidden"] is not None:
        theme.hidden = correction.hidden = bool(changes["hidden"])
    summary = _store(theme)
    db.session.commit()
    return summary


@use_case
def merge_themes(theme_id: str, into: str, actor: User) -> dict[str, Any]:
    """Fold one detected theme into another: its post-mortems join `into` and it goes away,
    now and after every recomputation that finds both again. Returns the merged theme.
    NotFound; ValidationError for a factor category or a theme merged into itself."""
    source = _detected(theme_id)
    target = _detected(into, "into")
    if source.id == target.id:
        raise ValidationError("A theme cannot be merged into itself.",
                              fields={"into": ["must be another theme"]})
    source_correction = _correction(source, actor)
    target_correction = _correction(target, actor)
    source_correction.merged_into = target.id
    present = set(_members(target.id))
    removed = set(target_correction.removed or [])
    moved = [{"theme_id": target.id, "incident_id": member.incident_id,
              "weight": member.weight, "after": member.after or []}
             for member in db.session.scalars(select(ThemeMember)
                                              .where(ThemeMember.theme_id == source.id))
             if member.incident_id not in present and member.incident_id not in removed]
    if moved:
        db.session.execute(insert(ThemeMember), moved)
    db.session.execute(delete(ThemeMember).where(ThemeMember.theme_id == source.id))
    db.session.delete(source)
    db.session.flush()
    summary = _store(target)
    db.session.commit()
    return summary


@use_case
def remove_from_theme(theme_id: str, key: str, actor: User) -> dict[str, Any]:
    """Take a post-mortem out of a detected theme, now and after every recomputation that
    finds the theme again; the theme as it is then. NotFound when the theme or the
    post-mortem does not exist or is not in it; ValidationError for a factor category."""
    theme = _detected(theme_id)
    number = key[4:] if isinstance(key, str) and key.upper().startswith("INC-") else ""
    incident_id = int(number) if number.isdigit() and len(number) < 12 else None
    if incident_id is None or db.session.get(ThemeMember, (theme.id, incident_id)) is None:
        raise NotFound(f"{key!r} is not in theme {theme.id!r}.")
    correction = _correction(theme, actor)
    correction.removed = sorted({*(correction.removed or []), incident_id})
    db.session.execute(delete(ThemeMember).where(ThemeMember.theme_id == theme.id,
                                                 ThemeMember.incident_id == incident_id))
    correction.members = sorted(_members(theme.id))
    summary = _store(theme)
    db.session.commit()
    return summary


def correction_of(theme_id: str) -> dict[str, Any] | None:
    """Who last corrected a theme and how: {"by", "renamed", "hidden", "removed"} or None."""
    correction = db.session.scalar(select(ThemeCorrection)
                                   .where(ThemeCorrection.theme_id == theme_id))
    if correction is None:
        return None
    return {"by": correction.by_name, "renamed": bool(correction.name),
            "hidden": correction.hidden, "removed": len(correction.removed or [])}
