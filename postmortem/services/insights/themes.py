"""Recurring failure themes, as the insight job stored them (engine.py): taxonomy themes (a
factor category) and themes detected in the post-mortems' own words, with the incidents that
came back after a fix. Reading them never computes: the whole-archive view is one stored row
per theme; a period or service filter reads the members of the themes in SQL."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import g
from sqlalchemy import or_, select

from ...errors import NotFound
from ...extensions import db
from ...models import Incident, InsightState, Service, Theme, ThemeMember, incident_services
from ..incidents.queries import parse_incident_filters
from ..incidents.visibility import Sight, hidden_in, visible_in
from ..kept import THEMES, digest_of, keep, versions
from ..setup import templates
from .engine import brief_of, card_of, theme_document


def computed() -> bool:
    """False until the insight job has run once (pages then say themes are being computed)."""
    state = db.session.get(InsightState, 1)
    return state is not None and state.computed_at is not None


def _hiding(seen: Sight) -> set[str]:
    """The themes whose stored documents name a post-mortem hidden from `seen`: as a member,
    or by a fix it came back after. None once the insight job has recomputed the themes after a
    post-mortem was restricted (it leaves restricted ones out of every theme and every fix);
    until then such themes are worked out again from their visible members on read. Kept by
    `seen` and the themes' version (restricting a post-mortem bumps it)."""
    if seen == "all":
        return set()

    def find() -> list[str]:
        hidden = list(db.session.scalars(hidden_in(seen)))
        if not hidden:
            return []
        named = or_(*(Theme.document.contains(f'"INC-{number}"') for number in hidden))
        return sorted(db.session.scalars(select(Theme.id).where(named)))

    return set(keep("themes-hiding", (seen, *versions(THEMES)), find))


def worked_out_on_read(seen: Sight) -> set[str]:
    """The themes that a reader who sees `seen` gets worked out from their members on read
    (their stored documents name a post-mortem hidden from them, until the insight job places
    it): those read the post-mortems' dates and services, so what is kept of them is keyed
    on the post-mortems' version too."""
    return _hiding(seen)


def list_themes(since: datetime | None = None, until: datetime | None = None,
                min_incidents: int = 2, service: str | None = None, full: bool = True, *,
                seen: Sight) -> list[dict[str, Any]]:
    """The themes with at least min_incidents incidents (in the period, of the service) that a
    reader who sees `seen` may read, most incidents first, then the most recent: the API's
    theme objects, whole or (not full) as the list gives them by default (engine.brief_of)."""
    if since is None and until is None and service is None and not _hiding(seen):
        rows = db.session.scalars(select(Theme).where(Theme.incident_count >= min_incidents,
                                                      Theme.hidden.is_(False)))
        found = [json.loads(theme.document) for theme in rows]
    else:
        found = _filtered(since, until, min_incidents, service, seen)
    return _ranked(found if full else [brief_of(theme) for theme in found])


def _ranked(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(found, key=lambda t: (-t["incident_count"], _desc(t["last_seen"]),
                                        t["source"] != "taxonomy", t["name"]))


def themes_document(min_incidents: int = 2, full: bool = False, *, seen: Sight) -> str:
    """The whole-archive theme list as JSON text, ranked: the stored documents joined, so a
    large archive's list is not decoded and encoded again on every request. Each theme as the
    list gives it (engine.brief_of), or whole. Members hidden from `seen` are left out."""
    if _hiding(seen):
        return json.dumps(list_themes(min_incidents=min_incidents, full=full, seen=seen),
                          separators=(",", ":"))
    rows = db.session.execute(
        select(Theme.document, Theme.brief).where(Theme.incident_count >= min_incidents,
                                                  Theme.hidden.is_(False))
        .order_by(Theme.incident_count.desc(), Theme.last_seen.desc(),
                  (Theme.source != "taxonomy"), Theme.name))
    return "[" + ",".join(
        document if full else brief or json.dumps(brief_of(json.loads(document)),
                                                  separators=(",", ":"))
        for document, brief in rows) + "]"


def theme_cards(since: datetime | None = None, until: datetime | None = None,
                min_incidents: int = 2, service: str | None = None, *, seen: Sight
                ) -> list[dict[str, Any]]:
    """What the themes page shows of each theme (see engine.card_of), ranked like the list,
    for a reader who sees `seen`."""
    if since is None and until is None and service is None and not _hiding(seen):
        cards = db.session.scalars(select(Theme.card).where(
            Theme.incident_count >= min_incidents, Theme.hidden.is_(False)))
        return _ranked([dict(card) for card in cards])
    return [card_of(theme)
            for theme in list_themes(since, until, min_incidents, service, seen=seen)]


def _desc(moment: str | None) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in (moment or ""))


