"""Recurring failure themes from the contributing-factor taxonomy, and whether the fixes
worked: an incident that starts after an earlier incident's action item in the same theme was
done is a recurrence after a fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g
from sqlalchemy import select

from ...extensions import db
from ...models import ActionStatus, Factor, Incident
from ...timeutil import isoformat
from ..incidents.queries import parse_incident_filters
from ..setup import templates
from . import similarity

DETECTED_THRESHOLD = 0.25  # cosine similarity that joins two incidents into one theme
TERMS_PER_THEME = 5


@dataclass
class Theme:
    id: str
    name: str
    description: str | None
    incidents: list[Incident] = field(default_factory=list)
    recurred_after_fix: list[Incident] = field(default_factory=list)
    source: str = "taxonomy"
    terms: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        services = sorted({s.name for i in self.incidents for s in i.services})
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "terms": self.terms or [self.id.replace("-", " ")],
            "incident_count": len(self.incidents),
            "incidents": [i.key for i in self.incidents],
            "services": services,
            "first_seen": isoformat(self.incidents[0].started_at) if self.incidents else None,
            "last_seen": isoformat(self.incidents[-1].started_at) if self.incidents else None,
            "recurred_after_fix": [i.key for i in self.recurred_after_fix],
        }


def _fix_times(incident: Incident) -> list[datetime]:
    return [item.completed_at for item in incident.action_items
            if item.status == ActionStatus.DONE.value and item.completed_at is not None]


def taxonomy_themes(since: datetime | None = None, until: datetime | None = None,
                    min_incidents: int = 2) -> list[Theme]:
    """Themes with at least `min_incidents` incidents in the period, most incidents first."""
    stmt = select(Incident).where(Incident.archived_at.is_(None), Incident.id.in_(
        select(Factor.incident_id).where(Factor.category.is_not(None))))
    if since is not None:
        stmt = stmt.where(Incident.started_at >= since)
    if until is not None:
        stmt = stmt.where(Incident.started_at <= until)
    incidents = sorted(db.session.scalars(stmt), key=lambda i: (i.started_at, i.id))
    categories = {c.key: c for c in templates.list_categories(include_inactive=True)}
    themes: dict[str, Theme] = {}
    for incident in incidents:
        for key in sorted({f.category for f in incident.factors if f.category}):
            category = categories.get(key)
            theme = themes.setdefault(key, Theme(
                key, category.name if category else key, category.description if category else None))
            theme.incidents.append(incident)
    for theme in themes.values():
        _mark_recurrences(theme)
    found = [t for t in themes.values() if len(t.incidents) >= min_incidents]
    return sorted(found, key=lambda t: (-len(t.incidents), t.name))


def _mark_recurrences(theme: Theme) -> None:
    """An incident recurred after a fix when an earlier incident of the theme had an action
    item done before it started."""
    theme.recurred_after_fix = []
    for index, incident in enumerate(theme.incidents):
        earlier_fixes = [t for prior in theme.incidents[:index] for t in _fix_times(prior)]
        if any(fixed < incident.started_at for fixed in earlier_fixes):
            theme.recurred_after_fix.append(incident)


_clusters: dict[tuple, list[list[int]]] = {}


def _text_clusters() -> list[list[int]]:
    """Groups of incident ids whose texts are close (single linkage above
    DETECTED_THRESHOLD); cached until an incident changes."""

    index = similarity.text_index()
    if index.key in _clusters:
        return _clusters[index.key]
    parent = {i: i for i in index.ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for position, a in enumerate(index.ids):
        for b in index.ids[position + 1:]:
            if similarity.cosine(index.vectors[a], index.vectors[b]) >= DETECTED_THRESHOLD:
                parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in index.ids:
        groups.setdefault(root(i), []).append(i)
    _clusters.clear()
    _clusters[index.key] = [g for g in groups.values() if len(g) > 1]
    return _clusters[index.key]


def detected_themes(since: datetime | None = None, until: datetime | None = None,
                    min_incidents: int = 2) -> list[Theme]:
    """Themes found in the incidents' own text, named by the words their incidents share
    most; only incidents started in the period count."""

    index = similarity.text_index()
    found = []
    for cluster in _text_clusters():
        incidents = [i for i in db.session.scalars(select(Incident).where(Incident.id.in_(cluster)))
                     if (since is None or i.started_at >= since)
                     and (until is None or i.started_at <= until)]
        if len(incidents) < max(min_incidents, 2):
            continue
        weights: dict[str, float] = {}
        shared: dict[str, int] = {}
        for incident in incidents:
            for word, weight in index.vectors[incident.id].items():
                weights[word] = weights.get(word, 0.0) + weight
                shared[word] = shared.get(word, 0) + 1
        ranked = sorted((w for w in weights if shared[w] >= 2), key=lambda w: -weights[w])
        terms = ranked[:TERMS_PER_THEME] or sorted(weights, key=lambda w: -weights[w])[:3]
        theme = Theme("detected-" + "-".join(terms[:3]), "Recurring: " + ", ".join(terms[:3]),
                      None, sorted(incidents, key=lambda i: (i.started_at, i.id)),
                      source="detected", terms=terms)
        _mark_recurrences(theme)
        found.append(theme)
    return sorted(found, key=lambda t: (-len(t.incidents), t.name))


def all_themes(since: datetime | None = None, until: datetime | None = None,
               min_incidents: int = 2) -> list[Theme]:
    """Taxonomy and detected themes together, most incidents first."""
    found = taxonomy_themes(since, until, min_incidents) + detected_themes(since, until, min_incidents)
    return sorted(found, key=lambda t: (-len(t.incidents), t.source != "taxonomy", t.name))


def incident_ids_for_theme(theme_id: str) -> list[int]:
    """The incidents of a detected theme (taxonomy themes filter by factor category)."""
    for theme in detected_themes(min_incidents=2):
        if theme.id == theme_id:
            return [i.id for i in theme.incidents]
    return []


def themes_of(incident: Incident) -> list[dict[str, str]]:
    """The taxonomy themes an incident belongs to: [{"id", "name"}]."""
    if "category_names" not in g:
        g.category_names = {c.key: c.name for c in templates.list_categories(include_inactive=True)}
    categories = g.category_names
    keys = sorted({f.category for f in incident.factors if f.category})
    return [{"id": key, "name": categories.get(key, key)} for key in keys]


def incident_filters(args: dict[str, Any]) -> dict[str, Any]:
    """The incident list's filters (see parse_incident_filters), with a detected theme resolved
    to its incidents; ValidationError for bad values."""
    filters = parse_incident_filters(args)
    theme = filters.get("theme") or ""
    if theme.startswith("detected-"):
        filters["theme_incident_ids"] = incident_ids_for_theme(theme)
    return filters
