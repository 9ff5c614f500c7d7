"""Recurring failure themes from the contributing-factor taxonomy, and whether the fixes
worked: an incident that starts after an earlier incident's action item in the same theme was
done is a recurrence after a fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import ActionStatus, Factor, Incident
from ..timeutil import isoformat
from . import templates


@dataclass
class Theme:
    id: str
    name: str
    description: str | None
    incidents: list[Incident] = field(default_factory=list)
    recurred_after_fix: list[Incident] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        services = sorted({s.name for i in self.incidents for s in i.services})
        return {
            "id": self.id,
            "name": self.name,
            "source": "taxonomy",
            "terms": [self.id.replace("-", " ")],
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
    stmt = select(Incident).where(Incident.id.in_(
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
        for index, incident in enumerate(theme.incidents):
            earlier_fixes = [t for prior in theme.incidents[:index] for t in _fix_times(prior)]
            if any(fixed < incident.started_at for fixed in earlier_fixes):
                theme.recurred_after_fix.append(incident)
    found = [t for t in themes.values() if len(t.incidents) >= min_incidents]
    return sorted(found, key=lambda t: (-len(t.incidents), t.name))


def themes_of(incident: Incident) -> list[dict[str, str]]:
    """The taxonomy themes an incident belongs to: [{"id", "name"}]."""
    from flask import g

    if "category_names" not in g:
        g.category_names = {c.key: c.name for c in templates.list_categories(include_inactive=True)}
    categories = g.category_names
    keys = sorted({f.category for f in incident.factors if f.category})
    return [{"id": key, "name": categories.get(key, key)} for key in keys]
