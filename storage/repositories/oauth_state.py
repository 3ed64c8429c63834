"""The `state` of Preflight's own QBO connect flow: random, single use, expiring."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import OAuthState, utcnow


def create_oauth_state(
    session: Session,
    *,
    workspace_id: int,
    checklist_id: int,
    user_id: str,
    now: datetime | None = None,
    ttl: timedelta = timedelta(minutes=10),
    provider: str = "qbo",
    context: dict[str, str] | None = None,
) -> OAuthState:
    created = now or utcnow()
    row = OAuthState(
        state=secrets.token_urlsafe(32),
        provider=provider,
        workspace_id=workspace_id,
        checklist_id=checklist_id,
        user_id=user_id,
        context=dict(context or {}),
        created_at=created,
        expires_at=created + ttl,
    )
    session.add(row)
    session.flush()
    return row


def consume_oauth_state(session: Session, state: str, now: datetime | None = None) -> OAuthState | None:
    """Mark the state used and return its row; None when unknown, used already or expired.

    One conditional UPDATE, so two callbacks racing with the same state cannot both succeed.
    """
    at = now or utcnow()
    stmt = (
        sa.update(OAuthState)
        .where(OAuthState.state == state, OAuthState.consumed_at.is_(None), OAuthState.expires_at > at)
        .values(consumed_at=at)
        .returning(OAuthState.id)
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).first() is None:
        return None
    return session.scalars(
        select(OAuthState).where(OAuthState.state == state).execution_options(populate_existing=True)
    ).one()
