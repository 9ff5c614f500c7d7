"""Each idea for detected themes, measured on the labelled corpora without a database
(`python bench/themes_ideas.py`): the same clustering code the insight job runs
(postmortem/services/insights/clustering.py), fed from the interchange files with tags and
factor categories stripped. Prints one table per corpus; docs/insights.md keeps them."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from insights import score, stripped  # noqa: E402

from postmortem.services.exchange.markdown import parse_document  # noqa: E402
from postmortem.services.insights import clustering  # noqa: E402
from postmortem.services.insights.text import DOMAIN_STOP, Analyzer, Parts  # noqa: E402

CORPORA = ["bench/corpus", "bench/corpus-public", "bench/corpus-holdout"]
KINDS = {"detection", "escalation", "communication", "mitigation", "deploy", "rollback",
         "resolution", "note", None}


def template_words() -> set[str]:
    from postmortem.services.insights.text import WORD_RE

    words: set[str] = set()
    for template in yaml.safe_load((ROOT / "postmortem/data/templates.yaml").read_text()):
        for section in template["sections"]:
            for value in (section["key"].replace("_", " "), section.get("title", ""),
                          section.get("guidance", "") or ""):
                words.update(WORD_RE.findall(value.lower()))
    return words


def analyzer(domain: bool = True) -> Analyzer:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return Analyzer(set(ENGLISH_STOP_WORDS) | template_words() | (DOMAIN_STOP if domain else set()))


def load(corpus: Path) -> tuple[list[str], list[Parts], dict[str, list[str]]]:
    labels = yaml.safe_load((corpus / "labels.yaml").read_text())
    names = sorted(labels)
    parts = []
    for name in names:
        doc = parse_document(stripped((corpus / name).read_text()))
        sections = {s.title.strip().lower(): s.markdown for s in doc.sections}
        summary = sections.pop("summary", "")
        for known in ("timeline", "contributing factors", "action items"):
            sections.pop(known, None)
        parts.append(Parts(title=str(doc.front.get("title", "")), summary=summary,
                           factors=[f[2] for f in doc.factors],
                           sections="\n".join(sections.values()),
                           # The importer keeps a kind it does not know in the text.
                           timeline="\n".join(t[3] if t[2] in KINDS else f"[{t[2]}] {t[3]}"
                                               for t in doc.timeline),
                           actions="\n".join(i.title for i in doc.items)))
    return names, parts, labels


def truth_of(names: list[str], labels: dict[str, list[str]]) -> list[set[int]]:
    groups: dict[str, set[int]] = {}
    for row, name in enumerate(names):
        for theme in labels[name]:
            groups.setdefault(theme, set()).add(row)
    return list(groups.values())


FLAT = {"title": 1.0, "summary": 1.0, "factors": 1.0, "sections": 1.0, "timeline": 1.0,
        "actions": 1.0}
BASE = clustering.Settings()
IDEAS = [
    ("the previous job: whole text, Louvain count + NMF 0.3, no lexicon",
     replace(BASE, weights=FLAT, lexicon=0.0, method="nmf-louvain", membership=0.3, fit=0.0,
             largest=1.0, trim=1.0), False),
    ("+ domain stop words", replace(BASE, weights=FLAT, lexicon=0.0, method="nmf-louvain",
                                    membership=0.3, fit=0.0, largest=1.0, trim=1.0), True),
    ("+ section weights", replace(BASE, lexicon=0.0, method="nmf-louvain", membership=0.3,
                                  fit=0.0, largest=1.0, trim=1.0), True),
    ("+ stable number of themes (6 to 14, at most one per 4 post-mortems)",
     replace(BASE, lexicon=0.0, membership=0.3, fit=0.0, largest=1.0, trim=1.0), True),
    ("+ mechanism lexicon, 0.3 of each row", replace(BASE, lexicon=0.3, membership=0.3, fit=0.0,
                                                     largest=1.0, trim=1.0), True),
    ("+ mechanism lexicon, 0.4 of each row", replace(BASE, lexicon=0.4, membership=0.3, fit=0.0,
                                                     largest=1.0, trim=1.0), True),
    ("+ mechanism lexicon, 0.5 of each row", replace(BASE, lexicon=0.5, membership=0.3, fit=0.0,
                                                     largest=1.0, trim=1.0), True),
    ("+ membership 0.4 (lexicon 0.3)", replace(BASE, fit=0.0, largest=1.0, trim=1.0), True),
    ("+ membership 0.5 (lexicon 0.3)", replace(BASE, membership=0.5, fit=0.0, largest=1.0,
                                               trim=1.0), True),
    ("+ a poor fit stays out (under 0.75 of the median)", replace(BASE, largest=1.0, trim=1.0),
     True),
    ("+ a theme over 25 % split once", replace(BASE, largest=0.25, trim=1.0), True),
    ("+ a theme over 30 % split once, then kept to 30 %: **the job's settings**", BASE, True),
    ("LSA (30 dimensions) before NMF, otherwise the same", replace(BASE, lsa=30), True),
    ("Louvain's number of themes instead of the stable one", replace(BASE, method="nmf-louvain"),
     True),
    ("HDBSCAN on the same rows", replace(BASE, method="hdbscan"), True),
]


def main() -> None:
    only = sys.argv[1:]
    for corpus in CORPORA:
        path = ROOT / corpus
        if not (path / "labels.yaml").exists():
            continue
        names, parts, labels = load(path)
        truth = truth_of(names, labels)
        one = score([set(range(len(names)))], truth)
        print(f"\n### `{corpus}` ({len(names)} post-mortems, {len(truth)} true themes)\n")
        print("| idea | themes | largest | precision | recall | F1 |")
        print("|---|---:|---:|---:|---:|---:|")
        print(f"| everything in one theme | 1 | 100 % | {one[0]:.2f} | {one[1]:.2f} | "
              f"{one[2]:.2f} |")
        for title, settings, domain in IDEAS:
            if only and not any(o in title for o in only):
                continue
            found = clustering.features(parts, analyzer(domain), settings)
            themes = clustering.detect(found, settings) if found else []
            groups = [set(t) for t in themes]
            p, r, f = score(groups, truth)
            largest = max((len(g) for g in groups), default=0) / len(names)
            print(f"| {title} | {len(groups)} | {largest:.0%} | {p:.2f} | {r:.2f} | {f:.2f} |")


if __name__ == "__main__":
    main()
