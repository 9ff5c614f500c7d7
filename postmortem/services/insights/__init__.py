"""What the archive teaches: search, similar post-mortems, recurring themes, the digest and
its charts. Search is the database's own full-text engine, kept in step by every write;
similar post-mortems and themes are computed by the insight job (engine.py) off the request
path and stored."""

from .charts import bar_chart, line_chart
from .corrections import taken_out
from .digest import build_digest, parse_period
from .engine import card_of as theme_card
from .home import Home, home_for, home_shows
from .knowledge import concentrated, knowledge_by_service, knowledge_of
from .profiles import nearest_theme, nearest_theme_of
from .search import mark_changed, reindex_all, search_incidents, track_changes
from .similarity import similar_from_rows, similar_incidents, similar_rows
from .suggestions import suggested_category, suggestions_stamp
from .theme_edits import correct_theme, correction_of, merge_themes, remove_from_theme
from .themes import (
    computed,
    detected_theme_names,
    detected_themes_of,
    get_theme,
    incident_filters,
    incidents_by_key,
    list_themes,
    preload_themes,
    stamps_of_keys,
    theme_cards,
    themes_document,
    themes_of,
    worked_out_on_read,
)
from .worker import ensure_worker, refresh, wait_until_fresh

__all__ = [
    "concentrated", "knowledge_by_service", "knowledge_of",
    "Home", "home_for", "home_shows",
    "bar_chart", "build_digest", "computed", "ensure_worker", "get_theme", "incident_filters",
    "incidents_by_key", "line_chart", "list_themes", "mark_changed",
    "parse_period", "preload_themes", "detected_themes_of", "stamps_of_keys", "theme_card",
    "theme_cards", "themes_document",
    "refresh", "reindex_all", "search_incidents", "similar_from_rows", "similar_incidents", "similar_rows",
    "themes_of", "track_changes", "worked_out_on_read",
    "wait_until_fresh",
    "correct_theme", "correction_of", "detected_theme_names", "merge_themes", "nearest_theme",
    "nearest_theme_of", "remove_from_theme", "suggested_category", "suggestions_stamp", "taken_out",
]
