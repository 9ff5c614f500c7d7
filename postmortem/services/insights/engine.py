"""The insight job: similar post-mortems and recurring themes, computed off the request path
and stored, so every worker of every instance reads the same results and no page computes.

- Text (text.py, clustering.py): each post-mortem by part — title, summary, contributing
  factors, other sections, timeline, action items — weighted by how much it says about what
  failed; tf-idf of Snowball stems and stem pairs, with the templates' own words and the words
  of every incident report left out, and beside them the failure-mechanism lexicon
  (data/mechanisms.yaml) counted per mechanism.
- Similar: the nearest neighbours by cosine in those rows, with the whole words or word pairs
  each pair shares most.
- Detected themes (clustering.py): NMF for each candidate number of themes; the number whose
  groups come out the same from several starts wins. A post-mortem belongs to each theme whose
  weight in it is near its strongest (one that tells two stories is in both), and to none when
  the themes explain little of it; no theme holds more than 30 % of the archive. Each is named
  by a phrase its members use (naming.py), keeps a profile of its centre (profiles.py), keeps
  its id when a recomputation finds most of it again, and has people's corrections applied
  again (corrections.py).
- Taxonomy themes: the factor categories, with their members.
- Recurrences: a member that started after a fix of a contributing factor belonging to the
  theme was done (the factor named).
- Category suggestions: the classifier is retrained on the categorised factors
  (suggestions.py).

One recomputation (or incremental step, incremental.py) runs at a time across workers and
instances: `acquire()` takes a lease on the single insight_state row with a conditional
UPDATE. Writers never touch that row: they queue what they wrote (search.queue_for_insights),
so they never wait for the job. When the full recomputation runs is the worker's schedule
(worker.py); `postmortem insights refresh` runs it at any time.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import zlib
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, update

from ...extensions import db
from ...models import (
    ActionItem,
    ActionStatus,
    Factor,
    FactorCategory,
    Incident,
    IncidentNeighbour,
    InsightQueue,
    InsightState,
    Service,
    Theme,
    ThemeMember,
    incident_services,
    utcnow,
)
from ...timeutil import isoformat
from .. import kept
from . import clustering, naming, profiles, suggestions
from .corrections import apply_corrections
from .profiles import load_parts, stop_words, template_words
from .search import mark_changed
from .text import DOMAIN_STOP, WORD_RE, Analyzer, Parts, with_pairs

# Where these lived before text.py and profiles.py (incremental.py reads them here).
__all__ = ["WORD_RE", "Analyzer", "load_parts", "template_words", "with_pairs"]

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
NEIGHBOURS = 10
FIXES_SHOWN = 1  # the latest fix before the incident (the one that did not hold)
# The API's theme list gives each theme's latest recurrences (with their count); the theme
# itself, or the list with ?view=full, gives them all.
RECURRENCES_LISTED = 10


@dataclass
class Outcome:
    incidents: int = 0
    detected: int = 0
    taxonomy: int = 0
    kept_ids: int = 0
    seconds: float = 0.0
    skipped: bool = False
    notes: list[str] = field(default_factory=list)


# -- the lease -----------------------------------------------------------------------------


def owner() -> str:
    """Who holds the lease: this host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def state() -> InsightState | None:
    return db.session.get(InsightState, 1)


def acquire(owner: str, mark: bool = True) -> int | None:
    """Take the recomputation lease; the change counter it covers, or None when another
    worker holds it (or, without mark, when nothing was ever computed)."""
    now = utcnow()
    if state() is None:
        if not mark:
            return None
        mark_changed()
        db.session.commit()
    taken = db.session.execute(
        update(InsightState).where(InsightState.id == 1, or_(
            InsightState.locked_until.is_(None), InsightState.locked_until < now))
        .values(locked_until=now + LEASE, locked_by=owner[:100]))
    db.session.commit()
    if not taken.rowcount:  # type: ignore[attr-defined]
        return None
    current = state()
    return current.changes if current else 0


