"""Reminder slots: each (checklist, slot) row is inserted before posting, so exactly one replica posts it."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ReminderDelivery, utcnow
from storage.repositories._insert import insert_ignoring_conflict


def default_claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_reminder(
    session: Session,
    checklist_id: int,
    slot: datetime,
    *,
    claimed_by: str | None = None,
    now: datetime | None = None,
) -> bool:
    """True when this process may post the reminder for this slot; False when another one claimed it.

    Commit soon after: a concurrent claim of the same slot waits for this transaction.
    """
    values = {
        "checklist_id": checklist_id,
        "slot": slot,
        "claimed_by": claimed_by or default_claimant(),
        "claimed_at": now or utcnow(),
    }
    return insert_ignoring_conflict(session, ReminderDelivery, values)


def slot_claimant(session: Session, checklist_id: int, slot: datetime) -> str | None:
    """Who claimed the slot (a replica, or a snooze), None when nobody has."""
    return session.scalars(
        select(ReminderDelivery.claimed_by).where(
            ReminderDelivery.checklist_id == checklist_id, ReminderDelivery.slot == slot
        )
    ).one_or_none()


def mark_reminder_posted(
    session: Session,
    checklist_id: int,
    slot: datetime,
    message_ref: str,
    *,
    posted_at: datetime | None = None,
) -> None:
    delivery = session.scalars(
        select(ReminderDelivery).where(ReminderDelivery.checklist_id == checklist_id, ReminderDelivery.slot == slot)
    ).one()
    delivery.message_ref = message_ref
    delivery.posted_at = posted_at or utcnow()
    session.flush()
