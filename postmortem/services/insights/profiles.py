"""How close a text is to a detected theme, without recomputing the themes.

Each detected theme keeps a profile (Theme.profile): the centre of its members' rows (the
words and failure mechanisms of clustering.features, its strongest entries), the inverse
document frequencies of those words, and how close its own members are to it. With that, one
post-mortem saved after the last recomputation can join the theme it is closest to
(`nearest_theme`), and a contributing factor can be said to belong to a theme (recurrences).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import (
    ActionItem,
    Factor,
    Incident,
    IncidentSection,
    TemplateSection,
    Theme,
    TimelineEvent,
)
from . import clustering
from .text import DOMAIN_STOP, WORD_RE, Analyzer, Parts, mechanisms

KEPT = 400  # entries of a theme's centre that are stored
FACTOR_CLOSE = 0.12  # a factor's text this close to a theme belongs to it (cosine)


SUMMARY_KEYS = {"summary", "overview", "what_happened"}


def load_parts(ids: list[int] | None = None
               ) -> tuple[list[int], dict[int, datetime], list[Parts]]:
    """Every post-mortem neither archived nor restricted (or these), by part (text.Parts), in a
    few queries: (ids, started_at by id, parts in the order of ids)."""
    chosen = select(Incident.id, Incident.title, Incident.started_at).where(
        Incident.archived_at.is_(None), Incident.restricted.is_(False))
    if ids is not None:
        chosen = chosen.where(Incident.id.in_(ids))
    rows = db.session.execute(chosen.order_by(Incident.id)).all()
    parts = {incident_id: Parts(title=title or "") for incident_id, title, _ in rows}
    sections: dict[int, list[str]] = defaultdict(list)
    for incident_id, key, markdown in db.session.execute(
            _only(select(IncidentSection.incident_id, IncidentSection.key,
                         IncidentSection.markdown), IncidentSection.incident_id, ids)
            .order_by(IncidentSection.incident_id, IncidentSection.position)):
        part = parts.get(incident_id)
        if part is None or not markdown:
            continue
        if key in SUMMARY_KEYS:
            part.summary += "\n" + markdown
        else:
            sections[incident_id].append(markdown)
    timeline: dict[int, list[str]] = defaultdict(list)
    for incident_id, event in db.session.execute(
            _only(select(TimelineEvent.incident_id, TimelineEvent.text),
                  TimelineEvent.incident_id, ids)
            .order_by(TimelineEvent.incident_id, TimelineEvent.at, TimelineEvent.id)):
        timeline[incident_id].append(event or "")
    for incident_id, factor in db.session.execute(
            _only(select(Factor.incident_id, Factor.text), Factor.incident_id, ids)
            .order_by(Factor.id)):
        if incident_id in parts:
            parts[incident_id].factors.append(factor or "")
    actions: dict[int, list[str]] = defaultdict(list)
    for incident_id, title, description in db.session.execute(
            _only(select(ActionItem.incident_id, ActionItem.title, ActionItem.description),
                  ActionItem.incident_id, ids)
            .order_by(ActionItem.id)):
        actions[incident_id] += [title or "", description or ""]
    for incident_id, part in parts.items():
        part.sections = "\n".join(sections.get(incident_id, []))
        part.timeline = "\n".join(timeline.get(incident_id, []))
        part.actions = "\n".join(actions.get(incident_id, []))
    return ([r[0] for r in rows], {r[0]: r[2] for r in rows},
            [parts[r[0]] for r in rows])


def _only(statement: Any, column: Any, ids: list[int] | None) -> Any:
    return statement if ids is None else statement.where(column.in_(ids))


def parts_of(incident_id: int) -> Parts | None:
    """One post-mortem's text by part, or None when it is gone or archived."""
    _, _, parts = load_parts([incident_id])
    return parts[0] if parts else None


def template_words() -> set[str]:
    """The templates' own words: section names and keys and their guidance."""
    words: set[str] = set()
    for key, title, guidance in db.session.execute(
            select(TemplateSection.key, TemplateSection.title, TemplateSection.guidance)):
        for value in (key.replace("_", " "), title, guidance or ""):
            words.update(w for w in WORD_RE.findall(value.lower()))
    return words


