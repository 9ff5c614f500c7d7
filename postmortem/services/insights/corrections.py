"""People's corrections to detected themes, applied again by every recomputation that finds
the theme again: a theme is found again when most of the post-mortems it had when the
correction was last applied are in one theme of the new run (the theme with that id first,
as the job keeps ids by the same rule)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import ThemeCorrection, utcnow


def _overlaps(before: set[int], now: set[int]) -> bool:
    common = len(before & now)
    return bool(common) and common * 2 >= min(len(before), len(now))


def _match(correction: ThemeCorrection, detected: list[Any], taken: set[int]) -> Any | None:
    before = set(correction.members or [])
    same_id = next((t for t in detected if t.id == correction.theme_id), None)
    if same_id is not None and id(same_id) not in taken and (
            not before or _overlaps(before, set(same_id.members))):
        return same_id
    best, best_share = None, 0.0
    for theme in detected:
        if id(theme) in taken:
            continue
        now = set(theme.members)
        if _overlaps(before, now):
            share = len(before & now) / len(before | now)
            if share > best_share:
                best, best_share = theme, share
    return best


def apply_corrections(found: list[Any]) -> list[Any]:
    """The themes of a recomputation (engine.Found) with every correction that finds its
    theme applied: names, descriptions and hidden set, post-mortems taken out left out,
    merged themes folded into the theme they were merged into. Each correction then follows
    its theme (its id and members as they are now). Returns the themes to store."""
    corrections = list(db.session.scalars(select(ThemeCorrection)))
    if not corrections:
        return found
    detected = [t for t in found if t.source == "detected"]
    matched: dict[int, Any] = {}
    taken: set[int] = set()
    for correction in sorted(corrections, key=lambda c: c.id):
        theme = _match(correction, detected, taken)
        if theme is not None:
            matched[correction.id] = theme
            taken.add(id(theme))
    by_old_id = {c.theme_id: matched.get(c.id) for c in corrections}
    dropped: set[int] = set()
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is None:
            continue
        for incident in correction.removed or []:
            theme.members.pop(incident, None)
        if correction.merged_into:
            target = by_old_id.get(correction.merged_into)
            if target is not None and target is not theme:
                for incident, weight in theme.members.items():
                    target.members[incident] = max(weight, target.members.get(incident, 0.0))
                dropped.add(id(theme))
                continue
        if correction.name:
            theme.name = correction.name
        if correction.description is not None:
            theme.description = correction.description
        theme.hidden = bool(correction.hidden)
        theme.named_by = correction.by_name
    # Removals hold after a merge too: a post-mortem taken out of the target stays out.
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is not None and id(theme) not in dropped:
            for incident in correction.removed or []:
                theme.members.pop(incident, None)
    now = utcnow()
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is None:
            continue  # not found this time: kept, for a run that finds it again
        if theme.id != correction.theme_id:
            if any(c.theme_id == theme.id for c in corrections if c is not correction):
                continue
            old = correction.theme_id
            correction.theme_id = theme.id
            for other in corrections:
                if other.merged_into == old:
                    other.merged_into = theme.id
        correction.members = sorted(theme.members)
        correction.updated_at = now
    return [t for t in found if id(t) not in dropped]
