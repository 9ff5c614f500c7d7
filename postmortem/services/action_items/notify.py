"""Telling people about action items: the signed outbound webhook and the reminder digests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import ActionItem, ActionStatus, User, today
from ..incidents.snapshots import action_item_dict
from ..incidents.visibility import may_read
from ..outbox import post_webhook

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_S = 5


def status_changed(item: ActionItem, old_status: str | None, actor: User | None) -> bool:
    """POST the change to the configured webhook; True when delivered (2xx).

    Delivery failures are logged and never undo the change that caused them. Nothing is
    posted for a restricted post-mortem's items (a webhook's channel is read by everyone).
    """
    if item.incident.restricted:
        return False
    return post_webhook("action_item.status_changed", {
        "from": old_status,
        "to": item.status,
        "actor": actor.email if actor else None,
        "action_item": action_item_dict(item, today()),
        "incident": {"key": item.incident.key, "title": item.incident.title},
    })


@dataclass
class Digest:
    owner: User
    overdue: list[ActionItem] = field(default_factory=list)
    due_soon: list[ActionItem] = field(default_factory=list)

    def text(self, base_url: str | None) -> str:
        lines = [f"Hello {self.owner.name},", "",
                 "These action items from post-mortems are waiting for you:", ""]
        for title, items in (("Overdue", self.overdue), ("Due soon", self.due_soon)):
            if not items:
                continue
            lines.append(f"{title}:")
            for item in items:
                due = item.due_on.isoformat() if item.due_on else "no date"
                source = item.incident.key if may_read(item.incident, self.owner) else "restricted"
                lines.append(f"  - [{source}] {item.title} (due {due}, "
                             f"{item.status.replace('_', ' ')})")
                if base_url:
                    lines.append(f"    {base_url.rstrip('/')}/action-items/{item.id}")
            lines.append("")
        lines.append("Mark an item done, or won't do with a reason, and these reminders stop.")
        return "\n".join(lines)


def reminder_digests(on: date | None = None, soon_days: int = 7) -> list[Digest]:
    """Per owner: unfinished items overdue or due within `soon_days`, whatever the
    post-mortem's status (reminders outlive publication)."""
    on = on or today()
    stmt = (select(ActionItem)
            .where(ActionItem.status.in_([ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value]),
                   ActionItem.owner_id.is_not(None), ActionItem.due_on.is_not(None),
                   ActionItem.due_on <= on + timedelta(days=soon_days))
            .order_by(ActionItem.due_on, ActionItem.id))
    digests: dict[int, Digest] = {}
    for item in db.session.scalars(stmt):
        assert item.owner is not None and item.due_on is not None
        if not item.owner.active:
            continue
        digest = digests.setdefault(item.owner.id, Digest(item.owner))
        (digest.overdue if item.due_on < on else digest.due_soon).append(item)
    return sorted(digests.values(), key=lambda d: d.owner.email)




def subject_for(digest: Digest) -> str:
    parts = []
    if digest.overdue:
        parts.append(f"{len(digest.overdue)} overdue")
    if digest.due_soon:
        parts.append(f"{len(digest.due_soon)} due soon")
    return "Postmortem action items: " + ", ".join(parts)
