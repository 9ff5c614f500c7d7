"""The stakeholder digest over a period: what happened, how fast we recovered, what keeps
coming back, and whether the follow-ups get done."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ...errors import ValidationError
from ...extensions import db
from ...models import Incident, Severity, utcnow
from ...schemas import Period, parse
from ..action_items import items as actions
from ..setup import templates
from . import charts


def parse_period(args: dict[str, Any]) -> tuple[datetime, datetime]:
    """since/until from query arguments (dates or timestamps); default: the last 6 months.

    A bare `until` date includes that whole day. Raises ValidationError for bad values.
    """
    period = parse(Period, args)
    until = period.until or utcnow()
    since = period.since or (until - timedelta(days=182))
    if since > until:
        raise ValidationError(period.failure, fields={"since": ["must be before until"]})
    return since, until


def _months(since: datetime, until: datetime) -> list[str]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _mean(values: list[int]) -> float | None:
    return statistics.mean(values) if values else None


def build_digest(since: datetime, until: datetime) -> dict[str, Any]:
    """Everything the digest shows, charts included (as SVG strings)."""
    incidents = list(db.session.scalars(
        select(Incident).where(Incident.started_at >= since, Incident.started_at <= until,
                               Incident.archived_at.is_(None))
        .order_by(Incident.started_at)))
    months = _months(since, until)
    by_month = {sev.value: [0] * len(months) for sev in Severity}
    for incident in incidents:
        month = incident.started_at.strftime("%Y-%m")
        if month in months:
            by_month[incident.severity][months.index(month)] += 1
    ttd = [m for i in incidents if (m := i.metrics()["time_to_detect_s"]) is not None]
    ttr = [m for i in incidents if (m := i.metrics()["time_to_resolve_s"]) is not None]
    categories = {c.key: c.name for c in templates.list_categories(include_inactive=True)}
    factor_counts = Counter(categories.get(f.category, f.category)
                            for i in incidents for f in i.factors if f.category)
    tag_counts = Counter(tag for i in incidents for tag in i.tags)
    service_counts = Counter(s.name for i in incidents for s in i.services)
    item_stats = actions.stats({"since": since, "until": until})
    top_factors = factor_counts.most_common(8)
    top_services = service_counts.most_common(8)
    month_labels = [datetime.strptime(m, "%Y-%m").strftime("%b %Y") for m in months]
    return {
        "since": since, "until": until, "incidents": incidents,
        "count": len(incidents),
        "by_severity": Counter(i.severity for i in incidents),
        "mttd_s": _mean(ttd), "mttr_s": _mean(ttr),
        "top_factors": top_factors, "top_tags": tag_counts.most_common(8),
        "top_services": top_services, "actions": item_stats,
        "months_chart": charts.bar_chart(month_labels, by_month, stacked=True, height=260,
                                         colors=charts.SEVERITY_COLORS),
        "factors_chart": charts.bar_chart([name for name, _ in top_factors],
                                          {"Incidents": [n for _, n in top_factors]},
                                          horizontal=True, width=360,
                                          height=50 + 30 * max(1, len(top_factors))),
        "services_chart": charts.bar_chart([name for name, _ in top_services],
                                           {"Incidents": [n for _, n in top_services]},
                                           horizontal=True, width=360,
                                           height=50 + 30 * max(1, len(top_services))),
    }
