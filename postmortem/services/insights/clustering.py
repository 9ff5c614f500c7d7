"""Detected themes from post-mortems' words, apart from the database so that the benchmark
(bench/insights.py, bench/themes_ideas.py) measures the very code the insight job runs.

Features: tf-idf over stems and stem pairs, each part of a post-mortem weighted (text.py), and
beside them the failure-mechanism lexicon's counts. Themes: non-negative matrix factorisation
of those rows for each candidate number of themes, several times from different starts; the
number whose groups come out the same from every start (the most stable) wins. A post-mortem
belongs to each theme whose weight in it is near its strongest, and to none when the themes
explain little of its text (it tells a story of its own)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from .text import PART_WEIGHTS, Analyzer, Mechanism, Parts, mechanism_counts, mechanisms, with_pairs


@dataclass(frozen=True)
class Settings:
    """The choices measured in docs/insights.md; the defaults are the ones the job uses."""

    weights: dict[str, float] = field(default_factory=lambda: dict(PART_WEIGHTS))
    lexicon: float = 0.5  # the mechanism block's share of each row's length (0: words only)
    lsa: int = 0  # reduce the words to this many dimensions first (0: no)
    method: str = "nmf-stable"  # or "nmf-louvain" (the number from graph communities), "hdbscan"
    membership: float = 0.5  # a theme's weight over a row's strongest that makes it a member
    fit: float = 0.2  # the least share of a row the themes must explain for it to join any
    fewest: int = 4
    most: int = 14
    starts: int = 4
    largest: float = 0.3  # a theme over this share of the archive is split again


@dataclass
class Features:
    words: Any  # l2-normalised tf-idf rows (scipy sparse)
    mechanisms: Any  # l2-normalised mechanism rows (numpy), lexicon order
    combined: Any  # the rows the themes are found in (scipy sparse)
    terms: list[str]
    analyzer: Analyzer
    lexicon: list[Mechanism]


def features(parts: list[Parts], analyzer: Analyzer, settings: Settings = Settings(),
             max_df: float | None = None) -> Features | None:
    """The rows of these post-mortems; None when no term is shared by two of them."""
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.preprocessing import normalize

    n = len(parts)
    if n < 2:
        return None
    stems = [{name: analyzer(text) for name, text in p.texts().items()} for p in parts]
    weighted: list[dict[str, float]] = []
    for by_part in stems:
        counts: dict[str, float] = {}
        for name, words in by_part.items():
            weight = settings.weights.get(name, 1.0)
            if weight <= 0:
                continue
            for term in with_pairs(words):
                counts[term] = counts.get(term, 0.0) + weight
        weighted.append(counts)
    if max_df is None:
        max_df = 0.5 if n >= 20 else 1.0
    vectorizer = CountVectorizer(analyzer=lambda counts: list(counts), min_df=2, max_df=max_df,
                                 max_features=60_000)
    try:
        vectorizer.fit(weighted)
    except ValueError:
        return None
    vocabulary = vectorizer.vocabulary_
    rows, cols, data = [], [], []
    for row, counts in enumerate(weighted):
        for term, value in counts.items():
            column = vocabulary.get(term)
            if column is not None:
                rows.append(row)
                cols.append(column)
                data.append(value)
    counts_matrix = sparse.csr_matrix((np.asarray(data, dtype=np.float32), (rows, cols)),
                                      shape=(n, len(vocabulary)))
    # Sublinear term frequency that stays positive for a part weighted under 1.
    counts_matrix.data = np.log1p(counts_matrix.data)
    words = TfidfTransformer().fit_transform(counts_matrix).astype(np.float32)
    terms = list(vectorizer.get_feature_names_out())
    lexicon = mechanisms(analyzer)
    mech = np.zeros((n, len(lexicon)), dtype=np.float32)
    for row, by_part in enumerate(stems):
        total = np.zeros(len(lexicon), dtype=np.float32)
        for name, words_of_part in by_part.items():
            weight = settings.weights.get(name, 1.0)
            if weight > 0:
                total += weight * np.asarray(mechanism_counts(words_of_part, lexicon))
        mech[row] = np.log1p(total)
    # A mechanism every post-mortem mentions tells none apart: weight by rarity as words are.
    present = (mech > 0).sum(axis=0)
    mech *= np.log((1 + n) / (1 + present)) + 1
    mech = normalize(mech)
    combined = _combine(words, mech, settings)
    return Features(words, mech, combined, terms, analyzer, lexicon)


def _combine(words: Any, mech: Any, settings: Settings) -> Any:
    import numpy as np
    from scipy import sparse
    from sklearn.preprocessing import normalize

    base = words
    if settings.lsa and min(words.shape) > settings.lsa + 1:
        from sklearn.decomposition import TruncatedSVD

        reduced = TruncatedSVD(settings.lsa, random_state=0).fit_transform(words)
        base = sparse.csr_matrix(normalize(np.maximum(reduced, 0)).astype(np.float32))
    if settings.lexicon <= 0:
        return sparse.csr_matrix(base)
    a = float(np.sqrt(1 - settings.lexicon))
    b = float(np.sqrt(settings.lexicon))
    return normalize(sparse.hstack([base * a, sparse.csr_matrix(mech) * b]).tocsr())


def _nmf(matrix: Any, count: int, seed: int, init: str = "nndsvda") -> tuple[Any, Any]:
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = NMF(n_components=count, init=init, random_state=seed, max_iter=300)
        weights = model.fit_transform(matrix)
    return weights, model.components_


def _memberships(matrix: Any, weights: Any, components: Any, settings: Settings
                 ) -> list[dict[int, float]]:
    import numpy as np

    strongest = weights.max(axis=1, keepdims=True)
    shares = np.divide(weights, strongest, out=np.zeros_like(weights), where=strongest > 0)
    # How much of each row the themes explain: the cosine of the row and its reconstruction.
    rebuilt = weights @ components
    dense = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)
    norms = np.linalg.norm(rebuilt, axis=1) * np.linalg.norm(dense, axis=1)
    fit = np.divide((rebuilt * dense).sum(axis=1), norms, out=np.zeros(len(norms)),
                    where=norms > 0)
    fits = fit >= settings.fit
    return [{int(row): round(float(shares[row, column]), 3)
             for row in np.nonzero((shares[:, column] >= settings.membership) & fits)[0]}
            for column in range(weights.shape[1])]


def _stability(matrix: Any, count: int, starts: int) -> float:
    """The mean agreement (adjusted Rand) of the strongest-theme labels from several starts."""
    import itertools

    from sklearn.metrics import adjusted_rand_score

    labels = []
    for seed in range(starts):
        weights, _ = _nmf(matrix, count, seed, init="random" if seed else "nndsvda")
        labels.append(weights.argmax(axis=1))
    scores = [adjusted_rand_score(a, b) for a, b in itertools.combinations(labels, 2)]
    return float(sum(scores) / len(scores)) if scores else 0.0


def choose_count(matrix: Any, settings: Settings) -> int:
    """The number of themes whose groups come out most alike from every start (on a sample
    of a large archive); ties go to the larger number."""
    import numpy as np

    n = matrix.shape[0]
    sample = matrix
    if n > 1500:
        rows = np.random.default_rng(0).choice(n, 1500, replace=False)
        sample = matrix[np.sort(rows)]
    most = max(settings.fewest, min(settings.most, n // 3))
    best, best_score = settings.fewest, -1.0
    for count in range(settings.fewest, most + 1):
        score = _stability(sample, count, settings.starts)
        if score >= best_score - 0.01:
            best, best_score = count, max(score, best_score)
    return best


def detect(found: Features, settings: Settings = Settings(),
           count: int | None = None) -> list[dict[int, float]]:
    """Themes as {row: weight}, each of two rows or more."""
    n = found.combined.shape[0]
    if n < 4:
        return []
    matrix = found.combined
    if settings.method == "hdbscan":
        return _hdbscan(matrix)
    if count is None:
        count = choose_count(matrix, settings) if settings.method == "nmf-stable" else \
            _louvain_count(matrix)
    count = max(1, min(count, n - 1))
    weights, components = _nmf(matrix, count, 0)
    themes = [m for m in _memberships(matrix, weights, components, settings) if len(m) >= 2]
    # A theme holding too much of the archive mixes stories: split it once, on its own rows.
    result: list[dict[int, float]] = []
    for members in themes:
        if len(members) > settings.largest * n and len(members) >= 6:
            rows = sorted(members)
            sub_weights, sub_components = _nmf(matrix[rows], 2, 0)
            parts = _memberships(matrix[rows], sub_weights, sub_components,
                                 replace(settings, fit=0.0))
            result += [{rows[r]: w for r, w in part.items()} for part in parts if len(part) >= 2]
        else:
            result.append(members)
    return result


def _louvain_count(matrix: Any) -> int:
    import networkx as nx
    import numpy as np

    similarity = (matrix @ matrix.T).toarray()
    np.fill_diagonal(similarity, -1)
    n = similarity.shape[0]
    k = max(3, min(12, round(np.log2(max(n, 2))) + 1))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for row in range(n):
        for other in np.argsort(-similarity[row])[:k]:
            if similarity[row, other] > 0:
                graph.add_edge(row, int(other), weight=float(similarity[row, other]))
    groups = nx.community.louvain_communities(graph, weight="weight", seed=42)
    return max(2, sum(1 for g in groups if len(g) >= 2))


def _hdbscan(matrix: Any) -> list[dict[int, float]]:
    from sklearn.cluster import HDBSCAN

    dense = matrix.toarray()
    labels = HDBSCAN(min_cluster_size=3, metric="cosine" if False else "euclidean"
                     ).fit_predict(dense)
    groups: dict[int, dict[int, float]] = {}
    for row, label in enumerate(labels):
        if label >= 0:
            groups.setdefault(int(label), {})[row] = 1.0
    return list(groups.values())
