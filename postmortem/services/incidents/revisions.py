"""Immutable revisions: a snapshot of the whole post-mortem on every save, and their diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ...errors import NotFound
from ...extensions import db
from ...models import Incident, Revision, User, today, utcnow
from ...wording import shorten
from .snapshots import incident_dict


def record_revision(incident: Incident, actor: User | None, summary: str) -> Revision:
    """Append a revision holding the incident as it is now (the caller commits); a summary
    longer than 300 characters is cut at a word and ends with '…'."""
    number = (db.session.scalar(
        select(func.max(Revision.number)).where(Revision.incident_id == incident.id)
    ) or 0) + 1
    revision = Revision(
        incident_id=incident.id, number=number, author=actor, summary=shorten(summary, 300),
        snapshot=incident_dict(incident, today()), created_at=utcnow(),
    )
    db.session.add(revision)
    return revision


def list_revisions(incident: Incident) -> list[Revision]:
    stmt = select(Revision).where(Revision.incident_id == incident.id).order_by(Revision.number)
    return list(db.session.scalars(stmt))


def latest_revision(incident: Incident) -> Revision | None:
    """The incident's newest revision (one row, not all of them)."""
    return db.session.scalar(select(Revision).where(Revision.incident_id == incident.id)
                             .order_by(Revision.number.desc()).limit(1))


def revision_of_version(incident: Incident, version: int) -> Revision | None:
    """The newest revision whose snapshot is this version of the incident. Newest first, a few
    at a time: it is nearly always one of the last (a draft saved every few seconds has
    hundreds, each holding a whole snapshot)."""
    found = db.session.scalars(select(Revision).where(Revision.incident_id == incident.id)
                               .order_by(Revision.number.desc()).execution_options(yield_per=8))
    try:
        return next((revision for revision in found
                     if revision.snapshot.get("version") == version), None)
    finally:
        found.close()  # a server-side cursor on PostgreSQL


def get_revision(incident: Incident, number: int) -> Revision:
    revision = db.session.scalar(
        select(Revision).where(Revision.incident_id == incident.id, Revision.number == number)
    )
    if revision is None:
        raise NotFound(f"{incident.key} has no revision {number}.")
    return revision


def snapshot_text(snapshot: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """A revision as readable text, in blocks: [(heading, lines)], for side-by-side diffs."""
    blocks: list[tuple[str, list[str]]] = []
    metrics = snapshot.get("metrics") or {}
    blocks.append(("Details", [
        f"Title: {snapshot.get('title')}",
        f"Severity: {snapshot.get('severity')}",
        f"Status: {snapshot.get('status')}",
        f"Services: {', '.join(snapshot.get('services') or []) or '—'}",
        f"Tags: {', '.join(snapshot.get('tags') or []) or '—'}",
        f"Commander: {snapshot.get('commander') or '—'}",
        f"Started: {snapshot.get('started_at') or '—'}",
        f"Detected: {snapshot.get('detected_at') or '—'}",
        f"Mitigated: {snapshot.get('mitigated_at') or '—'}",
        f"Resolved: {snapshot.get('resolved_at') or '—'}",
        f"Time to resolve (s): {metrics.get('time_to_resolve_s')}",
    ]))
    for section in snapshot.get("sections") or []:
        lines = (section.get("markdown") or "").splitlines() or [""]
        blocks.append((section.get("title") or section.get("key"), lines))
    blocks.append(("Timeline", [
        f"{event['at']} [{event['kind']}] {event['text']}" for event in snapshot.get("timeline") or []
    ]))
    blocks.append(("Contributing factors", [
        (f"[{factor['category']}] " if factor.get("category") else "") + factor["text"]
        for factor in snapshot.get("factors") or []
    ]))
    blocks.append(("Action items", [
        f"[{item['status']}] {item['title']} (owner: {item.get('owner') or '—'}, "
        f"team: {item.get('team') or '—'}, due: {item.get('due_date') or '—'})"
        for item in snapshot.get("action_items") or []
    ]))
    blocks.append(("Deployments", [
        f"{d['service']} {d['version']} → {d['environment']} ({d.get('role')})"
        for d in snapshot.get("deployments") or []
    ]))
    return blocks


@dataclass
class DiffRow:
    kind: str  # "equal", "replace", "delete", "insert"
    left_no: int | None
    left: str
    right_no: int | None
    right: str


@dataclass
class DiffBlock:
    heading: str
    rows: list[DiffRow]
    changed: bool


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[DiffBlock]:
    """Side-by-side line diffs per block (details, each section, timeline, factors, items)."""
    old_blocks = dict(snapshot_text(old))
    new_blocks = snapshot_text(new)
    headings = [heading for heading, _ in new_blocks]
    headings += [heading for heading in old_blocks if heading not in headings]
    new_map = dict(new_blocks)
    result: list[DiffBlock] = []
    for heading in headings:
        left = old_blocks.get(heading, [])
        right = new_map.get(heading, [])
        rows: list[DiffRow] = []
        matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                rows += [DiffRow("equal", i1 + k + 1, left[i1 + k], j1 + k + 1, right[j1 + k])
                         for k in range(i2 - i1)]
                continue
            span = max(i2 - i1, j2 - j1)
            for k in range(span):
                li, rj = i1 + k, j1 + k
                has_left, has_right = li < i2, rj < j2
                kind = "replace" if has_left and has_right else ("delete" if has_left else "insert")
                rows.append(DiffRow(
                    kind,
                    li + 1 if has_left else None, left[li] if has_left else "",
                    rj + 1 if has_right else None, right[rj] if has_right else "",
                ))
        result.append(DiffBlock(heading, rows, any(row.kind != "equal" for row in rows)))
    return result


def snapshot_for(revision: Revision, reader: User | None) -> dict[str, Any]:
    """A revision's snapshot as this reader may see it: a deployment saved as linked to a
    post-mortem that is restricted now, and hidden from the reader, no longer names it."""
    from .visibility import hidden_in, sight

    hidden = {f"INC-{number}" for number in db.session.scalars(hidden_in(sight(reader)))}
    return _without_keys(revision.snapshot, hidden) if hidden else dict(revision.snapshot)


def _without_keys(value: Any, hidden: set[str]) -> Any:
    if isinstance(value, dict):
        return {name: ([key for key in item if key not in hidden] if name == "incident_keys"
                       and isinstance(item, list) else _without_keys(item, hidden))
                for name, item in value.items()}
    if isinstance(value, list):
        return [_without_keys(item, hidden) for item in value]
    return value
