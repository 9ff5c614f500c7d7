"""The insight job: similar post-mortems and recurring themes, computed off the request path
and stored, so every worker of every instance reads the same results and no page computes.

- Text: TF-IDF (scikit-learn; sublinear tf, words and word pairs, Snowball stems) over each
  post-mortem's search document, with the templates' own words (section names, guidance) and
  words nearly every document shares left out.
- Similar: the nearest neighbours by cosine, with the terms each pair shares most.
- Detected themes: the data chooses how many there are (the communities, by Louvain, of two
  or more post-mortems in the nearest-neighbour graph); non-negative matrix factorisation of
  the TF-IDF rows finds that many themes, and a post-mortem belongs to each theme whose weight
  in it is near its strongest, so one that tells two stories is in both. Each theme is named by
  the terms that set it apart from the others (class-based TF-IDF), and keeps its id when a
  recomputation finds most of it again.
- Taxonomy themes: the factor categories, with their members.
- Recurrences: a member that started after an earlier fix of the theme was done.

One recomputation (or incremental step, incremental.py) runs at a time across workers and
instances: `acquire()` takes a lease on the single insight_state row with a conditional
UPDATE. Writers never touch that row: they queue what they wrote (search.queue_for_insights),
so they never wait for the job. When the full recomputation runs is the worker's schedule
(worker.py); `postmortem insights refresh` runs it at any time.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
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
    SearchDocument,
    Service,
    TemplateSection,
    Theme,
    ThemeMember,
    incident_services,
    utcnow,
)
from ...timeutil import isoformat
from .. import kept
from .search import mark_changed

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
NEIGHBOURS = 10
FIXES_SHOWN = 1  # the latest fix before the incident (the one that did not hold)
MEMBERSHIP = 0.3  # a theme's weight in a post-mortem, over its strongest's, that makes it a member
MOST_THEMES = 80  # NMF's time grows with the number of themes: a bound for a huge archive
# The API's theme list gives each theme's latest recurrences (with their count); the theme
# itself, or the list with ?view=full, gives them all.
RECURRENCES_LISTED = 10
WORD_RE = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[^\W\d_]{2}", re.UNICODE)


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


class Analyzer:
    """Words → Snowball stems, remembering each stem's most common spelling for names."""

    def __init__(self, stop_words: set[str]) -> None:
        import snowballstemmer

        self.stemmer = snowballstemmer.stemmer("english")
        self.stop = stop_words
        self.cache: dict[str, str] = {}
        self.spelling: dict[str, Counter[str]] = defaultdict(Counter)

    def __call__(self, text: str) -> list[str]:
        stems = []
        for word in WORD_RE.findall(text.lower()):
            if word in self.stop or len(word) < 2:
                continue
            stem = self.cache.get(word)
            if stem is None:
                stem = self.cache[word] = self.stemmer.stemWord(word)
            if stem in self.stop:
                continue
            self.spelling[stem][word] += 1
            stems.append(stem)
        return stems

    def readable(self, term: str) -> str:
        return " ".join(self.spelling[stem].most_common(1)[0][0] if self.spelling.get(stem)
                        else stem for stem in term.split())


def template_words() -> set[str]:
    """The templates' own words: section names and keys and their guidance."""
    words: set[str] = set()
    for key, title, guidance in db.session.execute(
            select(TemplateSection.key, TemplateSection.title, TemplateSection.guidance)):
        for value in (key.replace("_", " "), title, guidance or ""):
            words.update(w for w in WORD_RE.findall(value.lower()))
    return words


@dataclass
class Corpus:
    ids: list[int]
    started: dict[int, datetime]
    matrix: Any  # the l2-normalised TF-IDF rows, one per id
    terms: list[str]
    analyzer: Analyzer
    idf: Any = None  # the vectorizer's idf weights, one per term (for incremental.py)


