"""The words of post-mortems as the insight job reads them: Snowball stems, each part of a
post-mortem weighted by how much it says about what failed (the contributing factors and the
summary more than the timeline), and the failure-mechanism lexicon (data/mechanisms.yaml)
matched on stems."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

WORD_RE = re.compile(r"(?<![\w'-])[^\W\d_][\w'-]*[^\W_]|(?<![\w'-])[^\W\d_]{2}(?![\w'-])", re.UNICODE)
MECHANISMS_FILE = Path(__file__).resolve().parents[2] / "data" / "mechanisms.yaml"
# How much each part of a post-mortem counts (its term counts are multiplied by this before
# tf-idf): measured in docs/insights.md, "section weights".
PART_WEIGHTS = {"title": 2.0, "summary": 2.0, "factors": 3.0, "sections": 1.0,
                "timeline": 0.25, "actions": 1.0}
# Words that say nothing about a failure in any post-mortem, whatever the archive: units,
# times, people's roles, and the words of every incident report.
DOMAIN_STOP = {
    "utc", "am", "pm", "minute", "minutes", "hour", "hours", "second", "seconds", "day",
    "days", "week", "weeks", "month", "months", "ago", "later", "earlier", "today",
    "team", "teams", "engineer", "engineers", "customer", "customers", "user", "users",
    "incident", "incidents", "outage", "outages", "issue", "issues", "problem", "problems",
    "failed", "fail", "failing", "failure", "failures", "error", "errors", "affected",
    "impact", "impacted", "caused", "cause", "causes", "service", "services", "system",
    "systems", "hosts", "host", "servers", "server", "request", "requests", "started",
    "began", "ended", "resolved", "restored", "recovered", "recovery", "mitigated",
    "investigate", "investigated", "investigation", "confirmed", "noticed", "saw",
    "percent", "per", "cent", "roughly", "about", "around", "approximately", "new", "old",
    "make", "made", "need", "needed", "needs", "able", "did", "does", "use", "used", "using",
    "xx", "xxx", "ms", "gb", "mb", "kb", "tb", "ok", "yes", "no", "eu", "us", "via",
}


class Analyzer:
    """Words → Snowball stems, remembering each stem's most common spelling for names."""

    def __init__(self, stop_words: set[str]) -> None:
        import snowballstemmer

        self.stemmer = snowballstemmer.stemmer("english")
        self.stop = stop_words
        self.cache: dict[str, str] = {}
        self.spelling: dict[str, Counter[str]] = defaultdict(Counter)
        self.lexicon: list[Mechanism] | None = None  # mechanisms() through this analyzer

    def stem(self, word: str) -> str:
        stem = self.cache.get(word)
        if stem is None:
            stem = self.cache[word] = self.stemmer.stemWord(word)
        return stem

    def __call__(self, text: str) -> list[str]:
        stems = []
        for word in WORD_RE.findall(text.lower()):
            if word in self.stop or len(word) < 2:
                continue
            stem = self.stem(word)
            if stem in self.stop:
                continue
            self.spelling[stem][word] += 1
            stems.append(stem)
        return stems

    def readable(self, term: str) -> str:
        return " ".join(self.spelling[stem].most_common(1)[0][0] if self.spelling.get(stem)
                        else stem for stem in term.split())


def with_pairs(stems: list[str]) -> list[str]:
    """The stems and each two neighbouring stems as one term."""
    return stems + [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


@dataclass
class Parts:
    """One post-mortem's text, by part."""

    title: str = ""
    summary: str = ""
    factors: list[str] = field(default_factory=list)
    sections: str = ""
    timeline: str = ""
    actions: str = ""

    def texts(self) -> dict[str, str]:
        return {"title": self.title, "summary": self.summary, "factors": "\n".join(self.factors),
                "sections": self.sections, "timeline": self.timeline, "actions": self.actions}


@dataclass
class Mechanism:
    key: str  # the taxonomy category it belongs to
    name: str
    phrases: list[tuple[str, ...]]  # as stems


@lru_cache(maxsize=1)
def _lexicon_data() -> list[dict[str, Any]]:
    return yaml.safe_load(MECHANISMS_FILE.read_text(encoding="utf-8")) or []


def mechanisms(analyzer: Analyzer) -> list[Mechanism]:
    """The lexicon's mechanisms, their phrases as stems through this analyzer (stop words
    dropped; a phrase of stop words alone is left out), made once per analyzer."""
    if analyzer.lexicon is not None:
        return analyzer.lexicon
    found = []
    for entry in _lexicon_data():
        phrases = []
        for phrase in entry.get("phrases") or []:
            stems = tuple(analyzer.stem(w) for w in WORD_RE.findall(str(phrase).lower())
                          if w not in analyzer.stop)
            if stems:
                phrases.append(stems)
        found.append(Mechanism(str(entry["key"]), str(entry.get("mechanism") or entry["key"]),
                               phrases))
    analyzer.lexicon = found
    return found


def mechanism_counts(stems: list[str], lexicon: list[Mechanism]) -> list[float]:
    """How many times each mechanism's phrases occur in these stems (in lexicon order)."""
    index = _phrase_index(lexicon)
    counts = [0.0] * len(lexicon)
    for n in (1, 2, 3):
        for i in range(len(stems) - n + 1):
            for position in index.get(tuple(stems[i:i + n]), ()):
                counts[position] += 1
    return counts


_INDEXES: dict[int, tuple[list[Mechanism], dict[tuple[str, ...], list[int]]]] = {}


def _phrase_index(lexicon: list[Mechanism]) -> dict[tuple[str, ...], list[int]]:
    """{phrase: the positions of the mechanisms that have it}, made once per lexicon list."""
    known = _INDEXES.get(id(lexicon))
    if known is not None and known[0] is lexicon:
        return known[1]
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for position, mechanism in enumerate(lexicon):
        for phrase in mechanism.phrases:
            index[phrase].append(position)
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    _INDEXES[id(lexicon)] = (lexicon, dict(index))
    return _INDEXES[id(lexicon)][1]