def stop_words() -> set[str]:
    """Words the insight job never reads: English stop words, the templates' words and the
    words of every incident report (text.DOMAIN_STOP)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return set(ENGLISH_STOP_WORDS) | template_words() | DOMAIN_STOP


def profile_of(found: clustering.Features, rows: list[int]) -> dict[str, Any]:
    """A theme's profile from its members' rows: {"centre": {key: weight} (length 1),
    "idf": {term: idf}, "default_idf", "mechanism_idf", "lexicon", "weights", "threshold"}."""
    import numpy as np

    matrix = found.combined
    centre = np.asarray(matrix[rows].mean(axis=0)).ravel()
    keys = found.terms + [f"mechanism:{i}" for i in range(len(found.lexicon))]
    if len(keys) != centre.shape[0]:  # the words were reduced (LSA): no term space to keep
        return {}
    top = np.argsort(-centre)[:KEPT]
    top = top[centre[top] > 0]
    norm = float(np.linalg.norm(centre[top])) or 1.0
    centre_map = {keys[i]: round(float(centre[i]) / norm, 5) for i in top}
    full_norm = float(np.linalg.norm(centre)) or 1.0
    member = np.asarray(matrix[rows] @ centre).ravel() / full_norm
    return {
        "centre": centre_map,
        "idf": {keys[i]: round(float(found.idf[i]), 4) for i in top if i < len(found.terms)},
        "default_idf": round(float(np.max(found.idf)), 4) if len(found.idf) else 1.0,
        "mechanism_idf": [round(float(v), 4) for v in found.mechanism_idf],
        "lexicon": found.settings.lexicon,
        "weights": dict(found.settings.weights),
        "threshold": round(float(np.percentile(member, 25)) * 0.8, 4) if len(member) else 1.0,
    }


def closeness(vector: dict[str, float], profile: dict[str, Any]) -> float:
    """The cosine of a row (clustering.Features.vector, or vector_of) and a theme's centre."""
    centre = profile.get("centre") or {}
    return float(sum(weight * centre.get(key, 0.0) for key, weight in vector.items()))


def vector_of(parts: Parts, profile: dict[str, Any], analyzer: Analyzer | None = None
              ) -> dict[str, float]:
    """One post-mortem as a row comparable with the stored profiles (the same weights, idf
    and lexicon share as the last recomputation; a word none of them knows counts with the
    highest idf)."""
    import numpy as np

    analyzer = analyzer or Analyzer(stop_words())
    weights = profile.get("weights") or {}
    stems = {name: analyzer(text) for name, text in parts.texts().items()}
    counts = clustering.weighted_counts(stems, weights)
    idf = profile.get("idf") or {}
    default = float(profile.get("default_idf") or 1.0)
    words = {t: math.log1p(c) * float(idf.get(t, default)) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in words.values())) or 1.0
    lexicon = mechanisms(analyzer)
    mech_idf = np.asarray(profile.get("mechanism_idf") or [1.0] * len(lexicon))
    mech = clustering.mechanism_row(stems, lexicon, weights)
    if mech.shape == mech_idf.shape:
        mech = mech * mech_idf
    mech_norm = float(np.linalg.norm(mech)) or 1.0
    share = float(profile.get("lexicon") or 0.0)
    a, b = math.sqrt(1 - share), math.sqrt(share)
    row = {t: a * v / norm for t, v in words.items()}
    row.update({f"mechanism:{i}": b * float(v) / mech_norm for i, v in enumerate(mech) if v})
    total = math.sqrt(sum(v * v for v in row.values())) or 1.0
    return {k: v / total for k, v in row.items()}


def nearest_theme_of(incident_id: int) -> tuple[str, float] | None:
    """nearest_theme for a stored post-mortem, by id (None when it is gone or archived)."""
    parts = parts_of(incident_id)
    return nearest_theme(parts) if parts is not None else None


def nearest_theme(parts: Parts | dict[str, float]) -> tuple[str, float] | None:
    """The stored detected theme (not hidden) one post-mortem is closest to, as (theme id,
    cosine), when it is as close as the theme's own members usually are; else None.
    `parts` is the post-mortem's text by part (text.Parts) or a row from vector_of. For the
    insight job's step after one saved post-mortem: no recomputation, one query."""
    stored = db.session.execute(
        select(Theme.id, Theme.profile).where(Theme.source == "detected",
                                              Theme.hidden.is_(False))).all()
    if isinstance(parts, Parts) and not any(parts.texts().values()):
        return None
    best: tuple[str, float] | None = None
    analyzer = Analyzer(stop_words()) if isinstance(parts, Parts) else None
    for theme_id, profile in stored:
        if not profile:
            continue
        vector = vector_of(parts, profile, analyzer) if isinstance(parts, Parts) else parts
        score = closeness(vector, profile)
        if score >= float(profile.get("threshold") or 1.0) and (best is None or score > best[1]):
            best = (theme_id, round(score, 4))
    return best
