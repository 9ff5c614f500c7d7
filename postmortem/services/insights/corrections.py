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


def _matches(corrections: list[ThemeCorrection], detected: list[Any]) -> dict[int, Any]:
    """{correction id: the theme it finds}: pairs that overlap, the closest first (Jaccard;
    the theme with the correction's id wins a tie), each theme and correction used once."""
    pairs = []
    for correction in corrections:
        before = set(correction.members or [])
        for position, theme in enumerate(detected):
            now = set(theme.members)
            if _overlaps(before, now):
                share = len(before & now) / len(before | now)
                pairs.append((share, theme.id == correction.theme_id, -position, correction.id,
                              position))
    matched: dict[int, Any] = {}
    used: set[int] = set()
    for _, _, _, correction_id, position in sorted(pairs, reverse=True):
        if correction_id not in matched and position not in used:
            matched[correction_id] = detected[position]
            used.add(position)
    return matched


def apply_corrections(found: list[Any]) -> list[Any]:
    """The themes of a recomputation (engine.Found) with every correction that finds its
    theme applied: names, descriptions and hidden set, post-mortems taken out left out,
    merged themes folded into the theme they were merged into. Each correction then follows
    its theme (its id and members as they are now). Returns the themes to store."""
    corrections = list(db.session.scalars(select(ThemeCorrection)))
    if not corrections:
        return found
    detected = [t for t in found if t.source == "detected"]
    matched = _matches(corrections, detected)
    now = utcnow()
    # A corrected theme keeps its id (the one people linked to): swap with whichever theme of
    # this run took it.
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is None or theme.id == correction.theme_id:
            continue
        holder = next((t for t in found if t.id == correction.theme_id), None)
        if holder is not None:
            holder.id = theme.id
        theme.id = correction.theme_id
    # What each correction finds next time: the theme's own post-mortems, before merges.
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is not None:
            removed = set(correction.removed or [])
            correction.members = sorted(i for i in theme.members if i not in removed)
            correction.updated_at = now
    by_theme_id = {c.theme_id: matched.get(c.id) for c in corrections}
    dropped: set[int] = set()
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is None:
            continue  # not found this time: kept, for a run that finds it again
        for incident in correction.removed or []:
            theme.members.pop(incident, None)
        if correction.merged_into:
            target = by_theme_id.get(correction.merged_into)
            if target is not None and target is not theme:
                for incident, weight in theme.members.items():
                    target.members[incident] = max(weight, target.members.get(incident, 0.0))
                dropped.add(id(theme))
                continue
        if correction.name:
            theme.name = correction.name
            theme.named_by = correction.by_name
        if correction.description is not None:
            theme.description = correction.description or None
        theme.hidden = bool(correction.hidden)
    # Removals hold after a merge too: a post-mortem taken out of the target stays out.
    for correction in corrections:
        theme = matched.get(correction.id)
        if theme is not None and id(theme) not in dropped:
            for incident in correction.removed or []:
                theme.members.pop(incident, None)
    return [t for t in found if id(t) not in dropped]


def taken_out(incident_id: int) -> set[str]:
    """The detected themes a person took this post-mortem out of, or hid, or merged away: a
    step that places one post-mortem without recomputing (incremental.py) leaves it out of
    them. One query over the (few) corrections."""
    found = set()
    for theme_id, removed, hidden, merged_into in db.session.execute(
            select(ThemeCorrection.theme_id, ThemeCorrection.removed, ThemeCorrection.hidden,
                   ThemeCorrection.merged_into)):
        if hidden or merged_into or incident_id in (removed or []):
            found.add(theme_id)
    return found
