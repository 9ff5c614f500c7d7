"""Telling people about action items: the signed outbound webhook and the reminder digests."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import ActionItem, ActionStatus, User, today, utcnow
from ...timeutil import isoformat
from ..incidents.snapshots import action_item_dict

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_S = 5


def sign(body: bytes, secret: str) -> str:
    """The X-Postmortem-Signature header value: 'sha256=' + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def status_changed(item: ActionItem, old_status: str | None, actor: User | None) -> bool:
    """POST the change to the configured webhook; True when delivered (2xx).

    Delivery failures are logged and never undo the change that caused them.
    """
    url = current_app.config.get("WEBHOOK_URL")
    if not url:
        return False
    payload = {
        "event": "action_item.status_changed",
        "at": isoformat(utcnow()),
        "from": old_status,
        "to": item.status,
        "actor": actor.email if actor else None,
        "action_item": action_item_dict(item, today()),
        "incident": {"key": item.incident.key, "title": item.incident.title},
    }
    body = json.dumps(payload, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "postmortem-webhook",
               "X-Postmortem-Event": "action_item.status_changed"}
    secret = current_app.config.get("WEBHOOK_SECRET")
    if secret:
        headers["X-Postmortem-Signature"] = sign(body, str(secret))
    request = urllib.request.Request(str(url), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:  # noqa: S310
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as error:
        log.warning("webhook delivery to %s failed: %s", url, error)
        return False


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
                lines.append(f"  - [{item.incident.key}] {item.title} (due {due}, "
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


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, text: str) -> None:
    """Send one plain-text message with the POSTMORTEM_MAIL_* settings."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM") or "postmortem@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    smtp_class: Any = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(host, port, timeout=30) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], str(config.get("MAIL_PASSWORD") or ""))
        smtp.send_message(message)


def subject_for(digest: Digest) -> str:
    parts = []
    if digest.overdue:
        parts.append(f"{len(digest.overdue)} overdue")
    if digest.due_soon:
        parts.append(f"{len(digest.due_soon)} due soon")
    return "Postmortem action items: " + ", ".join(parts)
