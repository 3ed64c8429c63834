"""Reminder slots as leases (DESIGN §5): each (checklist, slot) row names the replica that holds it and until when.

A replica claims a slot by inserting its row, or by taking over a row whose lease lapsed (its holder died, or
handed it back on SIGTERM); it renews the lease while it re-checks and posts, and records the post. Every
statement here is a single atomic INSERT or UPDATE, so two replicas racing for the same slot cannot both win:
on PostgreSQL a concurrent UPDATE of the same row waits, then re-evaluates its WHERE clause.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Checklist, ReminderDelivery, utcnow
from storage.repositories._insert import insert_ignoring_conflict, table_of

# claimed_by of rows a snooze holds (bot/reminders/snooze.py): never posted, never taken over.
SNOOZE_PREFIX = "snooze:"
_D = table_of(ReminderDelivery)
_C = table_of(Checklist)


def default_claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """A slot this replica holds until `expires_at`; `attempts` posts were tried before (by anyone)."""

    checklist_id: int
    slot: datetime
    owner: str
    expires_at: datetime
    attempts: int
    taken_over: bool  # the row existed: another claimant held it and its lease lapsed


@dataclass(frozen=True)
class SlotState:
    claimed_by: str
    posted: bool
    gave_up: bool


def claim_reminder(
    session: Session,
    checklist_id: int,
    slot: datetime,
    *,
    claimed_by: str | None = None,
    now: datetime | None = None,
    lease: timedelta | None = None,
) -> bool:
    """Insert the slot's row; True when this call did (a snooze, or a claim with no lease, uses this).

    Commit soon after: a concurrent claim of the same slot waits for this transaction.
    """
    now = now or utcnow()
    values = {
        "checklist_id": checklist_id,
        "slot": slot,
        "claimed_by": claimed_by or default_claimant(),
        "claimed_at": now,
        "lease_expires_at": None if lease is None else now + lease,
        "attempts": 0,
    }
    return insert_ignoring_conflict(session, ReminderDelivery, values)


def acquire(
    session: Session, checklist_id: int, slot: datetime, *, owner: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Claim the slot: a new row, or a takeover of an unposted one whose lease lapsed. None: someone holds it,
    posted it, snoozed it, or gave it up."""
    if claim_reminder(session, checklist_id, slot, claimed_by=owner, now=now, lease=lease):
        return Claim(checklist_id, slot, owner, now + lease, 0, taken_over=False)
    stmt = (
        update(_D)
        .where(
            _D.c.checklist_id == checklist_id,
            _D.c.slot == slot,
            _D.c.posted_at.is_(None),
            _D.c.gave_up_at.is_(None),
            ~_D.c.claimed_by.startswith(SNOOZE_PREFIX, autoescape=True),
            sa.or_(_D.c.lease_expires_at.is_(None), _D.c.lease_expires_at < now),
        )
        .values(claimed_by=owner, claimed_at=now, lease_expires_at=now + lease)
        .returning(_D.c.attempts)
    )
    attempts = session.execute(stmt).scalar_one_or_none()
    if attempts is None:
        return None
    return Claim(checklist_id, slot, owner, now + lease, attempts, taken_over=True)


def _held(claim: Claim) -> list[sa.ColumnElement[bool]]:
    return [
        _D.c.checklist_id == claim.checklist_id,
        _D.c.slot == claim.slot,
        _D.c.claimed_by == claim.owner,
        _D.c.posted_at.is_(None),
        _D.c.gave_up_at.is_(None),
    ]


def renew(session: Session, claim: Claim, *, now: datetime, lease: timedelta) -> Claim | None:
    """Extend the lease; None when this replica no longer holds the slot (it lapsed and was taken over)."""
    stmt = (
        update(_D)
        .where(*_held(claim), _D.c.lease_expires_at >= now)
        .values(lease_expires_at=now + lease)
        .returning(_D.c.attempts)
    )
    attempts = session.execute(stmt).scalar_one_or_none()
    if attempts is None:
        return None
    return Claim(claim.checklist_id, claim.slot, claim.owner, now + lease, attempts, claim.taken_over)


