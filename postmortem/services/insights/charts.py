"""Charts as SVG (pygal), so the same drawing serves web pages and PDFs; no JavaScript."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

# pygal appends a legacy sys.meta_path finder (for its map plugins, unused here) that makes
# every later failed import emit an ImportWarning; take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

PALETTE = ("#2563eb", "#12b76a", "#f79009", "#b42318", "#7a5af8", "#0e9384", "#dd2590", "#667085")
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1d2330",
    foreground_strong="#1d2330",
    foreground_subtle="#eef1f5",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    guide_stroke_color="#eef1f5",
    major_guide_stroke_color="#dfe3ea",
    opacity=".9",
    opacity_hover="1",
    colors=PALETTE,
    font_family="DejaVu Sans, Liberation Sans, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=10,
    tooltip_font_size=11,
)


def _config(width: int, height: int) -> dict:
    return {
        "style": STYLE,
        "width": width,
        "height": height,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": False,
        "legend_at_bottom": True,
        "margin_bottom": 28,  # room for the legend under the x labels
        "legend_at_bottom_columns": 4,
        "print_values": False,
        "show_y_guides": True,
        "margin": 8,
        "no_data_text": "No data",
        "legend_box_size": 10,
        "truncate_legend": -1,
        "truncate_label": -1,
        "spacing": 12,
    }


def _integer_axis(chart: pygal.graph.graph.Graph, series: Mapping[str, Sequence[float | None]]) -> None:
    """Counts get whole-number gridlines (0, 1, 2 … or a round step)."""
    top = max([v for values in series.values() for v in values if v is not None] or [0])
    step = 1
    for candidate in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        step = candidate
        if top / candidate <= 6:
            break
    chart.y_labels = list(range(0, int(top) + step + 1, step)) if top else [0, 1]


SCRIPT_RE = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


def _render(chart: pygal.graph.graph.Graph) -> str:
    """The SVG without pygal's inline <script> (tooltip config): our pages allow no inline
    scripts, and the charts need none."""
    return SCRIPT_RE.sub("", chart.render(is_unicode=True))


SEVERITY_COLORS = ("#b42318", "#f04438", "#f79009", "#98a2b3")


def bar_chart(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
              stacked: bool = False, horizontal: bool = False, width: int = 640,
              height: int = 280, title: str | None = None,
              colors: Sequence[str] | None = None,
              links: Sequence[str | None] | None = None) -> str:
    """An SVG bar chart; `series` maps a legend label to one value per x label. `links`, one
    per x label, makes each bar open the list it counts."""
    kind = pygal.StackedBar if stacked else (pygal.HorizontalBar if horizontal else pygal.Bar)
    config = _config(width, height)
    if colors:
        config["style"] = Style(**{**STYLE.__dict__, "colors": tuple(colors)})
    if horizontal:
        config["show_legend"] = len(series) > 1
    if horizontal:  # pygal draws the first bar at the bottom; read top-down instead
        labels = list(reversed(labels))
        series = {name: list(reversed(values)) for name, values in series.items()}
        links = list(reversed(links)) if links else None
    chart = kind(title=title, **config)
    chart.x_labels = list(labels)
    _integer_axis(chart, series)
    for name, values in series.items():
        if links:
            chart.add(name, [{"value": value, "xlink": {"href": link, "target": "_top"}}
                             if link else value for value, link in zip(values, links, strict=False)])
        else:
            chart.add(name, list(values))
    return _render(chart)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
               width: int = 640, height: int = 280, title: str | None = None) -> str:
    chart = pygal.Line(title=title, x_label_rotation=0, show_dots=True, dots_size=3,
                       **_config(width, height))
    chart.x_labels = list(labels)
    chart.x_labels_major_every = max(1, len(labels) // 6)
    chart.show_minor_x_labels = False
    _integer_axis(chart, series)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart)
