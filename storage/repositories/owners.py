"""Who owns a checklist: the people who may answer for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Owner, utcnow
from storage.repositories._insert import insert_ignoring_conflict


def add_owner(
    session: Session,
    checklist_id: int,
    user_id: str,
    *,
    display_name: str = "",
    added_by: str = "",
    added_at: datetime | None = None,
) -> Owner:
    """Add an owner; adding an existing owner returns the existing row unchanged."""
    insert_ignoring_conflict(
        session,
        Owner,
        {
            "checklist_id": checklist_id,
            "user_id": user_id,
            "display_name": display_name,
            "added_by": added_by,
            "added_at": added_at or utcnow(),
        },
    )
    owner = get_owner(session, checklist_id, user_id)
    assert owner is not None
    return owner


def get_owner(session: Session, checklist_id: int, user_id: str) -> Owner | None:
    return session.scalars(
        select(Owner).where(Owner.checklist_id == checklist_id, Owner.user_id == user_id)
    ).one_or_none()


def list_owners(session: Session, checklist_id: int) -> list[Owner]:
    """The owners in the order they were added."""
    return list(session.scalars(select(Owner).where(Owner.checklist_id == checklist_id).order_by(Owner.id)))