def release(owner: str, changes: int | None, seconds: float, error: str | None = None) -> None:
    """Give the lease back; with changes, after a full recomputation (its error, or none)."""
    values: dict[str, Any] = {"locked_until": None, "locked_by": None}
    if changes is not None or error is not None:
        values["error"] = error
    if changes is not None:
        values.update(computed_changes=changes, computed_at=utcnow(), seconds=seconds)
    db.session.execute(update(InsightState).where(
        InsightState.id == 1, InsightState.locked_by == owner[:100]).values(**values))
    db.session.commit()


def needs_refresh() -> bool:
    """Never computed, asked for (mark_changed), or post-mortems written since the last one."""
    current = state()
    return (current is None or current.computed_at is None
            or current.computed_changes < current.changes or changed_since() > 0)


def changed_since() -> int:
    """How many post-mortems were written since the last full recomputation."""
    return db.session.scalar(select(func.count()).select_from(InsightQueue)) or 0


def refresh(force: bool = False) -> Outcome:
    """Recompute similar post-mortems and themes when the archive changed since the last time
    (or always, with force). Returns what it did; skipped when another worker is at it."""
    db.session.rollback()
    if not force and not needs_refresh():
        return Outcome(skipped=True, notes=["up to date"])
    holder = owner()
    changes = acquire(holder)
    if changes is None:
        return Outcome(skipped=True, notes=["another worker is recomputing"])
    started = time.perf_counter()
    try:
        outcome = compute_and_store()
    except Exception as error:
        db.session.rollback()
        release(holder, None, 0.0, f"{type(error).__name__}: {error}"[:2000])
        raise
    outcome.seconds = time.perf_counter() - started
    release(holder, changes, outcome.seconds)
    if db.engine.dialect.name == "sqlite":
        # Keep the query planner's statistics current as the archive grows (cheap when they
        # are): SQLite does not gather them by itself; PostgreSQL's autovacuum does.
        db.session.execute(text("PRAGMA optimize"))
        db.session.commit()
    return outcome


# -- text ----------------------------------------------------------------------------------


@dataclass
class Corpus:
    ids: list[int]
    started: dict[int, datetime]
    matrix: Any  # the l2-normalised tf-idf rows of the words, one per id
    terms: list[str]
    analyzer: Analyzer
    idf: Any = None  # the words' idf weights, one per term (for incremental.py)
    # The rows themes and neighbours are found in (words and failure mechanisms), and what
    # turns one more post-mortem into such a row (clustering.Features.vector).
    features: clustering.Features | None = None
    texts: list[str] = field(default_factory=list)  # title, summary and factors: for names

    @property
    def rows(self) -> Any:
        return self.features.combined if self.features is not None else self.matrix


def load_corpus(settings: clustering.Settings | None = None) -> Corpus | None:
    """The archive's post-mortems as rows (clustering.features); None when fewer than two or
    when no term is shared by two of them."""
    ids, started, parts = load_parts()
    if len(ids) < 2:
        return None
    analyzer = Analyzer(stop_words())
    found = clustering.features(parts, analyzer, settings or clustering.Settings())
    if found is None:
        return None
    texts = [f"{p.title}\n{p.summary}\n" + "\n".join(p.factors) for p in parts]
    return Corpus(ids, started, found.words, found.terms, analyzer, found.idf, found, texts)


_with_pairs = with_pairs


# -- neighbours ----------------------------------------------------------------------------


def nearest(corpus: Corpus, k: int) -> tuple[Any, Any]:
    """(indices, scores): each row's k most similar other rows, best first."""
    import numpy as np

    matrix = corpus.rows
    n = matrix.shape[0]
    k = min(k, n - 1)
    indices = np.zeros((n, k), dtype=np.int64)
    scores = np.zeros((n, k), dtype=np.float32)
    transposed = matrix.T.tocsr()
    for start in range(0, n, 512):
        block = (matrix[start:start + 512] @ transposed).toarray()
        for row in range(block.shape[0]):
            block[row, start + row] = -1.0
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        indices[start:start + 512] = np.take_along_axis(top, order, axis=1)
        scores[start:start + 512] = np.take_along_axis(top_scores, order, axis=1)
    return indices, scores