def load_corpus() -> Corpus | None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    rows = db.session.execute(
        select(SearchDocument.incident_id, SearchDocument.title, SearchDocument.body,
               Incident.started_at)
        .join(Incident, Incident.id == SearchDocument.incident_id)
        .where(Incident.archived_at.is_(None), Incident.restricted.is_(False))
        .order_by(SearchDocument.incident_id)).all()
    if len(rows) < 2:
        return None
    analyzer = Analyzer(set(ENGLISH_STOP_WORDS) | template_words())
    documents = [f"{title}\n{title}\n{body}" for _, title, body, _ in rows]
    max_df = 0.5 if len(rows) >= 20 else 1.0
    vectorizer = TfidfVectorizer(analyzer=lambda text: _with_pairs(analyzer(text)),
                                 sublinear_tf=True, min_df=2, max_df=max_df,
                                 max_features=60_000, dtype=__import__("numpy").float32)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no term shared by two documents
        return None
    return Corpus([r[0] for r in rows], {r[0]: r[3] for r in rows}, matrix,
                  list(vectorizer.get_feature_names_out()), analyzer, vectorizer.idf_)


def with_pairs(stems: list[str]) -> list[str]:
    """The stems and each pair of neighbouring stems (the vectorizer's terms)."""
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


_with_pairs = with_pairs


# -- neighbours ----------------------------------------------------------------------------


def nearest(corpus: Corpus, k: int) -> tuple[Any, Any]:
    """(indices, scores): each row's k most similar other rows, best first."""
    import numpy as np

    matrix = corpus.matrix
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
    result: list[list[list[str]]] = []
    for start in range(0, n, 256):
        rows = np.repeat(np.arange(start, min(start + 256, n)), k)
        products = matrix[rows].multiply(matrix[indices[start:start + 256].ravel()]).tocsr()
        pairs: list[list[str]] = []
        for r in range(products.shape[0]):
            lo, hi = products.indptr[r], products.indptr[r + 1]
            data, cols = products.data[lo:hi], products.indices[lo:hi]
            best = cols[np.argsort(-data)[:top]] if hi > lo else []
            pairs.append([corpus.analyzer.readable(corpus.terms[c]) for c in best])
        result += [pairs[i:i + k] for i in range(0, len(pairs), k)]
    return result


# -- detected themes -----------------------------------------------------------------------


def communities(indices: Any, scores: Any, k: int) -> list[set[int]]:
    """Louvain communities of the k-nearest-neighbour graph, each row in one."""
    import networkx as nx

    graph = nx.Graph()
    n = indices.shape[0]
    graph.add_nodes_from(range(n))
    for row in range(n):
        for column in range(min(k, indices.shape[1])):
            weight = float(scores[row, column])
            if weight <= 0:
                continue
            other = int(indices[row, column])
            if graph.has_edge(row, other):
                graph[row][other]["weight"] = max(graph[row][other]["weight"], weight)
            else:
                graph.add_edge(row, other, weight=weight)
    groups = nx.community.louvain_communities(graph, weight="weight", seed=42, resolution=1.0)
    return [set(g) for g in groups]


def theme_terms(corpus: Corpus, groups: list[list[int]], top: int = 5) -> list[list[str]]:
    """Class-based TF-IDF: the terms frequent in a group and rare in the others."""
    import numpy as np

    sums = np.vstack([np.asarray(corpus.matrix[g].sum(axis=0)).ravel() for g in groups])
    per_group = sums / np.maximum(sums.sum(axis=1, keepdims=True), 1e-9)
    spread = (sums > 0).sum(axis=0)
    idf = np.log(1 + len(groups) / np.maximum(spread, 1))
    weights = per_group * idf
    names = []
    for row in weights:
        chosen: list[str] = []
        for column in np.argsort(-row)[: top * 4]:
            term = corpus.terms[column]
            if row[column] <= 0 or any(part in " ".join(chosen).split() for part in term.split()):
                continue
            chosen.append(term)
            if len(chosen) == top:
                break
        names.append([corpus.analyzer.readable(term) for term in chosen])
    return names


def neighbour_count(n: int) -> int:
    return max(3, min(12, round(math.log2(max(n, 2))) + 1))


# -- storing ---------------------------------------------------------------------------------


