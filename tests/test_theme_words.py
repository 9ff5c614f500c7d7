"""The words themes and similar post-mortems show people: whole words, phrases for names."""

from __future__ import annotations

from postmortem.services.insights import clustering, naming
from postmortem.services.insights.engine import readable_reason
from postmortem.services.insights.text import DOMAIN_STOP, WORD_RE, Analyzer, Parts


def test_fragments_and_report_words_are_never_reasons() -> None:
    assert "xx" not in [w.lower() for w in WORD_RE.findall("5xx errors from 10:02 UTC")]
    for word in ("xx", "utc", "hosts", "failed", "a", "42"):
        assert not readable_reason(word), word
    for phrase in ("certificate", "control plane", "db", "k8s"):
        assert readable_reason(phrase), phrase


def test_a_theme_is_named_by_a_phrase_its_members_use() -> None:
    analyzer = Analyzer({"the", "a", "of", "on", "and", "was", "at"} | DOMAIN_STOP)
    texts = ["Expired certificate on the login service",
             "The expired certificate of the API gateway",
             "Expired certificate at midnight on payments",
             "Replication lag on the primary database",
             "Replication lag and a slow primary database"]
    names = naming.theme_names(texts, [[0, 1, 2], [3, 4]], analyzer,
                               [["certif", "expir"], ["replic", "lag"]])
    assert names == ["Expired certificate", "Replication lag"]
    assert all("," not in name and 2 <= len(name.split()) <= 6 for name in names)


def test_a_factor_s_row_matches_the_rows_of_the_archive() -> None:
    analyzer = Analyzer({"the", "a", "of", "on", "and"})
    parts = [Parts(title=t, factors=[f]) for t, f in [
        ("Certificate expired", "The certificate was renewed by hand"),
        ("Expired TLS certificate", "Certificate expiry was not monitored"),
        ("Replica lag", "The replica fell behind the primary database"),
        ("Database replica lag", "Replication lag on the primary database")]]
    found = clustering.features(parts, analyzer)
    assert found is not None
    row = found.vector(Parts(factors=["The certificate expired"]))
    assert abs(sum(v * v for v in row.values()) - 1) < 1e-6
    certificate = found.combined[0].toarray().ravel()
    database = found.combined[3].toarray().ravel()
    keys = found.terms + [f"mechanism:{i}" for i in range(len(found.lexicon))]
    closeness = [sum(row.get(k, 0.0) * float(v) for k, v in zip(keys, r, strict=True))
                 for r in (certificate, database)]
    assert closeness[0] > closeness[1]
