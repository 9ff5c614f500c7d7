"""The insight job's incremental step: a post-mortem written since the last full
recomputation gets its similar list and its themes within a few seconds, with work bounded by
what was written, never by the archive.

Each write queues the post-mortems it touched (search.queue_for_insights). Once a queued one
has been quiet for QUIET_SECONDS (or LATEST_SECONDS after its first write, for a draft saved
every few seconds for an hour), the step:

- turns its search document into a TF-IDF vector with the vocabulary and idf weights the last
  full recomputation stored (InsightState.model);
- asks the database's full-text index for the CANDIDATES documents that share its strongest
  words, and compares it with those by cosine (what "more like this" does in a search engine);
- stores its NEIGHBOURS nearest, and puts it into the lists of those nearest to it where it is
  closer than their last;
- places it in the taxonomy themes of its factors' categories, and in the detected theme most
  of its neighbours belong to (weighted by similarity), recomputing only the themes whose
  members changed.

The full recomputation (engine.refresh) runs on a schedule (worker.py) and starts from scratch,
so whatever the incremental step approximated is set right there.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text, update

from ...extensions import db
from ...models import (
    Factor,
    FactorCategory,
    Incident,
    IncidentNeighbour,
    InsightQueue,
    InsightState,
    SearchDocument,
    Theme,
    ThemeMember,
    utcnow,
)
from .. import kept
from . import engine
from .corrections import taken_out

log = logging.getLogger(__name__)
QUIET_SECONDS = 3.0
LATEST_SECONDS = 30.0
CANDIDATES = 100
QUERY_TERMS = 12
BATCH = 20
JOIN_SHARE = 0.5  # of the neighbours' similarity, for a post-mortem to join their theme


@dataclass
class Model:
    """The last full recomputation's vocabulary: term → (column, idf)."""

    computed_at: datetime | None
    columns: dict[str, int]
    idf: list[float]
    analyzer: engine.Analyzer


_models: dict[int, Model] = {}
_models_lock = threading.Lock()


def load_model() -> Model | None:
    """The stored vocabulary, read again only when a full recomputation stored a new one."""
    computed_at = db.session.scalar(select(InsightState.computed_at).where(InsightState.id == 1))
    with _models_lock:
        held = _models.get(id(db.engine))
        if held is not None and held.computed_at == computed_at:
            return held
    blob = db.session.scalar(select(InsightState.model).where(InsightState.id == 1))
    if not blob:
        return None
    data = json.loads(zlib.decompress(blob))
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    model = Model(computed_at, {term: column for column, term in enumerate(data["terms"])},
                  data["idf"], engine.Analyzer(set(ENGLISH_STOP_WORDS) | engine.template_words()))
    with _models_lock:
        _models[id(db.engine)] = model
    return model


def vector(model: Model, title: str, body: str) -> dict[int, float]:
    """The document's l2-normalised TF-IDF weights (sublinear tf), as the full job makes them."""
    counts = Counter(engine.with_pairs(model.analyzer(f"{title}\n{title}\n{body}")))
    weights = {model.columns[term]: (1.0 + math.log(n)) * model.idf[model.columns[term]]
               for term, n in counts.items() if term in model.columns}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {column: w / norm for column, w in weights.items()}


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(column, 0.0) for column, w in a.items())


def _query_words(model: Model, weights: dict[int, float]) -> list[str]:
    """The document's strongest single words, as written (for the full-text index)."""
    terms = list(model.columns)
    words = []
    for column in sorted(weights, key=weights.__getitem__, reverse=True):
        term = terms[column] if column < len(terms) else ""
        if " " in term:
            continue
        word = model.analyzer.readable(term)
        if word.isalpha():
            words.append(word)
        if len(words) >= QUERY_TERMS:
            break
    return words