@dataclass
class Found:
    id: str | None
    source: str
    name: str
    description: str | None
    terms: list[str]
    members: dict[int, float]  # incident id → weight


def fixes_by_theme(themes: list[Found]) -> dict[int, list[tuple[datetime, int, int, str]]]:
    """For each theme (by position): the done action items that address it, oldest first:
    (completed_at, incident id, item id, title)."""
    done = db.session.execute(
        select(ActionItem.id, ActionItem.incident_id, ActionItem.title, ActionItem.completed_at,
               Factor.category)
        .outerjoin(Factor, Factor.id == ActionItem.factor_id)
        .where(ActionItem.status == ActionStatus.DONE, ActionItem.completed_at.is_not(None),
               # A restricted post-mortem's fix must not be named beside another's.
               ActionItem.incident_id.not_in(select(Incident.id).where(Incident.restricted)))
    ).all()
    by_category: dict[str, list[tuple]] = defaultdict(list)
    by_incident: dict[int, list[tuple]] = defaultdict(list)
    for item_id, incident_id, title, completed_at, category in done:
        row = (completed_at, incident_id, item_id, title)
        by_incident[incident_id].append(row)
        if category:
            by_category[category].append(row)
    result = {}
    for position, theme in enumerate(themes):
        if theme.source == "taxonomy":
            fixes = by_category.get(theme.id or "", [])
        else:
            fixes = [row for incident in theme.members for row in by_incident.get(incident, [])]
        result[position] = sorted(fixes)
    return result


def recurrences(theme: Found, fixes: list[tuple], started: dict[int, datetime]) -> dict[int, list]:
    """{incident id: [the latest fixes of the theme done before it started, newest first]}."""
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
                                "title": fix[3], "completed_at": isoformat(fix[0])}
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


def nmf_themes(corpus: Corpus, count: int) -> list[dict[int, float]]:
    """`count` themes as the NMF components of the TF-IDF rows: each is {row: weight} of the
    post-mortems whose weight in it is at least MEMBERSHIP of their strongest theme's, so a
    post-mortem that tells two stories belongs to both."""
    import warnings

    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    # A bounded number of rounds is enough to read memberships, and the reconstruction error
    # (unused) is the square root of a tiny negative number when two rows fit exactly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        weights = NMF(n_components=count, init="nndsvda", random_state=0, max_iter=300
                      ).fit_transform(corpus.matrix)
    strongest = weights.max(axis=1, keepdims=True)
    shares = np.divide(weights, strongest, out=np.zeros_like(weights), where=strongest > 0)
    return [{int(row): round(float(shares[row, column]), 3)
             for row in np.nonzero(shares[:, column] >= MEMBERSHIP)[0]}
            for column in range(count)]


def detected_found(corpus: Corpus | None, neighbours: tuple[Any, Any] | None) -> list[Found]:
    """The data chooses how many themes there are (the communities of two or more in the
    nearest-neighbour graph); NMF finds that many, letting a post-mortem belong to two."""
    if corpus is None or neighbours is None:
        return []
    indices, scores = neighbours
    groups = communities(indices, scores, neighbour_count(len(corpus.ids)))
    recurring = [group for group in groups if len(group) >= 2]
    if len(recurring) < 2:  # one theme at most: the community itself, nothing to tell apart
        themes = [dict.fromkeys(sorted(group), 1.0) for group in recurring]
    else:
        count = min(len(recurring), MOST_THEMES)
        themes = [members for members in nmf_themes(corpus, count) if len(members) >= 2]
    names = theme_terms(corpus, [sorted(members) for members in themes]) if themes else []
    return [Found(None, "detected", ", ".join(names[position][:3]) or "Recurring", None,
                  names[position], {corpus.ids[row]: weight for row, weight in members.items()})
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
            "description": theme.description, "terms": theme.terms}
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
    started = dict(db.session.execute(
        select(Incident.id, Incident.started_at).where(
            Incident.archived_at.is_(None), Incident.restricted.is_(False))).all())
    fixes = fixes_by_theme(found)
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
