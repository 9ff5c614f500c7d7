"""The stakeholder digest over a period: what happened, how fast we recovered, what keeps
coming back, and whether the follow-ups get done."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...errors import ValidationError
from ...extensions import db
from ...models import Incident, IncidentStatus, Severity, utcnow
from ...schemas import Period, parse
from ...timeutil import end_of_day
from ..action_items import board as actions
from ..incidents.visibility import Sight, visible_in
from ..setup import templates
from . import charts


def parse_period(args: dict[str, Any]) -> tuple[datetime, datetime]:
    """since/until from query arguments (dates or timestamps); default: the last 6 months in
    whole UTC days (today and the 182 days before).

    A bare `until` date includes that whole day. Raises ValidationError for bad values.
    """
    period = parse(Period, args)
    # The default is whole UTC days (today and the 182 before), so the page, its PDF link
    # (which carries the dates) and the PDF all mean the same period.
    until = period.until or end_of_day(utcnow())
    since = period.since or datetime.combine((until - timedelta(days=182)).date(), time.min,
                                             tzinfo=UTC)
    if since > until:
        raise ValidationError(period.failure, fields={"since": ["must be before until"]})
    return since, until


def _months(since: datetime, until: datetime) -> list[str]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _list_link(**filters: str) -> str:
    """The incident list filtered as a bar counts it (a path: the web page and the PDF)."""
    return "/incidents?" + urlencode(filters)


def _month_period(month: str) -> dict[str, str]:
    """since/until of a 'YYYY-MM' month."""
    year, number = (int(part) for part in month.split("-"))
    last = (date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)).isoformat()
    return {"since": f"{month}-01", "until": last}


def _mean(values: list[int]) -> float | None:
    return statistics.mean(values) if values else None


def _figures(incidents: list[Incident], since: datetime, until: datetime) -> dict[str, Any]:
    """The digest's headline figures over these (published) incidents."""
    ttd = [m for i in incidents if (m := i.metrics()["time_to_detect_s"]) is not None]
    ttr = [m for i in incidents if (m := i.metrics()["time_to_resolve_s"]) is not None]
    severities = Counter(i.severity for i in incidents)
    return {
        "count": len(incidents),
        "severe": severities.get(Severity.SEV1, 0) + severities.get(Severity.SEV2, 0),
        "mttd_s": _mean(ttd), "mttr_s": _mean(ttr),
        "completion_rate": actions.stats({"since": since, "until": until})["completion_rate"],
    }


def _change(now: float | None, before: float | None, lower_is_better: bool) -> dict[str, Any]:
    """{"before", "direction": "up"|"down"|"same"|None, "good": bool|None} for one figure."""
    if now is None or before is None:
        return {"before": before, "direction": None, "good": None}
    direction = "same" if abs(now - before) < 1e-9 else ("up" if now > before else "down")
    good = None if direction == "same" else (direction == "down") == lower_is_better
    return {"before": before, "direction": direction, "good": good}


def build_digest(since: datetime, until: datetime, *, seen: Sight) -> dict[str, Any]:
    """Everything the digest shows to a reader who sees `seen` (services.incidents.visibility:
    the post-mortems they may not read are left out of its lists and figures alike), charts
    included (as SVG strings). Figures count published post-mortems only (the others are
    listed apart) and stand next to the previous period of the same length; overdue action
    items are listed with their owners."""
    in_period = list(db.session.scalars(
        select(Incident).where(Incident.started_at >= since, Incident.started_at <= until,
                               Incident.archived_at.is_(None), visible_in(seen))
        .order_by(Incident.started_at)
        .options(selectinload(Incident.factors), selectinload(Incident.tag_rows),
                 selectinload(Incident.services))))
    incidents = [i for i in in_period if i.status == IncidentStatus.PUBLISHED]
    unpublished = [i for i in in_period if i.status != IncidentStatus.PUBLISHED]
    # A period of whole days ends a microsecond before midnight: the previous one is as long.
    length = until - since + (timedelta(microseconds=1) if until.microsecond == 999_999 else
                              timedelta(0))
    previous_since, previous_until = since - length, since - timedelta(microseconds=1)
    previous = list(db.session.scalars(
        select(Incident).where(Incident.started_at >= previous_since,
                               Incident.started_at <= previous_until,
                               Incident.archived_at.is_(None), visible_in(seen),
                               Incident.status == IncidentStatus.PUBLISHED)))
    figures = _figures(incidents, since, until)
    before = _figures(previous, previous_since, previous_until)
    changes = {name: _change(figures[name], before[name], lower_is_better=name != "completion_rate")
               for name in figures}
    overdue = list(actions.board_page({"overdue": True, "sight": seen}, "", 1, 20).items)
    months = _months(since, until)
    by_month = {sev.value: [0] * len(months) for sev in Severity}
    for incident in incidents:
        month = incident.started_at.strftime("%Y-%m")
        if month in months:
            by_month[incident.severity][months.index(month)] += 1
    categories = {c.key: c.name for c in templates.list_categories(include_inactive=True)}
    # Post-mortems per category, as the themes page counts them (not factors: one post-mortem
    # with two factors of a category counts once).
    category_counts = Counter(key for i in incidents
                              for key in {f.category for f in i.factors if f.category})
    tag_counts = Counter(tag for i in incidents for tag in i.tags)
    service_counts = Counter(s.name for i in incidents for s in i.services)
    item_stats = actions.stats({"since": since, "until": until, "sight": seen})
    top_categories = category_counts.most_common(8)
    top_factors = [(categories.get(key, key), n) for key, n in top_categories]
    period = {"since": since.date().isoformat(), "until": until.date().isoformat()}
    top_services = service_counts.most_common(8)
    month_labels = [datetime.strptime(m, "%Y-%m").strftime("%b %Y") for m in months]
    return {
        "since": since, "until": until, "incidents": incidents, "unpublished": unpublished,
        "count": len(incidents),
        "by_severity": Counter(i.severity for i in incidents),
        "mttd_s": figures["mttd_s"], "mttr_s": figures["mttr_s"],
        "figures": figures, "changes": changes,
        "previous_since": previous_since, "previous_until": previous_until,
        "overdue": overdue,
        "top_factors": top_factors,
        # A tag seen once is no pattern.
        "top_tags": [(tag, n) for tag, n in tag_counts.most_common(8) if n > 1],
        "top_services": top_services, "actions": item_stats,
        "months_chart": charts.bar_chart(month_labels, by_month, stacked=True, height=260,
                                         colors=charts.SEVERITY_COLORS,
                                         links=[_list_link(status="published",
                                                           **_month_period(m)) for m in months]),
        "factors_chart": charts.bar_chart([name for name, _ in top_factors],
                                          {"Post-mortems": [n for _, n in top_factors]},
                                          horizontal=True, width=360,
                                          height=50 + 30 * max(1, len(top_factors)),
                                          links=[_list_link(theme=key, status="published", **period)
                                                 for key, _ in top_categories]),
        "services_chart": charts.bar_chart([name for name, _ in top_services],
                                           {"Post-mortems": [n for _, n in top_services]},
                                           horizontal=True, width=360,
                                           height=50 + 30 * max(1, len(top_services)),
                                           links=[_list_link(service=name, status="published",
                                                             **period)
                                                  for name, _ in top_services]),
    }
