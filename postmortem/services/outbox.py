"""Messages that leave the app: plain-text mail with the POSTMORTEM_MAIL_* settings, and the
signed JSON webhook. Failures are logged and never undo what caused them."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from flask import current_app

from ..models import utcnow
from ..timeutil import isoformat

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_S = 5


def sign(body: bytes, secret: str) -> str:
    """The X-Postmortem-Signature header value: 'sha256=' + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(event: str, payload: dict[str, Any]) -> bool:
    """POST {"event", "at", **payload} to the configured webhook; True when delivered (2xx)."""
    url = current_app.config.get("WEBHOOK_URL")
    if not url:
        return False
    body = json.dumps({"event": event, "at": isoformat(utcnow()), **payload},
                      sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "postmortem-webhook",
               "X-Postmortem-Event": event}
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


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_mail(to: str, subject: str, text: str) -> None:
    """Send one plain-text message with the POSTMORTEM_MAIL_* settings (OSError on failure)."""
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


def try_mail(to: str, subject: str, text: str) -> bool:
    """send_mail when mail is configured; False (logged) when it is not or fails."""
    if not mail_configured():
        return False
    try:
        send_mail(to, subject, text)
    except OSError as error:  # smtplib's errors are OSErrors
        log.warning("mail to %s failed: %s", to, error)
        return False
    return True
