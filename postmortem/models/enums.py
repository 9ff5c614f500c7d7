"""Closed vocabularies of the domain."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"



class IncidentStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"



class TimelineKind(StrEnum):
    DETECTION = "detection"
    ESCALATION = "escalation"
    COMMUNICATION = "communication"
    MITIGATION = "mitigation"
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    RESOLUTION = "resolution"
    NOTE = "note"


class ActionKind(StrEnum):
    PREVENT = "prevent"
    MITIGATE = "mitigate"
    DETECT = "detect"
    PROCESS = "process"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"


    @property
    def finished(self) -> bool:
        return self not in UNFINISHED


# The statuses of an item still to be done: the board's default view, and what can be overdue.
UNFINISHED = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class DeploymentKind(StrEnum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    CONFIG = "config"
    MANUAL = "manual"


class ListView(StrEnum):
    """How much of each item a large API list gives: what a list needs, or every field."""

    SUMMARY = "summary"
    FULL = "full"


class LinkRole(StrEnum):
    SUSPECTED = "suspected"
    CULPRIT = "culprit"
    ROLLBACK_TARGET = "rollback_target"



def choices(enum: type[StrEnum]) -> str:
    """'a, b, c': the values of enum for error messages."""
    return ", ".join(member.value for member in enum)
