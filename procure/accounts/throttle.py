"""Login throttling per account and per address, with a lock that doubles at each relapse.

Counters live in `login_throttle`, not in the audit log: the log receives the first failure of a
window and each lock (with the count), so an attack cannot grow it without bound. Rows whose
window ended and whose lock expired are deleted as new failures come in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete, select

from procure.core.models import LoginThrottle, utcnow

WINDOW = timedelta(minutes=15)  # failures further apart than this start a new count
MAX_LOCK = timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    account: int = 5  # failures per account before a lock
    address: int = 20  # failures per address before a lock
    lock_seconds: int = 60  # first lock; doubled at each new lock, up to MAX_LOCK

    @classmethod
    def from_settings(cls, settings: dict) -> Limits:
        return cls(
            account=int(settings.get("LOGIN_MAX_FAILURES", 5)),
            address=int(settings.get("LOGIN_MAX_FAILURES_ADDR", 20)),
            lock_seconds=int(settings.get("LOGIN_LOCK_SECONDS", 60)),
        )


def keys(email: str, client_addr: str) -> list[tuple[str, str]]:
    """The (kind, key) pairs an attempt counts against."""
    out = [("account", f"account:{(email or '').strip().lower()[:254]}")]
    if client_addr:
        out.append(("address", f"addr:{client_addr[:64]}"))
    return out


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def locked_until(*, session: Session, email: str, client_addr: str) -> datetime | None:
    """When the latest lock on this account or address ends, or None if neither is locked."""
    now = utcnow()
    rows = session.exec(
        select(LoginThrottle).where(
            col(LoginThrottle.key).in_([k for _kind, k in keys(email, client_addr)])
        )
    ).all()
    ends = [u for r in rows if (u := _aware(r.locked_until)) is not None and u > now]
    return max(ends) if ends else None


def record_failure(*, session: Session, email: str, client_addr: str, limits: Limits) -> list[dict]:
    """Count a failure (caller commits); return what the audit log must hear about, if anything:
    [{"kind", "failures", "first": bool, "locked_until": datetime | None}]."""
    now = utcnow()
    session.exec(
        delete(LoginThrottle).where(
            col(LoginThrottle.last_failure_at) < now - MAX_LOCK - WINDOW,
            (col(LoginThrottle.locked_until).is_(None)) | (col(LoginThrottle.locked_until) < now),
        )
    )
    news = []
    for kind, key in keys(email, client_addr):
        row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key)).first()
        if row is None:
            row = LoginThrottle(key=key, first_failure_at=now, last_failure_at=now)
        elif now - (_aware(row.last_failure_at) or now) > WINDOW:
            row.failures, row.first_failure_at = 0, now
        row.failures += 1
        row.last_failure_at = now
        threshold = limits.account if kind == "account" else limits.address
        event: dict | None = None
        if row.failures == 1:
            event = {"kind": kind, "failures": 1, "first": True, "locked_until": None}
        if row.failures >= threshold:
            seconds = min(limits.lock_seconds * 2**row.locks, MAX_LOCK.total_seconds())
            row.locked_until = now + timedelta(seconds=seconds)
            row.locks += 1
            event = {
                "kind": kind,
                "failures": row.failures,
                "first": False,
                "locked_until": row.locked_until,
            }
            row.failures = 0
        session.add(row)
        if event:
            news.append(event)
    return news


def record_success(*, session: Session, email: str) -> None:
    """A good password clears the account's counter (not the address's: caller commits)."""
    session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == keys(email, "")[0][1]))
