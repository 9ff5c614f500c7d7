"""A category suggested for each contributing factor that has none.

Learned from the factors this archive has already categorised: a linear classifier (logistic
regression) over the factor's words (tf-idf of stems and stem pairs) and the failure-mechanism
lexicon (data/mechanisms.yaml), trained by the insight job and stored (CategoryModel). Before
there are enough categorised factors, and for a category none of them has yet, the taxonomy
itself answers: the lexicon's phrases and the category's name and description. A suggestion
is never applied silently; a person accepts it with an ordinary factor update."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import g
from sqlalchemy import select

from ...extensions import db
from ...models import CategoryModel, Factor, FactorCategory, utcnow
from .. import kept
from .profiles import stop_words
from .text import Analyzer, mechanism_counts, mechanisms, with_pairs

LEARN_FROM = 4  # categorised factors (of two categories or more) before the classifier speaks
KEPT = 300  # strongest words kept per category in the stored model
SHOWN = 0.15  # the least confidence a suggestion needs to be shown
BLEND = 0.7  # the classifier's share beside the taxonomy's (once there is a classifier)
LEXICON_WEIGHT = 0.6  # the lexicon block's length beside the words' (both l2 = 1 before)


@dataclass
class Category:
    key: str
    name: str
    description: str


def _vector(stems: list[str], idf: dict[str, float], lexicon_keys: list[str],
            lexicon_counts: list[float]) -> dict[str, float]:
    counts = Counter(with_pairs(stems))
    words = {t: (1 + math.log(c)) * idf[t] for t, c in counts.items() if t in idf}
    norm = math.sqrt(sum(v * v for v in words.values())) or 1.0
    row = {t: v / norm for t, v in words.items()}
    by_key: dict[str, float] = {}
    for key, count in zip(lexicon_keys, lexicon_counts, strict=True):
        by_key[key] = by_key.get(key, 0.0) + count
    mech = {f"lexicon:{k}": math.log1p(c) for k, c in by_key.items() if c}
    mech_norm = math.sqrt(sum(v * v for v in mech.values())) or 1.0
    row.update({k: LEXICON_WEIGHT * v / mech_norm for k, v in mech.items()})
    return row


def train_model(texts: list[str], labels: list[str], analyzer: Analyzer) -> dict[str, Any]:
    """The classifier as stored: {"classes", "coef": {class: {feature: w}}, "intercept":
    {class: b}, "idf": {term: idf}, "counts": {class: n}}; {} with too little to learn from."""
    import warnings

    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    if len(texts) < LEARN_FROM or len(set(labels)) < 2:
        return {}
    lexicon = mechanisms(analyzer)
    keys = [m.key for m in lexicon]
    stems = [analyzer(t) for t in texts]
    df: Counter[str] = Counter()
    for s in stems:
        df.update(set(with_pairs(s)))
    n = len(texts)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    rows = [_vector(s, idf, keys, mechanism_counts(s, lexicon)) for s in stems]
    features = sorted({f for r in rows for f in r})
    index = {f: i for i, f in enumerate(features)}
    matrix = sparse.csr_matrix(
        ([v for r in rows for v in r.values()],
         ([i for i, r in enumerate(rows) for _ in r], [index[f] for r in rows for f in r])),
        shape=(n, len(features)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
        model.fit(matrix, labels)
    classes = [str(c) for c in model.classes_]
    coef = model.coef_ if len(classes) > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
    intercept = (model.intercept_ if len(classes) > 2
                 else np.array([-model.intercept_[0], model.intercept_[0]]))
    stored: dict[str, dict[str, float]] = {}
    kept_terms: set[str] = set()
    for position, name in enumerate(classes):
        row = coef[position]
        top = np.argsort(-np.abs(row))[:KEPT]
        stored[name] = {features[i]: round(float(row[i]), 4) for i in top if row[i]}
        kept_terms |= {f for f in stored[name] if not f.startswith("lexicon:")}
    return {"classes": classes, "coef": stored,
            "intercept": {c: round(float(b), 4) for c, b in zip(classes, intercept, strict=True)},
            "idf": {t: round(idf[t], 4) for t in kept_terms},
            "counts": dict(Counter(labels))}


def suggest(text: str, categories: list[Category], model: dict[str, Any],
            analyzer: Analyzer) -> dict[str, Any] | None:
    """{"key", "name", "score" (0–1), "because"} for a factor's text, or None when nothing
    fits well enough: the classifier's probabilities blended with the taxonomy's own (its
    lexicon phrases and the categories' names and descriptions)."""
    stems = analyzer(text or "")
    if not stems or not categories:
        return None
    names = {c.key: c.name for c in categories}
    lexicon = mechanisms(analyzer)
    counts = mechanism_counts(stems, lexicon)
    prior, reasons = _from_taxonomy(stems, categories, lexicon, counts, analyzer)
    learned, pushes = _from_model(stems, model, lexicon, counts, names) if model else ({}, {})
    if learned:
        blended = {k: BLEND * learned.get(k, 0.0) + (1 - BLEND) * prior.get(k, 0.0)
                   for k in names}
    else:
        blended = prior
    if not blended:
        return None
    best = max(blended, key=lambda k: blended[k])
    if blended[best] < SHOWN:
        return None
    words = _readable(pushes.get(best, []) + reasons.get(best, []), analyzer)
    count = (model.get("counts") or {}).get(best, 0) if learned else 0
    because = f"mentions {words}" if words else "its words"
    because += (f"; like the {count} factor{'s' if count != 1 else ''} already in {names[best]}"
                if count else f", words of {names[best]} in the taxonomy")
    return {"key": best, "name": names[best], "score": round(blended[best], 2),
            "because": because}


def _from_model(stems: list[str], model: dict[str, Any], lexicon: list[Any],
                counts: list[float], names: dict[str, str]
                ) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The classifier's probability per category, and the features that pushed each."""
    idf = model.get("idf") or {}
    row = _vector(stems, idf, [m.key for m in lexicon], counts)
    logits = {c: float(model["intercept"].get(c, 0.0)) +
              sum(w * model["coef"][c].get(f, 0.0) for f, w in row.items())
              for c in model.get("classes", []) if c in names}
    if not logits:
        return {}, {}
    top = max(logits.values())
    total = sum(math.exp(v - top) for v in logits.values())
    probabilities = {c: math.exp(v - top) / total for c, v in logits.items()}
    pushes = {c: [f for push, f in sorted(((w * model["coef"][c].get(f, 0.0), f)
                                            for f, w in row.items()), reverse=True) if push > 0]
              for c in logits}
    return probabilities, pushes


def _from_taxonomy(stems: list[str], categories: list[Category], lexicon: list[Any],
                   counts: list[float], analyzer: Analyzer
                   ) -> tuple[dict[str, float], dict[str, list[str]]]:
    """A share per category of the lexicon phrases and description words the text has."""
    present = set(stems)
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    for category in categories:
        own = set(analyzer(f"{category.name} {category.description}"))
        hits = [" ".join(p) for m, c in zip(lexicon, counts, strict=True)
                if c and m.key == category.key for p in m.phrases
                if all(s in present for s in p)]
        overlap = sorted(present & own)
        scores[category.key] = len(hits) + 0.5 * len(overlap)
        reasons[category.key] = hits + overlap
    total = sum(scores.values())
    if total <= 0:
        return {}, reasons
    return {k: v / (total + 1) for k, v in scores.items()}, reasons


def _readable(features: list[str], analyzer: Analyzer, count: int = 3) -> str:
    chosen: list[str] = []
    for feature in features:
        if feature.startswith("lexicon:"):
            continue
        words = analyzer.readable(feature)
        if words in chosen or any(set(words.split()) <= set(c.split()) for c in chosen):
            continue
        chosen.append(words)
        if len(chosen) == count:
            break
    return ", ".join(f"“{w}”" for w in chosen)


# -- the archive ------------------------------------------------------------------------------


def _categories() -> list[Category]:
    return [Category(c.key, c.name, c.description or "")
            for c in db.session.scalars(select(FactorCategory)) if c.active]


def train() -> int:
    """Retrain the stored classifier on the categorised factors (the insight job calls this);
    how many factors it learned from."""
    active = {c.key for c in _categories()}
    rows = [(text, category) for text, category in db.session.execute(
        select(Factor.text, Factor.category).where(Factor.category.is_not(None)))
        if category in active and text]
    analyzer = Analyzer(stop_words())
    model = train_model([t for t, _ in rows], [c for _, c in rows], analyzer)
    stored = db.session.get(CategoryModel, 1)
    if stored is None:
        stored = CategoryModel(id=1)
        db.session.add(stored)
    stored.model, stored.factors, stored.trained_at = model, len(rows) if model else 0, utcnow()
    return stored.factors


# The classifier as each process last read it, keyed on when it was trained and on the
# taxonomy's version, with the suggestions it made so far by factor text: a list of fifty
# post-mortems asks for hundreds, mostly for texts asked before. Replaced when either changes.
# (The analyzer, whose stemmer keeps state while it works, is each request's own.)
_SUGGESTER: dict[tuple[Any, ...], tuple[Any, ...]] = {}
MEMO_TEXTS = 20_000


def suggestions_stamp() -> tuple[Any, ...]:
    """What the suggestions depend on: when the classifier was trained, and the taxonomy."""
    return (db.session.scalar(select(CategoryModel.trained_at).where(CategoryModel.id == 1)),
            *kept.versions(kept.CATALOG))


def _suggester() -> tuple[Any, ...]:
    context = g.get("category_suggestions")
    if context is not None:
        return context  # type: ignore[no-any-return]
    stamp = suggestions_stamp()
    shared = _SUGGESTER.get(stamp)
    if shared is None:
        stored = db.session.get(CategoryModel, 1)
        shared = (_categories(), (stored.model if stored else None) or {}, {})
        _SUGGESTER.clear()
        _SUGGESTER[stamp] = shared
    categories, model, memo = shared
    context = g.category_suggestions = (categories, model, Analyzer(stop_words()), memo)
    return context


def suggested_category(factor: Factor) -> dict[str, Any] | None:
    """The suggestion for one factor (None when it has a category or nothing fits). The
    model, categories and analyzer are read once per process until the job retrains it or
    the taxonomy changes."""
    if factor.category:
        return None
    categories, model, analyzer, memo = _suggester()
    text = factor.text or ""
    if text not in memo:
        if len(memo) >= MEMO_TEXTS:
            memo.clear()
        memo[text] = suggest(text, categories, model, analyzer)
    found = memo[text]
    return dict(found) if found is not None else None