def candidates(model: Model, incident_id: int, weights: dict[int, float]) -> list[int]:
    """The live post-mortems the full-text index finds closest to these words."""
    words = _query_words(model, weights)
    if not words:
        return []
    if db.engine.dialect.name == "postgresql":
        query = " | ".join(words)
        rows = db.session.execute(text(
            "SELECT s.incident_id FROM incident_search s JOIN incidents i ON i.id = s.incident_id "
            "WHERE s.document @@ to_tsquery('english', :q) AND s.incident_id <> :id "
            "AND i.archived_at IS NULL AND i.restricted = :open "
            "ORDER BY ts_rank(s.document, to_tsquery('english', :q)) DESC LIMIT :limit"),
            {"q": query, "id": incident_id, "limit": CANDIDATES, "open": False})
    else:
        query = " OR ".join(f'"{word}"' for word in words)
        rows = db.session.execute(text(
            "SELECT f.rowid FROM incident_search_fts f JOIN incidents i ON i.id = f.rowid "
            "WHERE incident_search_fts MATCH :q AND f.rowid <> :id AND i.archived_at IS NULL "
            "AND i.restricted = :open ORDER BY rank LIMIT :limit"),
            {"q": query, "id": incident_id, "limit": CANDIDATES, "open": False})
    return [int(row[0]) for row in rows]


def _shared_words(model: Model, a: dict[int, float], b: dict[int, float]) -> list[str]:
    terms = list(model.columns)
    products = sorted(((w * b[c], c) for c, w in a.items() if c in b), reverse=True)[:3]
    return [model.analyzer.readable(terms[c]) for _, c in products]


def place(incident_id: int, model: Model) -> set[str]:
    """Store this post-mortem's similar list and themes; the ids of the themes it changed."""
    row = db.session.execute(
        select(SearchDocument.title, SearchDocument.body, Incident.archived_at,
               Incident.restricted)
        .join(Incident, Incident.id == SearchDocument.incident_id)
        .where(SearchDocument.incident_id == incident_id)).first()
    # Gone, archived or restricted: out of every similar list and every theme (a restricted
    # post-mortem's words must not name a theme or show beside another post-mortem).
    if row is None or row.archived_at is not None or row.restricted:
        db.session.execute(delete(IncidentNeighbour).where(
            (IncidentNeighbour.incident_id == incident_id)
            | (IncidentNeighbour.neighbour_id == incident_id)))
        themes = set(db.session.scalars(select(ThemeMember.theme_id)
                                        .where(ThemeMember.incident_id == incident_id)))
        db.session.execute(delete(ThemeMember).where(ThemeMember.incident_id == incident_id))
        return themes
    mine = vector(model, row.title, row.body)
    found = candidates(model, incident_id, mine)
    scored: list[tuple[float, int, dict[int, float]]] = []
    for other_id, title, body in db.session.execute(
            select(SearchDocument.incident_id, SearchDocument.title, SearchDocument.body)
            .where(SearchDocument.incident_id.in_(found))):
        theirs = vector(model, title, body)
        score = cosine(mine, theirs)
        if score > 0:
            scored.append((score, other_id, theirs))
    scored.sort(key=lambda item: (-item[0], item[1]))
    nearest = scored[:engine.NEIGHBOURS]
    db.session.execute(delete(IncidentNeighbour).where(IncidentNeighbour.incident_id == incident_id))
    if nearest:
        db.session.execute(insert(IncidentNeighbour), [
            {"incident_id": incident_id, "neighbour_id": other, "rank": rank,
             "score": round(score, 4), "terms": _shared_words(model, mine, theirs)}
            for rank, (score, other, theirs) in enumerate(nearest, 1)])
    _join_their_lists(model, incident_id, mine, nearest)
    return _place_in_themes(incident_id, nearest)


