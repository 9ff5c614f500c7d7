"""The editor's form values: built from an incident or a revision, read back from a POST,
and compared three ways when a save arrives for a stale version."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from ..models import Incident, Revision, today
from ..services.incidents import incident_dict
from ..timeutil import parse_timestamp
from .helpers import preferences
from .timezones import local_input_to_iso, to_local_input

TIMESTAMP_FIELDS = ("started_at", "detected_at", "mitigated_at", "resolved_at")
PLAIN_FIELDS = ("title", "severity", "services", "tags", "commander", "reviewers", "readers")
# A checkbox: "on" when ticked, "" (absent from the form) when not.
SWITCHES = ("restricted",)
LABELS = {
    "title": "Title", "severity": "Severity", "services": "Services", "tags": "Tags",
    "commander": "Commander", "reviewers": "Reviewers", "readers": "Readers",
    "restricted": "Restricted", "started_at": "Started", "detected_at": "Detected",
    "mitigated_at": "Mitigated", "resolved_at": "Resolved",
}


def snapshot_values(snapshot: dict[str, Any], tz: str) -> dict[str, str]:
    """Form values {input name: string} of an incident in its dictionary form."""
    values = {
        "title": snapshot.get("title") or "",
        "severity": snapshot.get("severity") or "",
        "services": ", ".join(snapshot.get("services") or []),
        "tags": ", ".join(snapshot.get("tags") or []),
        "commander": snapshot.get("commander") or "",
        "reviewers": ", ".join(snapshot.get("reviewers") or []),
        "readers": ", ".join(snapshot.get("readers") or []),
        "restricted": "on" if snapshot.get("restricted") else "",
    }
    for name in TIMESTAMP_FIELDS:
        raw = snapshot.get(name)
        values[name] = (to_local_input(parse_timestamp(raw), tz, preferences().clock)
                        if raw else "")
    for section in snapshot.get("sections") or []:
        values[f"section-{section['key']}"] = section.get("markdown") or ""
    return values


def incident_values(incident: Incident, tz: str) -> dict[str, str]:
    return snapshot_values(incident_dict(incident, today()), tz)


def form_values(form: MultiDict, incident: Incident) -> dict[str, str]:
    """The editor's values as posted (only the inputs the editor has)."""
    values = {name: form.get(name, "") for name in PLAIN_FIELDS + TIMESTAMP_FIELDS}
    for name in SWITCHES:
        values[name] = "on" if form.get(name) else ""
    for section in incident.sections:
        name = f"section-{section.key}"
        values[name] = form.get(name, "").replace("\r\n", "\n")
    return values


def values_to_data(values: dict[str, str], tz: str, incident: Incident) -> tuple[dict[str, Any], dict]:
    """The service's input for update_incident, and field errors found while converting times."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {name: values[name] for name in PLAIN_FIELDS}
    for name in SWITCHES:
        data[name] = values.get(name) == "on"
    for name in TIMESTAMP_FIELDS:
        try:
            data[name] = local_input_to_iso(values.get(name), tz)
        except ValueError as error:
            errors[name] = [str(error)]
    data["sections"] = {s.key: values.get(f"section-{s.key}", "") for s in incident.sections}
    return data, errors


def label(name: str, incident: Incident) -> str:
    if name.startswith("section-"):
        section = incident.section(name.removeprefix("section-"))
        return section.title if section else name
    return LABELS.get(name, name)


def three_way(incident: Incident, yours: dict[str, str], base_revision: Revision | None,
              tz: str) -> dict[str, Any]:
    """Compare your values with theirs (the current ones) and the base you started from.

    Returns {"fields": [...], "merged": values}: every field where yours and theirs differ,
    marked "conflict" when both sides changed it, or "theirs" when only they did (then
    `merged` already holds their value). Your own changes stay in `merged`.
    """
    theirs = incident_values(incident, tz)
    base = snapshot_values(base_revision.snapshot, tz) if base_revision else {}
    merged = dict(yours)
    fields: list[dict[str, Any]] = []
    for name in yours:
        mine, their = yours.get(name, ""), theirs.get(name, "")
        zone = tz if name in TIMESTAMP_FIELDS else None
        if _same(mine, their, zone):
            continue
        original = base.get(name)
        you_changed = original is None or not _same(mine, original, zone)
        they_changed = original is None or not _same(their, original, zone)
        if not they_changed:
            continue  # only you changed it: your value stands
        kind = "conflict" if you_changed else "theirs"
        if kind == "theirs":
            merged[name] = their
        fields.append({"name": name, "label": label(name, incident), "kind": kind,
                       "theirs": their, "yours": mine})
    return {"fields": fields, "merged": merged}


def _same(a: str | None, b: str | None, tz: str | None = None) -> bool:
    """Equal as text, or (given the zone) as the same moment written two ways."""
    if (a or "").strip() == (b or "").strip():
        return True
    if tz is None:
        return False
    try:
        return local_input_to_iso(a, tz) == local_input_to_iso(b, tz)
    except ValueError:
        return False
