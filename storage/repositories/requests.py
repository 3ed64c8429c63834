"""Requests already seen: insert-once keys, leases on unfinished ones, and their completion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.models import RequestKey
from storage.repositories._insert import insert_ignoring_conflict


def admit(
    session: Session,
    key: str,
    *,
    platform: str,
    intent: str = "",
    payload: str | None = None,
    owner: str | None = None,
    lease_until: datetime | None = None,
    received_at: datetime,
) -> bool:
    """Record `key`; True the first time, False for a retry, a replay or a double submission."""
    values = {
        "key": key,
        "platform": platform,
        "intent": intent,
        "received_at": received_at,
        "payload": payload,
        "applied": False,
        "done": payload is None,  # nothing to run again: seen is all there is to know
        "lease_owner": owner,
        "lease_until": lease_until,
        "attempts": 1,
    }
    return insert_ignoring_conflict(session, RequestKey, values)


def set_placeholder(session: Session, key: str, ref: str) -> None:
    session.execute(sa.update(RequestKey).where(RequestKey.key == key).values(placeholder=ref))


def mark_applied(session: Session, key: str) -> None:
    session.execute(sa.update(RequestKey).where(RequestKey.key == key).values(applied=True))


def renew(session: Session, key: str, owner: str, until: datetime) -> bool:
    result = session.execute(
        sa.update(RequestKey)
        .where(RequestKey.key == key, RequestKey.lease_owner == owner, RequestKey.done.is_(False))
        .values(lease_until=until)
        .returning(RequestKey.key)
    )
    return result.first() is not None


def finish(session: Session, key: str) -> None:
    session.execute(
        sa.update(RequestKey).where(RequestKey.key == key).values(done=True, payload=None, lease_owner=None)
    )


def hand_back(session: Session, key: str, owner: str, now: datetime) -> None:
    session.execute(
        sa.update(RequestKey).where(RequestKey.key == key, RequestKey.lease_owner == owner).values(lease_until=now)
    )


def lapsed(session: Session, platform: str, now: datetime, limit: int) -> Sequence[str]:
    query = (
        sa.select(RequestKey.key)
        .where(RequestKey.platform == platform, RequestKey.done.is_(False), RequestKey.lease_until < now)
        .order_by(RequestKey.received_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def take_over(session: Session, key: str, owner: str, now: datetime, until: datetime) -> RequestKey | None:
    """Take the lapsed lease of `key` (compare-and-set: one replica wins); the row, or None if another did."""
    result = session.execute(
        sa.update(RequestKey)
        .where(RequestKey.key == key, RequestKey.done.is_(False), RequestKey.lease_until < now)
        .values(lease_owner=owner, lease_until=until, attempts=RequestKey.attempts + 1)
        .returning(RequestKey.key)
    )
    if result.first() is None:
        return None
    return session.get(RequestKey, key, populate_existing=True)


def purge(session: Session, before: datetime) -> int:
    result = session.execute(
        sa.delete(RequestKey)
        .where(RequestKey.done.is_(True), RequestKey.received_at < before)
        .returning(RequestKey.key)
    )
    return len(result.all())
