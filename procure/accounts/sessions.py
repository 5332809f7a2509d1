"""Server-side sessions: the cookie holds a random token, the table its hash and state.

A captured cookie stops working when its session is revoked (logout, deactivation, password
change), after `SESSION_HOURS` whatever the activity, and after `SESSION_IDLE_MINUTES` idle.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select, update

from procure.core.models import User, UserSession, utcnow

# Last-seen is written at most this often, so a page view is not a database write.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start(*, session: Session, user: User, client_addr: str = "") -> str:
    """Open a session for `user` (caller commits); return the token for the cookie."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            last_seen_at=now,
            client_addr=client_addr[:64],
        )
    )
    return token


def resolve(
    *,
    session: Session,
    token: str | None,
    user_id: int | None,
    lifetime: timedelta,
    idle: timedelta,
) -> User | None:
    """The active user of a live session, or None (unknown, revoked, expired, idle, inactive)."""
    if not token or user_id is None:
        return None
    row = session.exec(select(UserSession).where(UserSession.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None or row.user_id != user_id:
        return None
    now = utcnow()
    if now - _aware(row.created_at) > lifetime or now - _aware(row.last_seen_at) > idle:
        row.revoked_at = now
        session.add(row)
        session.commit()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return user


def revoke(*, session: Session, token: str | None) -> None:
    """End one session (caller commits)."""
    if token:
        session.exec(
            update(UserSession)
            .where(col(UserSession.token_hash) == _hash(token))
            .values(revoked_at=utcnow())
        )


def revoke_all(*, session: Session, user_id: int) -> int:
    """End every live session of a user (caller commits); the number ended."""
    result = session.exec(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)
