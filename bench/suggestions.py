"""How often the suggested category of a contributing factor is the one a person chose
(`python bench/suggestions.py`): the labelled factors of bench/corpus-holdout
(factor-categories.yaml) and of the demo archive, each factor's suggestion made without it
(five folds: the classifier learns from the other four), and from the taxonomy alone (no
factor categorised yet). Prints a table for docs/insights.md."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from themes_ideas import analyzer  # noqa: E402

from postmortem.services.exchange.markdown import parse_document  # noqa: E402
from postmortem.services.insights import suggestions  # noqa: E402


def holdout() -> list[tuple[str, str]]:
    corpus = ROOT / "bench" / "corpus-holdout"
    labels = yaml.safe_load((corpus / "factor-categories.yaml").read_text())
    found = []
    for name, categories in labels.items():
        factors = parse_document((corpus / name).read_text()).factors
        assert len(factors) == len(categories), name
        found += [(text, category) for (_, _, text), category in zip(factors, categories,
                                                                      strict=True)]
    return found


def demo() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "postmortem" / "data" / "demo").glob("*.md")):
        found += [(text, category) for _, category, text in parse_document(path.read_text()).factors
                  if category]
    return found


def measure(factors: list[tuple[str, str]], folds: int = 5) -> dict[str, float]:
    categories = [suggestions.Category(c["key"], c["name"], c.get("description", ""))
                  for c in yaml.safe_load((ROOT / "postmortem/data/taxonomy.yaml").read_text())]
    words = analyzer()
    order = list(range(len(factors)))
    random.Random(0).shuffle(order)
    learned = taxonomy = shown_learned = shown_taxonomy = 0
    for fold in range(folds):
        test = [order[i] for i in range(len(order)) if i % folds == fold]
        train = [i for i in order if i not in set(test)]
        model = suggestions.train_model([factors[i][0] for i in train],
                                        [factors[i][1] for i in train], words)
        for i in test:
            text, truth = factors[i]
            with_model = suggestions.suggest(text, categories, model, words)
            alone = suggestions.suggest(text, categories, {}, words)
            shown_learned += with_model is not None
            shown_taxonomy += alone is not None
            learned += bool(with_model and with_model["key"] == truth)
            taxonomy += bool(alone and alone["key"] == truth)
    n = len(factors)
    return {"factors": n, "learned": learned / n, "learned_shown": shown_learned / n,
            "learned_precision": learned / max(shown_learned, 1),
            "taxonomy": taxonomy / n, "taxonomy_shown": shown_taxonomy / n,
            "taxonomy_precision": taxonomy / max(shown_taxonomy, 1)}


def main() -> None:
    print("| factors | suggested from | right (of all) | shown | right when shown |")
    print("|---|---|---:|---:|---:|")
    for title, factors in (("bench/corpus-holdout (hand-labelled)", holdout()),
                           ("the demo archive", demo())):
        m = measure(factors)
        print(f"| {title}, {m['factors']} | the others, 5 folds (classifier + taxonomy) | "
              f"{m['learned']:.2f} | {m['learned_shown']:.2f} | {m['learned_precision']:.2f} |")
        print(f"| {title}, {m['factors']} | the taxonomy alone | {m['taxonomy']:.2f} | "
              f"{m['taxonomy_shown']:.2f} | {m['taxonomy_precision']:.2f} |")


if __name__ == "__main__":
    main()
