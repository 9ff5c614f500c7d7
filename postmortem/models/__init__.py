"""The data model, one module per aggregate; importing this registers every table."""

from .action_item import ActionItem, ActionItemEvent
from .deployment import Artifact, Deployment, IncidentDeployment
from .enums import (
    ActionKind,
    ActionStatus,
    DeploymentKind,
    IncidentStatus,
    LinkRole,
    ListView,
    Priority,
    Severity,
    TimelineKind,
)
from .incident import (
    Factor,
    Incident,
    IncidentSection,
    IncidentTag,
    Presence,
    ReviewComment,
    Revision,
    TimelineEvent,
    comment_mentions,
    incident_readers,
    incident_reviewers,
    incident_services,
)
from .insight import (
    CategoryModel,
    IncidentNeighbour,
    InputVersion,
    InsightQueue,
    InsightState,
    SearchDocument,
    Theme,
    ThemeCorrection,
    ThemeMember,
    search_ddl,
)
from .service import Service
from .template import FactorCategory, Setting, Template, TemplateSection
from .types import UTCDateTime, today, utcnow
from .user import ApiToken, LoginFailure, Role, User

__all__ = [
    "ActionItem",
    "ActionItemEvent",
    "ActionKind",
    "ActionStatus",
    "ApiToken",
    "Artifact",
    "Deployment",
    "DeploymentKind",
    "Factor",
    "FactorCategory",
    "Incident",
    "IncidentDeployment",
    "IncidentSection",
    "IncidentStatus",
    "IncidentTag",
    "LinkRole",
    "ListView",
    "LoginFailure",
    "Presence",
    "Priority",
    "ReviewComment",
    "Revision",
    "Role",
    "Service",
    "Setting",
    "Severity",
    "Template",
    "TemplateSection",
    "TimelineEvent",
    "TimelineKind",
    "UTCDateTime",
    "User",
    "comment_mentions", "incident_readers", "incident_reviewers", "incident_services",
    "IncidentNeighbour", "InputVersion", "InsightQueue", "InsightState", "SearchDocument",
    "Theme", "ThemeMember", "ThemeCorrection", "CategoryModel",
    "search_ddl",
    "today",
    "utcnow",
]