def shared_terms(corpus: Corpus, indices: Any, top: int = 3) -> list[list[list[str]]]:
    """For each row and each of its neighbours, the terms whose weights they share most."""
    import numpy as np

    matrix = corpus.matrix
    n, k = indices.shape
    # A phrase of the failure-mechanism lexicon, or two words together, says more than one
    # word alone ("control plane", not "control" and "plane"): weighted up before choosing.
    lexicon = {" ".join(p) for m in (corpus.features.lexicon if corpus.features else [])
               for p in m.phrases}
    boost = np.array([2.0 if term in lexicon else 1.5 if " " in term else 1.0
                      for term in corpus.terms], dtype=np.float32)
    result: list[list[list[str]]] = []
    for start in range(0, n, 256):
        rows = np.repeat(np.arange(start, min(start + 256, n)), k)
        products = matrix[rows].multiply(matrix[indices[start:start + 256].ravel()]).tocsr()
        pairs: list[list[str]] = []
        for r in range(products.shape[0]):
            lo, hi = products.indptr[r], products.indptr[r + 1]
            data, cols = products.data[lo:hi], products.indices[lo:hi]
            data = data * boost[cols]
            chosen: list[str] = []
            for c in (cols[np.argsort(-data)[:top * 4]] if hi > lo else []):
                words = corpus.analyzer.readable(corpus.terms[c])
                # Whole words a person would say: no fragments, no word shown twice.
                if not readable_reason(words) or any(
                        set(words.split()) & set(other.split()) for other in chosen):
                    continue
                chosen.append(words)
                if len(chosen) == top:
                    break
            pairs.append(chosen)
        result += [pairs[i:i + k] for i in range(0, len(pairs), k)]
    return result


def readable_reason(words: str) -> bool:
    """A reason worth showing: every word at least three characters (or an acronym such as
    'db') with a letter in it, none of them a word of every incident report."""
    return all((len(w) >= 3 or w in ("db", "ca", "ip", "os")) and any(c.isalpha() for c in w)
               and w.lower() not in DOMAIN_STOP for w in words.split())


# -- detected themes -----------------------------------------------------------------------


def theme_terms(corpus: Corpus, groups: list[list[int]], top: int = 5) -> list[list[str]]:
    """Class-based TF-IDF: the terms frequent in a group and rare in the others, as written."""
    return [[corpus.analyzer.readable(term) for term in terms]
            for terms in clustering.distinguishing_terms(corpus.matrix, corpus.terms, groups, top)]


# -- storing ---------------------------------------------------------------------------------


@dataclass
class Found:
    id: str | None
    source: str
    name: str
    description: str | None
    terms: list[str]
    members: dict[int, float]  # incident id → weight
    profile: dict[str, Any] | None = None  # detected: profiles.profile_of
    named_by: str | None = None  # a person's name, once someone corrected the theme
    hidden: bool = False