def _join_their_lists(model: Model, incident_id: int, mine: dict[int, float],
                      nearest: list[tuple[float, int, dict[int, float]]]) -> None:
    """Put the post-mortem into the similar lists of its nearest where it is closer than
    their last (or update its score where it is there already)."""
    if not nearest:
        return
    lists: dict[int, list[tuple[float, int, list[str]]]] = defaultdict(list)
    for owner, other, score, terms in db.session.execute(
            select(IncidentNeighbour.incident_id, IncidentNeighbour.neighbour_id,
                   IncidentNeighbour.score, IncidentNeighbour.terms)
            .where(IncidentNeighbour.incident_id.in_([other for _, other, _ in nearest]))):
        lists[owner].append((float(score), other, terms))
    for score, other, theirs in nearest:
        current = [entry for entry in lists[other] if entry[1] != incident_id]
        if len(current) >= engine.NEIGHBOURS and score <= min(s for s, _, _ in current):
            if len(current) != len(lists[other]):  # it fell out of their list
                _rewrite(other, current)
            continue
        current.append((round(score, 4), incident_id, _shared_words(model, theirs, mine)))
        current.sort(key=lambda entry: (-entry[0], entry[1]))
        _rewrite(other, current[:engine.NEIGHBOURS])


def _rewrite(owner: int, entries: list[tuple[float, int, list[str]]]) -> None:
    db.session.execute(delete(IncidentNeighbour).where(IncidentNeighbour.incident_id == owner))
    if entries:
        db.session.execute(insert(IncidentNeighbour), [
            {"incident_id": owner, "neighbour_id": other, "rank": rank, "score": score,
             "terms": terms} for rank, (score, other, terms) in enumerate(entries, 1)])


def _place_in_themes(incident_id: int,
                     nearest: list[tuple[float, int, dict[int, float]]]) -> set[str]:
    """The taxonomy themes of its factors' categories, and the detected theme that most of
    its neighbours' similarity points to — never one a person took it out of, hid or merged
    away (corrections.taken_out); the ids of the themes whose members changed."""
    refused = taken_out(incident_id)
    current = dict(db.session.execute(
        select(ThemeMember.theme_id, Theme.source).join(Theme)
        .where(ThemeMember.incident_id == incident_id)).all())
    categories = set(db.session.scalars(
        select(Factor.category).where(Factor.incident_id == incident_id,
                                      Factor.category.is_not(None))))
    wanted = {str(key) for key in categories}
    votes: defaultdict[str, float] = defaultdict(float)
    total = sum(score for score, _, _ in nearest)
    if nearest:
        member_of: dict[int, list[str]] = defaultdict(list)
        for theme_id, member in db.session.execute(
                select(ThemeMember.theme_id, ThemeMember.incident_id).join(Theme)
                .where(Theme.source == "detected",
                       ThemeMember.incident_id.in_([other for _, other, _ in nearest]))):
            member_of[member].append(theme_id)
        for score, other, _ in nearest:
            for theme_id in member_of.get(other, []):
                if theme_id not in refused:
                    votes[theme_id] += score
    detected = [theme_id for theme_id, source in current.items()
                if source == "detected" and theme_id not in refused]
    if votes:
        best, weight = max(votes.items(), key=lambda item: (item[1], item[0]))
        if total and weight >= JOIN_SHARE * total:
            wanted.add(best)
            detected = [theme_id for theme_id in detected if theme_id != best]
    wanted |= set(detected)  # a detected theme it was in stays until the full recomputation
    known = set(db.session.scalars(select(Theme.id).where(Theme.id.in_(wanted))))
    missing = {str(key) for key in categories if str(key) not in known}
    if missing:
        _new_taxonomy_themes(missing)
    wanted = {theme_id for theme_id in wanted if theme_id in known or theme_id in missing}
    leaving = {theme_id for theme_id, source in current.items()
               if (source == "taxonomy" or theme_id in refused) and theme_id not in wanted}
    joining = wanted - set(current)
    if leaving:
        db.session.execute(delete(ThemeMember).where(ThemeMember.incident_id == incident_id,
                                                     ThemeMember.theme_id.in_(leaving)))
    if joining:
        db.session.execute(insert(ThemeMember), [
            {"theme_id": theme_id, "incident_id": incident_id,
             "weight": round(votes[theme_id] / total, 3) if theme_id in votes and total else 1.0,
             "after": []} for theme_id in sorted(joining)])
    return leaving | joining


