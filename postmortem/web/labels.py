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


# What people call the fields the forms and the API name.
FIELD_LABELS = {
    "resolution_note": "Reason", "due_date": "Due date", "factor_id": "Contributing factor",
    "external_url": "Link", "completed_at": "Done on", "started_at": "Impact started",
    "detected_at": "Detected", "mitigated_at": "Mitigated", "resolved_at": "Resolved",
    "deployment_id": "Deployment", "section-summary": "Summary", "_": "",
}


def field_label(name: object) -> str:
    """'resolution_note' → 'Reason', 'section-what_went_poorly' → 'What went poorly'."""
    text = str(name or "")
    if text in FIELD_LABELS:
        return FIELD_LABELS[text]
    text = text.removeprefix("section-").replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]