def fixes_by_theme(themes: list[Found], corpus: Corpus | None = None
                   ) -> dict[int, list[tuple[datetime, int, int, str, str]]]:
    """For each theme (by position): the done action items that address a contributing factor
    belonging to it, oldest first: (completed_at, incident id, item id, title, factor text).
    A factor belongs to a taxonomy theme by its category, and to the detected theme its
    text is closest to, when close enough (profiles.FACTOR_CLOSE)."""
    done = db.session.execute(
        select(ActionItem.id, ActionItem.incident_id, ActionItem.title, ActionItem.completed_at,
               Factor.id, Factor.category, Factor.text)
        .join(Factor, Factor.id == ActionItem.factor_id)
        .where(ActionItem.status == ActionStatus.DONE, ActionItem.completed_at.is_not(None),
               # A restricted post-mortem's fix must not be named beside another's.
               ActionItem.incident_id.not_in(select(Incident.id).where(Incident.restricted)))
    ).all()
    by_category: dict[str, list[tuple]] = defaultdict(list)
    by_theme: dict[int, list[tuple]] = defaultdict(list)
    detected = [(position, theme) for position, theme in enumerate(themes)
                if theme.source == "detected" and theme.profile]
    closest: dict[int, int | None] = {}
    for item_id, incident_id, title, completed_at, factor_id, category, factor in done:
        row = (completed_at, incident_id, item_id, title, factor or "")
        if category:
            by_category[category].append(row)
        if corpus is None or corpus.features is None or not detected:
            continue
        if factor_id not in closest:
            vector = corpus.features.vector(Parts(factors=[factor or ""]))
            scored = [(profiles.closeness(vector, theme.profile or {}), position)
                      for position, theme in detected if incident_id in theme.members]
            best = max(scored, default=(0.0, None))
            closest[factor_id] = best[1] if best[0] >= profiles.FACTOR_CLOSE else None
        position = closest[factor_id]
        if position is not None:
            by_theme[position].append(row)
    result = {}
    for position, theme in enumerate(themes):
        if theme.source == "taxonomy":
            fixes = by_category.get(theme.id or "", [])
        else:
            fixes = by_theme.get(position, [])
        result[position] = sorted(fixes)
    return result


def recurrences(theme: Found, fixes: list[tuple], started: dict[int, datetime]) -> dict[int, list]:
    """{incident id: [the latest fixes of the theme done before it started, newest first]},
    each with the contributing factor it addressed."""
    members = sorted((started[i], i) for i in theme.members if i in started)
    latest: deque[tuple] = deque(maxlen=FIXES_SHOWN)
    position, found = 0, {}
    for moment, incident in members:
        while position < len(fixes) and fixes[position][0] < moment:
            if fixes[position][1] != incident:
                latest.append(fixes[position])
            position += 1
        if latest:
            found[incident] = [{"incident": f"INC-{fix[1]}", "action_item_id": fix[2],
                                "title": fix[3], "completed_at": isoformat(fix[0]),
                                "factor": fix[4]}
                               for fix in reversed(latest)]
    return found


def taxonomy_found() -> list[Found]:
    categories = {c.key: c for c in db.session.scalars(select(FactorCategory))}
    members: dict[str, set[int]] = defaultdict(set)
    for incident_id, key in db.session.execute(
            select(Factor.incident_id, Factor.category).join(Incident)
            .where(Factor.category.is_not(None), Incident.archived_at.is_(None),
                   Incident.restricted.is_(False))):
        members[str(key)].add(incident_id)
    found = []
    for key, ids in sorted(members.items()):
        category = categories.get(key)
        found.append(Found(key, "taxonomy", category.name if category else key,
                           category.description if category else None,
                           [key.replace("-", " ")], dict.fromkeys(ids, 1.0)))
    return found


def detected_found(corpus: Corpus | None, neighbours: tuple[Any, Any] | None = None) -> list[Found]:
    """Themes found in the post-mortems' words and failure mechanisms (clustering.detect),
    each named by a phrase its members use (naming.theme_names), with its terms and the
    profile that tells how close another text is to it."""
    if corpus is None or corpus.features is None:
        return []
    themes = clustering.detect(corpus.features)
    if not themes:
        return []
    groups = [sorted(members) for members in themes]
    keywords = clustering.distinguishing_terms(corpus.matrix, corpus.terms, groups, 8)
    names = naming.theme_names(corpus.texts, groups, corpus.analyzer, keywords)
    return [Found(None, "detected", names[position], None,
                  [corpus.analyzer.readable(t) for t in keywords[position][:5]],
                  {corpus.ids[row]: weight for row, weight in members.items()},
                  profiles.profile_of(corpus.features, groups[position]))
            for position, members in enumerate(themes)]


