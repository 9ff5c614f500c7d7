"""Similar post-mortems and full-text search, by TF-IDF over each incident's own words
(title, narrative, timeline, factors, action items). Pure Python: no model, no network."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ...errors import ValidationError
from ...extensions import db
from ...models import Incident
from ..incidents.queries import WHOLE_INCIDENT

WORD_RE = re.compile(r"[a-z0-9][a-z0-9_-]{2,}")
STOPWORDS = frozenset("""
the and for with that this was were are not but from have has had into onto our out over than
then they them their there these those when what which while who why how all any can could
did does doing done each few more most other some such only own same too very will would
about after again against before being below between both during further here its itself just
once under until upon also been because off per via yet may might must shall should
""".split())
TITLE_WEIGHT = 3


@dataclass
class TextIndex:
    key: tuple[str, int, datetime | None]
    ids: list[int]
    texts: dict[int, str]
    vectors: dict[int, dict[str, float]]
    idf: dict[str, float]


_cache: dict[str, TextIndex] = {}


def words(text: str) -> list[str]:
    """The searchable words: three characters or more, with a letter, not a stop word."""
    return [w for w in WORD_RE.findall(text.lower())
            if w not in STOPWORDS and any(c.isalpha() for c in w)]


def incident_text(incident: Incident) -> str:
    parts = [incident.title]
    parts += [section.markdown for section in incident.sections]
    parts += [event.text for event in incident.timeline]
    parts += [factor.text for factor in incident.factors]
    parts += [item.title for item in incident.action_items]
    return "\n".join(part for part in parts if part)


def text_index() -> TextIndex:
    """The TF-IDF index, rebuilt only when an incident was added or changed."""
    state = db.session.execute(select(func.count(Incident.id), func.max(Incident.updated_at))).one()
    key = (str(db.engine.url), state[0], state[1])
    cached = _cache.get("index")
    if cached is not None and cached.key == key:
        return cached
    incidents = list(db.session.scalars(
        select(Incident).where(Incident.archived_at.is_(None)).options(*WHOLE_INCIDENT)))
    texts = {i.id: incident_text(i) for i in incidents}
    counts: dict[int, Counter[str]] = {}
    for incident in incidents:
        counter = Counter(words(texts[incident.id]))
        for word in words(incident.title):
            counter[word] += TITLE_WEIGHT - 1
        counts[incident.id] = counter
    documents = max(len(incidents), 1)
    frequency: Counter[str] = Counter()
    for counter in counts.values():
        frequency.update(counter.keys())
    idf = {word: math.log((1 + documents) / (1 + n)) + 1 for word, n in frequency.items()}
    vectors = {}
    for incident_id, counter in counts.items():
        vector = {word: (1 + math.log(n)) * idf[word] for word, n in counter.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        vectors[incident_id] = {word: v / norm for word, v in vector.items()}
    index = TextIndex(key, [i.id for i in incidents], texts, vectors, idf)
    _cache["index"] = index
    return index


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(word, 0.0) for word, value in a.items())


def similar_incidents(incident: Incident, limit: int = 5) -> list[dict[str, Any]]:
    """[{"key", "title", "score"}], most similar first, the incident itself excluded."""
    index = text_index()
    own = index.vectors.get(incident.id, {})
    scored = [(round(cosine(own, vector), 4), other_id)
              for other_id, vector in index.vectors.items() if other_id != incident.id]
    scored = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], -s[1]))[:limit]
    found = {i.id: i for i in db.session.scalars(
        select(Incident).where(Incident.id.in_([incident_id for _, incident_id in scored])))}
    return [{"key": found[i].key, "title": found[i].title, "score": score} for score, i in scored]


def search_incidents(query: object) -> list[dict[str, Any]]:
    """[{"key", "title", "snippet", "score"}] for the incidents matching the words of query,
    best first. ValidationError when the query has no searchable word."""
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("Give a search query.", fields={"q": ["is required"]})
    terms = sorted(set(words(query[:500])))
    if not terms:
        raise ValidationError("The query has no searchable words.",
                              fields={"q": ["use words of three letters or more"]})
    index = text_index()
    weights = {term: index.idf.get(term, 0.0) for term in terms}
    results = []
    for incident_id, vector in index.vectors.items():
        matched = [t for t in terms if t in vector]
        if not matched:
            continue
        score = sum(vector[t] * weights[t] for t in matched) * len(matched) / len(terms)
        results.append((round(score, 4), incident_id, matched))
    results.sort(key=lambda r: (-r[0], -r[1]))
    found = {i.id: i for i in db.session.scalars(
        select(Incident).where(Incident.id.in_([r[1] for r in results])))}
    return [{"key": found[i].key, "title": found[i].title,
             "snippet": snippet(index.texts[i], matched), "score": score}
            for score, i, matched in results]


def snippet(text: str, terms: list[str], width: int = 160) -> str:
    """About `width` characters of text around the first matching word, on one line."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    positions = [p for p in (lowered.find(t) for t in terms) if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = flat[start:start + width]
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(flat) else "")
