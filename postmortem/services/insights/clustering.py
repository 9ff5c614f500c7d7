"""Detected themes from post-mortems' words, apart from the database so that the benchmark
(bench/insights.py, bench/themes_ideas.py) measures the very code the insight job runs.

Features: tf-idf over stems and stem pairs, each part of a post-mortem weighted (text.py), and
beside them the failure-mechanism lexicon's counts. Themes: non-negative matrix factorisation
of those rows for each candidate number of themes, several times from different starts; the
number whose groups come out the same from every start (the most stable) wins. A post-mortem
belongs to each theme whose weight in it is near its strongest, and to none when the themes
explain little of its text (it tells a story of its own)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from .text import PART_WEIGHTS, Analyzer, Mechanism, Parts, mechanism_counts, mechanisms, with_pairs

SAMPLE = 300  # rows the number of themes is chosen on, in a larger archive…
SAMPLE_COLUMNS = 1500  # …and their columns, the most used
SMALL = 20  # post-mortems; below it the graph's communities say how many themes there are


@dataclass(frozen=True)
class Settings:
    """The choices measured in docs/insights.md; the defaults are the ones the job uses."""

    weights: dict[str, float] = field(default_factory=lambda: dict(PART_WEIGHTS))
    lexicon: float = 0.3  # the mechanism block's share of each row's length (0: words only)
    lsa: int = 0  # reduce the words to this many dimensions first (0: no)
    method: str = "nmf-stable"  # or "nmf-louvain" (the number from graph communities), "hdbscan"
    membership: float = 0.4  # a theme's weight over a row's strongest that makes it a member
    fit: float = 0.75  # a row the themes explain less than this × the median row joins none
    fewest: int = 6
    most: int = 14
    starts: int = 4
    tie: float = 0.01  # a larger number of themes wins when its stability is this close
    per_theme: int = 4  # at most one theme for this many post-mortems
    largest: float = 0.3  # a theme over this share of the archive is split once…
    trim: float = 0.3  # …and one still over this share keeps only its strongest members


@dataclass
class Features:
    words: Any  # l2-normalised tf-idf rows (scipy sparse)
    mechanisms: Any  # l2-normalised mechanism rows (numpy), lexicon order
    combined: Any  # the rows the themes are found in (scipy sparse)
    terms: list[str]
    analyzer: Analyzer
    lexicon: list[Mechanism]
    idf: Any = None  # per term (words' columns)
    mechanism_idf: Any = None  # per mechanism
    settings: Settings = field(default_factory=Settings)
    index: dict[str, int] = field(default_factory=dict)  # term → column, made when first needed

    def vector(self, parts: Parts) -> dict[str, float]:
        """One post-mortem (or one factor's text, as Parts(factors=[text])) as a sparse row of
        the combined space: {term: weight} and {"mechanism:<i>": weight}, length 1. Terms the
        archive did not have when the features were made are left out."""
        import numpy as np

        stems = {name: self.analyzer(text) for name, text in parts.texts().items()}
        if not self.index:
            self.index.update((term, i) for i, term in enumerate(self.terms))
        index = self.index
        counts = weighted_counts(stems, self.settings.weights)
        words = {term: math.log1p(value) * float(self.idf[index[term]])
                 for term, value in counts.items() if term in index}
        norm = math.sqrt(sum(v * v for v in words.values())) or 1.0
        mech = mechanism_row(stems, self.lexicon, self.settings.weights) * self.mechanism_idf
        mech_norm = float(np.linalg.norm(mech)) or 1.0
        share = self.settings.lexicon if self.settings.lsa == 0 else 0.0
        a, b = math.sqrt(1 - share), math.sqrt(share)
        row = {term: a * value / norm for term, value in words.items()}
        row.update({f"mechanism:{i}": b * float(v) / mech_norm for i, v in enumerate(mech) if v})
        total = math.sqrt(sum(v * v for v in row.values())) or 1.0
        return {k: v / total for k, v in row.items()}


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
    weighted = [weighted_counts(by_part, settings.weights) for by_part in stems]
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
    transformer = TfidfTransformer()
    words = transformer.fit_transform(counts_matrix).astype(np.float32)
    terms = [""] * len(vocabulary)
    for term, column in vocabulary.items():
        terms[column] = term
    lexicon = mechanisms(analyzer)
    mech = np.vstack([mechanism_row(by_part, lexicon, settings.weights) for by_part in stems])
    # A mechanism every post-mortem mentions tells none apart: weight by rarity as words are.
    present = (mech > 0).sum(axis=0)
    mechanism_idf = (np.log((1 + n) / (1 + present)) + 1).astype(np.float32)
    mech = normalize(mech * mechanism_idf)
    combined = _combine(words, mech, settings)
    return Features(words, mech, combined, terms, analyzer, lexicon, transformer.idf_,
                    mechanism_idf, settings)


def weighted_counts(stems: dict[str, list[str]], weights: dict[str, float]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for name, words in stems.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for term in with_pairs(words):
            counts[term] = counts.get(term, 0.0) + weight
    return counts


def mechanism_row(stems: dict[str, list[str]], lexicon: list[Mechanism],
                   weights: dict[str, float]) -> Any:
    import numpy as np

    total = np.zeros(len(lexicon), dtype=np.float32)
    for name, words in stems.items():
        weight = weights.get(name, 1.0)
        if weight > 0:
            total += weight * np.asarray(mechanism_counts(words, lexicon), dtype=np.float32)
    return np.log1p(total)


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


def _nmf(matrix: Any, count: int, seed: int, init: str = "nndsvda",
         max_iter: int = 300) -> tuple[Any, Any]:
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = NMF(n_components=count, init=init, random_state=seed, max_iter=max_iter)
        weights = model.fit_transform(matrix)
    return weights, model.components_


def _memberships(matrix: Any, weights: Any, components: Any, settings: Settings
                 ) -> list[dict[int, float]]:
    import numpy as np
    from scipy import sparse

    strongest = weights.max(axis=1, keepdims=True)
    shares = np.divide(weights, strongest, out=np.zeros_like(weights), where=strongest > 0)
    # How much of each row the themes explain: the cosine of the row and its reconstruction,
    # worked out without the dense reconstruction (rows × terms would be gigabytes).
    rows = sparse.csr_matrix(matrix)
    coo = rows.tocoo()
    dots = np.zeros(rows.shape[0])
    for start in range(0, coo.nnz, 1_000_000):
        r, c = coo.row[start:start + 1_000_000], coo.col[start:start + 1_000_000]
        products = coo.data[start:start + 1_000_000] * np.einsum(
            "ij,ji->i", weights[r], components[:, c])
        np.add.at(dots, r, products)
    rebuilt_norms = np.sqrt(np.maximum(((weights @ (components @ components.T)) * weights)
                                       .sum(axis=1), 0))
    row_norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    norms = rebuilt_norms * row_norms
    fit = np.divide(dots, norms, out=np.zeros(len(norms)), where=norms > 0)
    fits = fit >= settings.fit * float(np.median(fit))
    return [{int(row): round(float(shares[row, column]), 3)
             for row in np.nonzero((shares[:, column] >= settings.membership) & fits)[0]}
            for column in range(weights.shape[1])]


def _stability(matrix: Any, count: int, starts: int, max_iter: int = 300) -> float:
    """The mean agreement (adjusted Rand) of the strongest-theme labels from several starts."""
    import itertools

    from sklearn.metrics import adjusted_rand_score

    labels = []
    for seed in range(starts):
        weights, _ = _nmf(matrix, count, seed, init="random" if seed else "nndsvda",
                          max_iter=max_iter)
        labels.append(weights.argmax(axis=1))
    scores = [adjusted_rand_score(a, b) for a, b in itertools.combinations(labels, 2)]
    return float(sum(scores) / len(scores)) if scores else 0.0


def choose_count(matrix: Any, settings: Settings) -> int:
    """The number of themes whose groups come out most alike from every start (on a sample
    of a large archive); ties go to the larger number."""
    import numpy as np

    n = matrix.shape[0]
    sample, rounds = matrix, 300
    if n > SAMPLE:
        # A large archive: its number of themes is read on a sample, its commonest columns,
        # and fewer rounds (NMF's time grows with each).
        rows = np.random.default_rng(0).choice(n, SAMPLE, replace=False)
        sample = matrix[np.sort(rows)].tocsc()
        used = np.asarray((sample != 0).sum(axis=0)).ravel()
        sample = sample[:, np.sort(np.argsort(-used)[:SAMPLE_COLUMNS])].tocsr()
        rounds = 100
    fewest = min(settings.fewest, max(2, n // 4))
    most = max(fewest, min(settings.most, n // settings.per_theme))
    best, best_score = fewest, -1.0
    for count in range(fewest, most + 1):
        score = _stability(sample, count, settings.starts, rounds)
        if score >= best_score - settings.tie:
            best, best_score = count, max(score, best_score)
    return best




def detect(found: Features, settings: Settings = Settings(),
           count: int | None = None) -> list[dict[int, float]]:
    """Themes as {row: weight}, each of two rows or more."""
    n = found.combined.shape[0]
    matrix = found.combined
    if n < 2:
        return []
    if settings.method == "hdbscan":
        return _hdbscan(matrix)
    if n < SMALL and count is None:
        # Too few post-mortems to tell a stable number of themes: the communities of the
        # nearest-neighbour graph, and NMF as many to let one post-mortem be in two.
        recurring = [g for g in communities(matrix) if len(g) >= 2]
        if len(recurring) < 2:
            return [dict.fromkeys(sorted(g), 1.0) for g in recurring]
        settings = replace(settings, membership=0.3, fit=0.0, largest=1.0, trim=1.0)
        count = len(recurring)
    if count is None:
        count = choose_count(matrix, settings) if settings.method == "nmf-stable" else \
            sum(1 for g in communities(matrix) if len(g) >= 2)
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
    most = max(2, int(settings.trim * n))
    return [members if len(members) <= most else
            dict(sorted(members.items(), key=lambda kv: -kv[1])[:most]) for members in result]


def communities(matrix: Any) -> list[set[int]]:
    """Louvain communities of the rows' nearest-neighbour graph (by cosine), each row in one."""
    import networkx as nx
    import numpy as np

    n = matrix.shape[0]
    k = max(3, min(12, round(math.log2(max(n, 2))) + 1))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    for start in range(0, n, 512):
        block = (matrix[start:start + 512] @ matrix.T)
        block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
        for offset, row in enumerate(block):
            row[start + offset] = -1.0
            for other in np.argsort(-row)[:k]:
                weight = float(row[other])
                if weight <= 0:
                    continue
                a, b = start + offset, int(other)
                if not graph.has_edge(a, b) or graph[a][b]["weight"] < weight:
                    graph.add_edge(a, b, weight=weight)
    groups = nx.community.louvain_communities(graph, weight="weight", seed=42, resolution=1.0)
    return [set(g) for g in groups]


def _hdbscan(matrix: Any) -> list[dict[int, float]]:
    from sklearn.cluster import HDBSCAN

    dense = matrix.toarray()
    labels = HDBSCAN(min_cluster_size=3, copy=True).fit_predict(dense)
    groups: dict[int, dict[int, float]] = {}
    for row, label in enumerate(labels):
        if label >= 0:
            groups.setdefault(int(label), {})[row] = 1.0
    return list(groups.values())


def distinguishing_terms(words: Any, terms: list[str], groups: list[list[int]],
                         top: int = 5) -> list[list[str]]:
    """Class-based tf-idf: for each group of rows, the terms (stems, best first) frequent in it
    and rare in the others; a pair is left out when one of its words is chosen already."""
    import numpy as np

    sums = np.vstack([np.asarray(words[g].sum(axis=0)).ravel() for g in groups])
    per_group = sums / np.maximum(sums.sum(axis=1, keepdims=True), 1e-9)
    spread = (sums > 0).sum(axis=0)
    idf = np.log(1 + len(groups) / np.maximum(spread, 1))
    weights = per_group * idf
    chosen_all = []
    for row in weights:
        chosen: list[str] = []
        for column in np.argsort(-row)[: top * 4]:
            term = terms[column]
            if row[column] <= 0 or any(part in " ".join(chosen).split() for part in term.split()):
                continue
            chosen.append(term)
            if len(chosen) == top:
                break
        chosen_all.append(chosen)
    return chosen_all