def keep_ids(found: list[Found]) -> int:
    """Give each detected theme the id of the stored one it mostly is (stable links); new ones
    get new ids. Returns how many kept an id."""
    previous: dict[str, set[int]] = defaultdict(set)
    for theme_id, incident_id in db.session.execute(
            select(ThemeMember.theme_id, ThemeMember.incident_id).join(Theme)
            .where(Theme.source == "detected")):
        previous[theme_id].add(incident_id)
    candidates = []
    for position, theme in enumerate(found):
        if theme.source != "detected":
            continue
        for theme_id, members in previous.items():
            common = len(members & set(theme.members))
            if common * 2 >= min(len(members), len(theme.members)) and common:
                candidates.append((common / len(members | set(theme.members)), position, theme_id))
    used_ids: set[str] = set()
    kept = 0
    for _, position, theme_id in sorted(candidates, reverse=True):
        if found[position].id is None and theme_id not in used_ids:
            found[position].id = theme_id
            used_ids.add(theme_id)
            kept += 1
    numbers = [int(i.rsplit("-", 1)[1]) for i in db.session.scalars(
        select(Theme.id).where(Theme.source == "detected")) if i.rsplit("-", 1)[1].isdigit()]
    next_number = max(numbers, default=0) + 1
    for theme in found:
        if theme.id is None:
            theme.id = f"detected-{next_number}"
            next_number += 1
    return kept


def service_names() -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for incident_id, name in db.session.execute(
            select(incident_services.c.incident_id, Service.name)
            .join(Service, Service.id == incident_services.c.service_id)):
        names[incident_id].append(name)
    return names


def theme_document(head: dict[str, Any], rows: list[tuple[datetime, int, list]],
                   services: dict[int, list[str]]) -> dict[str, Any]:
    """A theme as the API gives it: head ({"id", "name", "source", "description", "terms"})
    and its members as (started_at, incident id, the fixes it came back after), oldest first."""
    months = Counter(moment.strftime("%Y-%m") for moment, _, _ in rows)
    if "named_by" not in head:  # a head made without the people's corrections shown with it
        stored = db.session.get(Theme, head.get("id")) if head.get("id") else None
        head = {**head, "named_by": stored.named_by if stored else None,
                "hidden": bool(stored.hidden) if stored else False}
    return {
        **head,
        "incident_count": len(rows),
        "incidents": [f"INC-{i}" for _, i, _ in rows],
        "services": sorted({name for _, i, _ in rows for name in services.get(i, [])}),
        "first_seen": isoformat(rows[0][0]) if rows else None,
        "last_seen": isoformat(rows[-1][0]) if rows else None,
        "recurred_after_fix": [f"INC-{i}" for _, i, after in rows if after],
        "recurrence_count": sum(1 for _, _, after in rows if after),
        "recurrences": [{"key": f"INC-{i}", "after": after} for _, i, after in rows if after],
        "incidents_by_month": [{"month": month, "incidents": count}
                               for month, count in sorted(months.items())],
    }


def summarise(theme: Found, after: dict[int, list], started: dict[int, datetime],
              services: dict[int, list[str]]) -> dict[str, Any]:
    """The theme as the API lists it, over the whole archive."""
    rows = sorted((started[i], i, after.get(i, [])) for i in theme.members if i in started)
    head = {"id": theme.id, "name": theme.name, "source": theme.source,
            "description": theme.description, "terms": theme.terms,
            "named_by": theme.named_by, "hidden": theme.hidden}
    return theme_document(head, rows, services)


def brief_of(summary: dict[str, Any]) -> dict[str, Any]:
    """The theme as the API's list gives it by default: every member and service, but only the
    latest RECURRENCES_LISTED recurrences (`recurrence_count` says how many there are) and no
    `incidents_by_month`. At ten thousand post-mortems, every recurrence of every theme with
    the fix it came after is megabytes, for a list that is read far more often than studied."""
    brief = {k: v for k, v in summary.items() if k != "incidents_by_month"}
    brief["recurred_after_fix"] = summary["recurred_after_fix"][-RECURRENCES_LISTED:]
    brief["recurrences"] = summary["recurrences"][-RECURRENCES_LISTED:]
    return brief


