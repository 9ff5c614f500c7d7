"""What people read for each value of a closed vocabulary: the `label` Jinja filter, shared by
the pages and the PDFs. The models hold values; the words live here."""

from __future__ import annotations

from enum import StrEnum

from ..models import ActionStatus, IncidentStatus, LinkRole, Severity

LABELS: dict[StrEnum, str] = {
    IncidentStatus.DRAFT: "Draft",
    IncidentStatus.IN_REVIEW: "In review",
    IncidentStatus.PUBLISHED: "Published",
    ActionStatus.OPEN: "Open",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.DONE: "Done",
    ActionStatus.WONT_DO: "Won't do",
    LinkRole.SUSPECTED: "Suspected",
    LinkRole.CULPRIT: "Culprit",
    LinkRole.ROLLBACK_TARGET: "Rollback target",
}

SEVERITY_DESCRIPTIONS = {
    Severity.SEV1: "Critical: widespread outage or data loss",
    Severity.SEV2: "Major: a core feature down for many users",
    Severity.SEV3: "Minor: degraded service or a small group affected",
    Severity.SEV4: "Low: little or no customer impact",
}


def label(value: object) -> str:
    """The words for a vocabulary value ('in_review' → 'In review'); other values as they are,
    with underscores as spaces and a capital first letter."""
    if isinstance(value, StrEnum) and value in LABELS:
        return LABELS[value]
    text = str(value or "").replace("_", " ")
    return text[:1].upper() + text[1:]
