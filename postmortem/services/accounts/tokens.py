"""Personal API tokens: created once in clear, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...errors import NotFound, ValidationError
from ...extensions import db
from ...models import ApiToken, User, utcnow

TOKEN_PREFIX = "pm_"
# Writing last_used_at on every call would make each API read a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, label: str) -> tuple[ApiToken, str]:
    """Create a token for user; returns the record and the clear token, which is never stored."""
    label = (label or "").strip()
    if not label:
        raise ValidationError("A token needs a label.", fields={"label": ["is required"]})
    if len(label) > 100:
        raise ValidationError("Label too long.", fields={"label": ["at most 100 characters"]})
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, label=label, token_hash=hash_token(clear), prefix=clear[:10])
    db.session.add(token)
    db.session.commit()
    return token, clear


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of user's tokens; NotFound when it is not theirs."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def user_for_token(clear: str) -> User | None:
    """The active user owning this unrevoked token, or None; records when it was last used."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear))
                              .options(joinedload(ApiToken.user)))  # one query a call
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token.user
