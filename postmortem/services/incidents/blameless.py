"""The blameless-language checker: deterministic rules kept as data, plus people's names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from ...extensions import db
from ...models import Incident, User

RULES_FILE = Path(__file__).resolve().parents[2] / "data" / "blameless.yaml"
# Verbs that, after a person's name, make that person the cause of a failure.
FAILURE_VERBS = (
    r"(forgot|failed|missed|broke|caused|neglected|ignored|messed|screwed|didn't|did not|"
    r"should have|should've|mistakenly|accidentally|carelessly|deleted|dropped|pushed|deployed)"
)
# Capitalised words that start sentences or name things, never a person as a failure's subject.
NOT_NAMES = frozenset("""
The This That These Those It Its We Our Us They Their There Then When While After Before During
If Once As At In On By For From To With Without Because Since Until Although Nobody Everyone
Someone Somebody Nothing Everything Monitoring Alerting Deploy Deployment Rollback Config
Configuration Service System Team Database Cache Checkout Payments Search Identity Production
Staging Traffic Users Customers Engineers Engineering Support Ops SRE CI CD API DNS TLS CDN
""".split())
CAPITALISED_SUBJECT = re.compile(
    rf"\b([A-Z][a-z]{{2,}})(?:'s)?\s+(?:\w+\s+)?{FAILURE_VERBS.replace('(', '(?:', 1)}"
    r"(?:\s+(?:to\s+)?(?:notice|check|test|review|update|follow|see|catch|verify))?\b")
PRONOUN_SUBJECT = re.compile(
    rf"\b(he|she)\s+(?:\w+\s+)?{FAILURE_VERBS.replace('(', '(?:', 1)}\b", re.IGNORECASE)
POSSESSIVE_BLAME = re.compile(
    r"\b((?:[A-Z][a-z]{2,})'s|(?i:his|her|their))\s+(?:own\s+)?(fault|mistake|error|blunder|oversight|"
    r"negligence|screw-?up)\b")
PRONOUN_SUGGESTION = (
    "A person is the subject of the failure. Make the system the subject: what the tool, the "
    "process or the alert did or did not do (e.g. 'the deploy went out without a canary')."
)
POSSESSIVE_SUGGESTION = (
    "Fault belongs to no one in a blameless review. Name the condition instead (e.g. 'the "
    "config schema accepted an out-of-range value')."
)
NAME_SUGGESTION = (
    "A person is named as the cause. Describe the role and the situation instead "
    "(e.g. 'the on-call engineer, following the runbook, …') and what the system allowed."
)


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    suggestion: str


@cache
def rules() -> tuple[Rule, ...]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return tuple(
        Rule(item["id"], re.compile(item["pattern"], re.IGNORECASE), " ".join(item["suggestion"].split()))
        for item in data
    )


def known_names() -> list[str]:
    """First names (and full names) of the users: a name followed by a failure verb is blame.

    Computed once per request (lists check many incidents)."""
    from flask import g, has_app_context

    if has_app_context() and "blameless_names" in g:
        return g.blameless_names
    names: set[str] = set()
    for full in db.session.scalars(select(User.name)):
        full = (full or "").strip()
        if not full:
            continue
        names.add(full)
        first = full.split()[0]
        if len(first) >= 3:
            names.add(first)
    result = sorted(names, key=len, reverse=True)
    if has_app_context():
        g.blameless_names = result
    return result


@lru_cache(maxsize=8)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"\b({alternatives})(?:'s)?\s+(?:\w+\s+)?{FAILURE_VERBS}\b")


def check_text(text: str, where: str, names: list[str] | None = None) -> list[dict[str, str]]:
    """Findings in one text: [{"section", "phrase", "suggestion", "rule"}], in text order.
    Remembered by text (a save checks every text of its post-mortem again, most unchanged)."""
    if not text:
        return []
    names_key = tuple(names if names is not None else known_names())
    return [dict(finding) for finding in _check_text(text, where, names_key)]


@lru_cache(maxsize=2048)
def _check_text(text: str, where: str, names: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    found: list[tuple[int, dict[str, str]]] = []
    for rule in rules():
        for match in rule.pattern.finditer(text):
            found.append((match.start(), {
                "section": where, "phrase": match.group(0), "suggestion": rule.suggestion,
                "rule": rule.id,
            }))
    named: set[int] = set()
    pattern = _name_pattern(names)
    if pattern is not None:
        for match in pattern.finditer(text):
            named.add(match.start())
            found.append((match.start(), {
                "section": where, "phrase": match.group(0), "suggestion": NAME_SUGGESTION,
                "rule": "person-as-cause",
            }))
    # Names the system does not know: a capitalised word as the subject of a failure.
    for match in CAPITALISED_SUBJECT.finditer(text):
        if match.start() not in named and match.group(1) not in NOT_NAMES:
            found.append((match.start(), {
                "section": where, "phrase": match.group(0), "suggestion": NAME_SUGGESTION,
                "rule": "person-as-cause",
            }))
    for regex, rule_id, suggestion in ((PRONOUN_SUBJECT, "pronoun-as-cause", PRONOUN_SUGGESTION),
                                    (POSSESSIVE_BLAME, "possessive-blame", POSSESSIVE_SUGGESTION)):
        for match in regex.finditer(text):
            found.append((match.start(), {
                "section": where, "phrase": match.group(0), "suggestion": suggestion,
                "rule": rule_id,
            }))
    found.sort(key=lambda item: item[0])
    return tuple(finding for _, finding in found)


def check_incident(incident: Incident) -> list[dict[str, Any]]:
    """Findings over the sections, the timeline and the contributing factors."""
    names = known_names()
    findings: list[dict[str, Any]] = []
    findings += check_text(incident.title, "title", names)
    for section in incident.sections:
        findings += check_text(section.markdown, section.key, names)
    for event in incident.timeline:
        findings += check_text(event.text, "timeline", names)
    for factor in incident.factors:
        findings += check_text(factor.text, "factors", names)
    return findings


def findings_of(incident: Incident) -> list[dict[str, Any]]:
    """The findings stored by the last write, or checked now for a post-mortem without them."""
    return list(incident.findings) if incident.findings is not None else check_incident(incident)
