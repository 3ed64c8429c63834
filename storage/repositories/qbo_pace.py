"""QBO's pace per company, shared by replicas: a token bucket row per realm, locked while a request takes a
token (PostgreSQL: SELECT ... FOR UPDATE)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import QboPace
from storage.repositories._insert import insert_ignoring_conflict

BURST = 1.0  # no bursts: requests from every replica leave evenly spaced


def take_token(session: Session, realm_id: str, per_second: float, now: float) -> float:
    """Take one token for `realm_id` if there is one (0.0), else the seconds until there is."""
    insert_ignoring_conflict(session, QboPace, {"realm_id": realm_id, "tokens": BURST, "updated": now})
    row = session.scalars(select(QboPace).where(QboPace.realm_id == realm_id).with_for_update()).one()
    tokens = min(BURST, row.tokens + max(0.0, now - row.updated) * per_second)
    row.updated = max(now, row.updated)
    if tokens >= 1.0:
        row.tokens = tokens - 1.0
        return 0.0
    row.tokens = tokens
    return (1.0 - tokens) / per_second