def start_attempt(session: Session, claim: Claim, *, now: datetime, lease: timedelta) -> Claim | None:
    """Count a post about to be tried (and renew): a later taker then knows a message may exist."""
    stmt = (
        update(_D)
        .where(*_held(claim), _D.c.lease_expires_at >= now)
        .values(lease_expires_at=now + lease, attempts=_D.c.attempts + 1)
        .returning(_D.c.attempts)
    )
    attempts = session.execute(stmt).scalar_one_or_none()
    if attempts is None:
        return None
    return Claim(claim.checklist_id, claim.slot, claim.owner, now + lease, attempts, claim.taken_over)


def record_failure(session: Session, claim: Claim, error: str) -> None:
    session.execute(update(_D).where(*_held(claim)).values(last_error=error[:255]))


def mark_posted(session: Session, claim: Claim, message_ref: str, *, now: datetime) -> bool:
    """Record the post. False when the row is no longer this replica's (only possible after a lapse)."""
    stmt = (
        update(_D)
        .where(*_held(claim))
        .values(message_ref=message_ref[:512], posted_at=now, lease_expires_at=None)
        .returning(_D.c.id)
    )
    return session.execute(stmt).first() is not None


def give_up(session: Session, claim: Claim, error: str, *, now: datetime) -> None:
    """The slot will not be posted (grace over, or the channel refuses for good): nobody takes it over."""
    session.execute(update(_D).where(*_held(claim)).values(gave_up_at=now, last_error=error[:255]))


def hand_back(session: Session, owner: str, *, now: datetime) -> int:
    """Let every unposted slot this replica holds lapse at once (SIGTERM): another replica takes them over."""
    result = session.execute(
        update(_D)
        .where(
            _D.c.claimed_by == owner,
            _D.c.posted_at.is_(None),
            _D.c.gave_up_at.is_(None),
        )
        .values(lease_expires_at=now - timedelta(seconds=1))
        .returning(_D.c.id)
    )
    return len(result.all())


def lapsed(session: Session, *, now: datetime, since: datetime, limit: int = 500) -> list[tuple[int, datetime]]:
    """(checklist, slot) of unposted slots after `since` whose lease lapsed: theirs to take over."""
    rows = session.execute(
        select(_D.c.checklist_id, _D.c.slot)
        .where(
            _D.c.posted_at.is_(None),
            _D.c.gave_up_at.is_(None),
            sa.or_(_D.c.lease_expires_at.is_(None), _D.c.lease_expires_at < now),
            _D.c.slot > since,
            ~_D.c.claimed_by.startswith(SNOOZE_PREFIX, autoescape=True),
        )
        .order_by(_D.c.slot)
        .limit(limit)
    )
    return [(cid, slot) for cid, slot in rows]


def existing_slots(session: Session, checklist_ids: list[int], since: datetime) -> set[tuple[int, datetime]]:
    """The (checklist, slot) rows after `since` for these checklists, whatever their state."""
    found: set[tuple[int, datetime]] = set()
    for start in range(0, len(checklist_ids), 500):
        chunk = checklist_ids[start : start + 500]
        rows = session.execute(
            select(_D.c.checklist_id, _D.c.slot).where(_D.c.checklist_id.in_(chunk), _D.c.slot > since)
        )
        found.update((cid, slot) for cid, slot in rows)
    return found


def slot_state(session: Session, checklist_id: int, slot: datetime) -> SlotState | None:
    row = session.execute(
        select(_D.c.claimed_by, _D.c.posted_at, _D.c.gave_up_at).where(
            _D.c.checklist_id == checklist_id, _D.c.slot == slot
        )
    ).one_or_none()
    if row is None:
        return None
    return SlotState(row.claimed_by, row.posted_at is not None, row.gave_up_at is not None)


def slot_claimant(session: Session, checklist_id: int, slot: datetime) -> str | None:
    """Who claimed the slot (a replica, or a snooze), None when nobody has."""
    state = slot_state(session, checklist_id, slot)
    return None if state is None else state.claimed_by


def pause(session: Session, checklist_id: int, reason: str, *, now: datetime) -> bool:
    """Pause the checklist's reminders (its channel refuses them for good); True when this call paused them.

    A plain UPDATE, not the ORM: the scheduler must not lose to (or clobber) an owner's concurrent change."""
    result = session.execute(
        update(_C)
        .where(_C.c.id == checklist_id, _C.c.reminders_paused_reason.is_(None))
        .values(reminders_paused_reason=reason[:255], reminders_paused_at=now)
        .returning(_C.c.id)
    )
    return result.first() is not None


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
    delivery.lease_expires_at = None
    session.flush()
