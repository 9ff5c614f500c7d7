"""Names a person would write for detected themes: the phrase of two to four words, taken
from the members' own titles, summaries and contributing factors, that the most of them use
and the fewest others do. Never invented, never a list of terms."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from .text import Analyzer

TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]|[A-Za-z]|\d[\w.]*|'s\b|[^\w\s]")
SHORTEST, LONGEST = 2, 4
# A name is a noun phrase ("Replication lag"), not a clause ("Latency rose"): without a
# part-of-speech tagger, a phrase ending in a verb's past form or -ing is ranked lower.
VERB_ENDINGS = ("ed", "ing")
IRREGULAR_PAST = {"rose", "fell", "grew", "went", "broke", "ran", "took", "made", "came", "lost",
                  "withdrew", "began", "left", "meant", "sent", "spent", "hit", "got", "kept",
                  "shut", "built", "caught", "drove", "gave", "held", "led", "put", "saw", "set",
                  "stood", "told", "wrote", "became", "did", "had", "was", "were"}


def candidates(text: str, analyzer: Analyzer) -> dict[tuple[str, ...], str]:
    """{stems: the words as written} for each run of two to four content words in the text
    (a run ends at punctuation, a number or a stop word)."""
    found: dict[tuple[str, ...], str] = {}
    run: list[str] = []

    def close() -> None:
        for size in range(SHORTEST, LONGEST + 1):
            for start in range(len(run) - size + 1):
                words = run[start:start + size]
                stems = tuple(analyzer.stem(w.lower()) for w in words)
                if len(set(stems)) == size:
                    found.setdefault(stems, " ".join(words))
        run.clear()

    for token in TOKEN_RE.findall(text):
        lower = token.lower()
        if (not token[0].isalpha() or len(token) < 3 or lower in analyzer.stop
                or analyzer.stem(lower) in analyzer.stop):
            close()
        else:
            run.append(token)
    close()
    return found


def _surface(spellings: Counter[str]) -> str:
    words = spellings.most_common(1)[0][0].split()
    # Keep acronyms (DNS, TLS, BGP) as written; other words lower case.
    words = [w if w.isupper() and len(w) <= 5 else w.lower() for w in words]
    phrase = " ".join(words)
    return phrase[0].upper() + phrase[1:]


def theme_names(texts: list[str], groups: list[list[int]], analyzer: Analyzer,
                keywords: list[list[str]]) -> list[str]:
    """One name per group of rows (indices into texts), distinct from each other: the phrase
    found in the most of the group's rows relative to how often the others use it, and made
    of the words that set the group apart (keywords: its terms as stems, best first); the
    group's best two-word term when no phrase is shared by two rows."""
    phrases: list[dict[tuple[str, ...], str]] = [candidates(t, analyzer) for t in texts]
    frequency: Counter[tuple[str, ...]] = Counter()
    spelling: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for found in phrases:
        frequency.update(found.keys())
        for stems, words in found.items():
            spelling[stems][words] += 1
    total = len(texts)
    ranked: list[list[tuple[float, tuple[str, ...]]]] = []
    for position, group in enumerate(groups):
        rank: dict[str, float] = {}
        for place, term in enumerate(keywords[position] if position < len(keywords) else []):
            for stem in term.split():
                rank.setdefault(stem, 1 - place / max(len(keywords[position]), 1))
        inside: Counter[tuple[str, ...]] = Counter()
        for row in group:
            inside.update(phrases[row].keys())
        scores = []
        for stems, count in inside.items():
            share = count / len(group)
            precision = count / frequency[stems]
            rarity = math.log(1 + total / frequency[stems])
            apart = sum(rank.get(stem, 0.0) for stem in stems) / len(stems)
            last = spelling[stems].most_common(1)[0][0].split()[-1].lower()
            clause = last.endswith(VERB_ENDINGS) or last in IRREGULAR_PAST
            # A phrase only one member uses is a last resort before a bare term.
            solo = 1.0 if count >= 2 else 0.2
            scores.append((solo * (0.1 if clause else 1.0) * share * math.sqrt(precision * rarity)
                           * (0.5 + apart), stems))
        ranked.append(sorted(scores, reverse=True))
    names: list[str] = []
    used: set[str] = set()
    for position, scores in enumerate(ranked):
        name = None
        for _, stems in scores:
            candidate = _surface(spelling[stems])
            if candidate.lower() not in used:
                name = candidate
                break
        if name is None:
            own = [analyzer.readable(t) for t in (keywords[position] if position < len(keywords)
                                                  else [])]
            terms = [t for t in own if " " in t] or own[:1]
            name = (terms[0][0].upper() + terms[0][1:]) if terms else "Recurring theme"
            if name.lower() in used:
                name = f"{name} ({position + 1})"
        used.add(name.lower())
        names.append(name)
    return names
