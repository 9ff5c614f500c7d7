"""The one validation layer: a schema per resource, built from field types that each carry one
rule, serving the API, the HTML forms, the importer and the CLI alike."""

from .action_items import ActionItemChanges, ActionItemFilters, ActionItemIn
from .base import TIMESTAMPS, Schema, order_problems, out_of_order, parse
from .catalog import CategoryIn, ServiceChanges, ServiceIn
from .deployments import DeploymentFilters, DeploymentIn, LinkIn, SuggestionWindow
from .exchange import FrontMatter, ImportOptions
from .incidents import (
    CommentIn,
    FactorChanges,
    FactorIn,
    IncidentChanges,
    IncidentFilters,
    IncidentIn,
    TimelineEventChanges,
    TimelineEventIn,
    TransitionIn,
)
from .queries import Limit, Paging, Period, ThemeChanges, ThemeMerge, ThemeQuery, View

__all__ = [
    "TIMESTAMPS", "ActionItemChanges", "ActionItemFilters", "ActionItemIn", "CategoryIn",
    "CommentIn", "DeploymentFilters", "DeploymentIn", "FactorChanges", "FactorIn", "FrontMatter",
    "ImportOptions",
    "IncidentChanges", "IncidentFilters", "IncidentIn", "LinkIn", "Limit", "Paging", "Period",
    "Schema", "ServiceChanges", "ServiceIn", "SuggestionWindow", "ThemeChanges", "ThemeMerge", "ThemeQuery",
    "View",
    "TimelineEventChanges", "TimelineEventIn", "TransitionIn", "order_problems", "out_of_order",
    "parse",
]