def _new_taxonomy_themes(keys: set[str]) -> None:
    categories = {c.key: c for c in db.session.scalars(
        select(FactorCategory).where(FactorCategory.key.in_(keys)))}
    now = utcnow()
    for key in sorted(keys):
        category = categories.get(key)
        db.session.add(Theme(id=key, source="taxonomy", created_at=now, updated_at=now,
                             name=category.name if category else key,
                             description=category.description if category else None,
                             terms=[key.replace("-", " ")], document="{}", brief="{}",
                             card={}, incident_count=0))
    db.session.flush()


def restate(theme_ids: set[str]) -> None:
    """Store these themes' documents again from their members as they are now."""
    if not theme_ids:
        return
    services = engine.service_names()
    # Written when the caller commits: worked out first, so the writes take their locks last.
    with db.session.no_autoflush:
        _restate(theme_ids, services)


def _restate(theme_ids: set[str], services: dict[int, list[str]]) -> None:
    for theme in db.session.scalars(select(Theme).where(Theme.id.in_(theme_ids))):
        rows = sorted((started, incident_id, after or []) for incident_id, started, after in
                      db.session.execute(
                          select(ThemeMember.incident_id, Incident.started_at, ThemeMember.after)
                          .join(Incident, Incident.id == ThemeMember.incident_id)
                          .where(ThemeMember.theme_id == theme.id,
                                 Incident.archived_at.is_(None),
                                 Incident.restricted.is_(False))))
        head = {"id": theme.id, "name": theme.name, "source": theme.source,
                "description": theme.description, "terms": theme.terms}
        summary = engine.theme_document(head, rows, services)
        theme.document = json.dumps(summary, separators=(",", ":"))
        theme.brief = json.dumps(engine.brief_of(summary), separators=(",", ":"))
        theme.card = engine.card_of(summary)
        theme.incident_count = len(rows)
        theme.last_seen = rows[-1][0] if rows else None
        theme.updated_at = utcnow()


def due(now: datetime, limit: int = BATCH) -> list[tuple[int, datetime]]:
    """Queued post-mortems whose writes paused (or that waited long enough)."""
    quiet, latest = now - timedelta(seconds=QUIET_SECONDS), now - timedelta(seconds=LATEST_SECONDS)
    return [(int(i), at) for i, at in db.session.execute(
        select(InsightQueue.incident_id, InsightQueue.written_at)
        .where((InsightQueue.placed_at.is_(None)) | (InsightQueue.placed_at < InsightQueue.written_at),
               (InsightQueue.written_at <= quiet) | (InsightQueue.queued_at <= latest))
        .order_by(InsightQueue.queued_at).limit(limit))]


def place_due(now: datetime | None = None, everything: bool = False) -> int:
    """Place the queued post-mortems that are due (all of them, with everything), under the
    job's lease; how many were placed (0 when the lease is taken or nothing is due)."""
    now = now or utcnow()
    pending = due(now + timedelta(days=1) if everything else now, limit=1000 if everything
                  else BATCH)
    db.session.rollback()
    if not pending:
        return 0
    owner = engine.owner()
    if engine.acquire(owner, mark=False) is None:
        return 0
    try:
        model = load_model()
        if model is None:  # no full recomputation yet: it will place everything
            return 0
        changed: set[str] = set()
        # One transaction a post-mortem, and the themes restated in one more: a save waits
        # at most for one placement's writes (its vectors are worked out before it writes),
        # never for the batch (this thread runs at a low priority, so a long transaction
        # would hold its locks for as long as requests keep the CPU busy).
        # THEMES is bumped only where a theme's members changed: a draft saved every few
        # seconds mostly stays in the themes it was in, and its similar lists are kept by
        # their own rows (similarity.similar_rows), so the pages keyed on the themes stay kept.
        for incident_id, written_at in pending:
            moved = place(incident_id, model)
            db.session.execute(update(InsightQueue).where(
                InsightQueue.incident_id == incident_id, InsightQueue.written_at == written_at)
                .values(placed_at=written_at))
            if moved:
                kept.bump(db.session, [kept.THEMES])
            db.session.commit()
            changed |= moved
        if changed:
            restate(changed)
            kept.bump(db.session, [kept.THEMES])
            db.session.commit()
        return len(pending)
    except Exception:
        db.session.rollback()
        raise
    finally:
        engine.release(owner, None, 0.0)