def _filtered(since: datetime | None, until: datetime | None, min_incidents: int,
              service: str | None, seen: Sight, theme_id: str | None = None
              ) -> list[dict[str, Any]]:
    # The period's incidents first (started_at is indexed), then their memberships.
    chosen = select(Incident.id).where(Incident.archived_at.is_(None), visible_in(seen))
    if since is not None:
        chosen = chosen.where(Incident.started_at >= since)
    if until is not None:
        chosen = chosen.where(Incident.started_at <= until)
    if service:
        chosen = chosen.where(Incident.id.in_(
            select(incident_services.c.incident_id).join(Service).where(Service.name == service)))
    stmt = (select(ThemeMember.theme_id, ThemeMember.incident_id, ThemeMember.after,
                   Incident.started_at)
            .join(Incident, Incident.id == ThemeMember.incident_id)
            .where(ThemeMember.incident_id.in_(chosen)))
    if theme_id is not None:
        stmt = stmt.where(ThemeMember.theme_id == theme_id)
    hidden = set() if seen == "all" else {f"INC-{i}" for i in db.session.scalars(hidden_in(seen))}
    members: dict[str, list[tuple[datetime, int, list]]] = defaultdict(list)
    for member_of, incident_id, after, started_at in db.session.execute(stmt):
        # A fix of a hidden post-mortem is not named either.
        shown_after = [fix for fix in after or [] if fix.get("incident") not in hidden]
        members[member_of].append((started_at, incident_id, shown_after))
    members = {k: sorted(v) for k, v in members.items() if len(v) >= min_incidents}
    if not members:
        return []
    ids = {incident for rows in members.values() for _, incident, _ in rows}
    names: dict[int, list[str]] = defaultdict(list)
    for incident_id, name in db.session.execute(
            select(incident_services.c.incident_id, Service.name).join(Service)
            .where(incident_services.c.incident_id.in_(ids))):
        names[incident_id].append(name)
    # The themes' heads only: their stored documents, cards and profiles are large.
    heads = select(Theme.id, Theme.name, Theme.source, Theme.description, Theme.terms,
                   Theme.named_by, Theme.hidden).where(Theme.id.in_(members),
                                                      Theme.hidden.is_(False))
    return [theme_document(dict(head._mapping), members[head.id], names)
            for head in db.session.execute(heads)]


def stamps_of_keys(keys: list[str], *, seen: Sight) -> str:
    """A digest of the ids and stamps of the post-mortems behind these keys that a reader who
    sees `seen` may read: what a kept theme page is keyed on besides the themes (it shows
    their titles, severities and dates, and each write to one bumps its stamp)."""
    ids = sorted({int(key.split("-")[1]) for key in keys})
    return digest_of(db.session.execute(select(Incident.id, Incident.stamp).where(
        Incident.id.in_(ids), visible_in(seen)).order_by(Incident.id)))[1]


def incidents_by_key(keys: list[str], *, seen: Sight) -> dict[str, Incident]:
    """{key: incident} for the theme pages' few shown post-mortems that a reader who sees
    `seen` may read (one query)."""
    ids = [int(key.split("-")[1]) for key in keys]
    return {i.key: i for i in db.session.scalars(select(Incident).where(Incident.id.in_(ids),
                                                                        visible_in(seen)))}


def get_theme(theme_id: str, *, seen: Sight) -> dict[str, Any]:
    """One theme over the whole archive (with incidents_by_month), its members those a reader
    who sees `seen` may read; NotFound (also when none of them is)."""
    theme = db.session.get(Theme, theme_id) if isinstance(theme_id, str) else None
    if theme is None:
        raise NotFound(f"No theme {theme_id!r}.")
    if theme.id in _hiding(seen):
        found = _filtered(None, None, 1, None, seen, theme.id)
        if not found:
            raise NotFound(f"No theme {theme_id!r}.")
        return found[0]
    return json.loads(theme.document)  # type: ignore[no-any-return]


def themes_of(incident: Incident) -> list[dict[str, str]]:
    """The themes an incident belongs to: [{"id", "name"}] — its factor categories as they are
    now, and the detected themes the last recomputation put it in."""
    if "category_names" not in g:
        g.category_names = {c.key: c.name for c in templates.list_categories(include_inactive=True)}
    categories = g.category_names
    keys = sorted({f.category for f in incident.factors if f.category})
    found = [{"id": key, "name": categories.get(key, key)} for key in keys]
    preloaded = g.get("detected_themes")
    if preloaded is None or incident.id not in preloaded:
        preload_themes([incident])
        preloaded = g.detected_themes
    return found + preloaded[incident.id]


def preload_themes(incidents: list[Incident]) -> None:
    """Load the detected themes of these incidents in one query, for themes_of (a list page)."""
    loaded: dict[int, list[dict[str, str]]] = g.get("detected_themes") or {}
    loaded.update(detected_themes_of([incident.id for incident in incidents]))
    g.detected_themes = loaded


def detected_themes_of(ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """{incident id: [{"id", "name"}]}: the detected themes the last recomputation (or the
    incremental step) put each of these incidents in, in one query."""
    loaded: dict[int, list[dict[str, str]]] = {incident_id: [] for incident_id in ids}
    for incident_id, theme_id, name in db.session.execute(
            select(ThemeMember.incident_id, Theme.id, Theme.name).join(Theme)
            .where(ThemeMember.incident_id.in_(ids), Theme.source == "detected",
                   Theme.hidden.is_(False))
            .order_by(Theme.id)):
        loaded[incident_id].append({"id": theme_id, "name": name})
    return loaded


def incident_filters(args: dict[str, Any]) -> dict[str, Any]:
    """The incident list's filters (see parse_incident_filters), with a detected theme resolved
    to its incidents; ValidationError for bad values."""
    filters = parse_incident_filters(args)
    theme = filters.get("theme") or ""
    if theme.startswith("detected-"):
        filters["theme_incident_ids"] = select(ThemeMember.incident_id).where(
            ThemeMember.theme_id == theme)
    return filters


def detected_theme_names() -> list[dict[str, str]]:
    """[{"id", "name"}] of the detected themes shown in the lists, by name (a merge's choices)."""
    return [{"id": theme_id, "name": name} for theme_id, name in db.session.execute(
        select(Theme.id, Theme.name).where(Theme.source == "detected", Theme.hidden.is_(False))
        .order_by(Theme.name))]