def card_of(summary: dict[str, Any], shown: int = 5) -> dict[str, Any]:
    """What the themes page shows of a theme: the summary without its long member lists."""
    card = {k: v for k, v in summary.items()
            if k not in ("incidents", "recurred_after_fix", "recurrences")}
    card["recent"] = summary["incidents"][-shown:]
    card["recurred_recent"] = summary["recurred_after_fix"][-shown:]
    card["recurrences_recent"] = summary["recurrences"][-3:]
    return card


def model_blob(corpus: Corpus | None) -> bytes | None:
    """The vocabulary and idf weights the incremental step places new post-mortems with,
    compressed JSON."""
    if corpus is None or corpus.idf is None:
        return None
    return zlib.compress(json.dumps(
        {"terms": corpus.terms, "idf": [round(float(x), 5) for x in corpus.idf]},
        separators=(",", ":")).encode(), 6)


def compute_and_store() -> Outcome:
    run_started = utcnow()
    corpus = load_corpus()
    neighbours = None
    pairs: list[list[list[str]]] = []
    if corpus is not None:
        neighbours = nearest(corpus, NEIGHBOURS)
        pairs = shared_terms(corpus, neighbours[0])
    found = taxonomy_found() + detected_found(corpus, neighbours)
    kept_count = keep_ids(found)
    found = [t for t in apply_corrections(found) if len(t.members) >= 1]
    started = dict(db.session.execute(
        select(Incident.id, Incident.started_at).where(
            Incident.archived_at.is_(None), Incident.restricted.is_(False))).all())
    fixes = fixes_by_theme(found, corpus)
    now = utcnow()

    db.session.execute(delete(IncidentNeighbour))
    if corpus is not None and neighbours is not None:
        indices, scores = neighbours
        rows = [{"incident_id": corpus.ids[r], "neighbour_id": corpus.ids[int(indices[r, c])],
                 "rank": c + 1, "score": round(float(scores[r, c]), 4), "terms": pairs[r][c]}
                for r in range(indices.shape[0]) for c in range(indices.shape[1])
                if scores[r, c] > 0]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(IncidentNeighbour), rows[start:start + 5000])
    db.session.execute(delete(ThemeMember))
    current_ids = {theme.id for theme in found}
    db.session.execute(delete(Theme).where(Theme.id.not_in(current_ids)) if current_ids
                       else delete(Theme))
    existing = {t.id: t for t in db.session.scalars(select(Theme))}
    services = service_names()
    members = []
    for position, theme in enumerate(found):
        assert theme.id is not None
        row = existing.get(theme.id)
        if row is None:
            row = Theme(id=theme.id, source=theme.source, created_at=now)
            db.session.add(row)
        after = recurrences(theme, fixes[position], started)
        row.name, row.description, row.terms, row.updated_at = (
            theme.name, theme.description, theme.terms, now)
        row.profile, row.hidden, row.named_by = theme.profile, theme.hidden, theme.named_by
        summary = summarise(theme, after, started, services)
        row.document = json.dumps(summary, separators=(",", ":"))
        row.brief = json.dumps(brief_of(summary), separators=(",", ":"))
        row.card = card_of(summary)
        row.incident_count = len(theme.members)
        row.last_seen = max((started[i] for i in theme.members if i in started), default=None)
        members += [{"theme_id": theme.id, "incident_id": incident, "weight": weight,
                     "after": after.get(incident, [])}
                    for incident, weight in theme.members.items()]
    db.session.flush()
    for start in range(0, len(members), 5000):
        db.session.execute(insert(ThemeMember), members[start:start + 5000])
    suggestions.train()
    # What was written before this run is in it; what was written since waits for the
    # incremental step. The vocabulary is kept for that step; kept answers about themes go.
    db.session.execute(delete(InsightQueue).where(InsightQueue.written_at < run_started))
    db.session.execute(update(InsightState).where(InsightState.id == 1)
                       .values(model=model_blob(corpus)))
    kept.bump(db.session, [kept.THEMES])
    db.session.commit()
    return Outcome(incidents=len(corpus.ids) if corpus else 0,
                   detected=sum(t.source == "detected" for t in found),
                   taxonomy=sum(t.source == "taxonomy" for t in found), kept_ids=kept_count)
