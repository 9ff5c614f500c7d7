"""What the archive teaches: search, similar post-mortems, recurring themes, the digest and
its charts."""

from .charts import bar_chart, line_chart
from .digest import build_digest, parse_period
from .home import Home, home_for
from .similarity import search_incidents, similar_incidents
from .themes import all_themes, incident_filters, incident_ids_for_theme, themes_of

__all__ = [
    "Home", "home_for",
    "all_themes", "bar_chart", "build_digest", "incident_filters", "incident_ids_for_theme",
    "line_chart", "parse_period", "search_incidents", "similar_incidents", "themes_of",
]
