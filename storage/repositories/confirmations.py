"""The confirmation log: append-only rows of who confirmed, acknowledged or answered what, shown what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Confirmation, ConfirmationKind, utcnow


def record_confirmation(
    session: Session,
    checklist_id: int,
    *,
    slug: str,
    kind: ConfirmationKind | str,
    user_id: str,
    user_name: str = "",
    field: str | None = None,
    value: str = "",
    shown_text: str = "",
    recorded_at: datetime | None = None,
    withdraws: Confirmation | int | None = None,
) -> Confirmation:
    """Append one audit row. A withdrawal names the row it withdraws; nothing is ever updated or deleted."""
    confirmation_kind = ConfirmationKind(kind)
    withdraws_id = withdraws.id if isinstance(withdraws, Confirmation) else withdraws
    if confirmation_kind is ConfirmationKind.WITHDRAW and withdraws_id is None:
        raise ValueError("a withdrawal must name the confirmation it withdraws")
    if confirmation_kind is not ConfirmationKind.WITHDRAW and withdraws_id is not None:
        raise ValueError("only a withdrawal can name a confirmation it withdraws")
    row = Confirmation(
        checklist_id=checklist_id,
        slug=slug,
        kind=confirmation_kind,
        field=field,
        value=value,
        shown_text=shown_text,
        user_id=user_id,
        user_name=user_name,
        recorded_at=recorded_at or utcnow(),
        withdraws_id=withdraws_id,
    )
    session.add(row)
    session.flush()
    return row


def list_confirmations(session: Session, checklist_id: int) -> list[Confirmation]:
    """The audit log in the order it was written (insertion order, so rows of the same second stay ordered)."""
    query = select(Confirmation).where(Confirmation.checklist_id == checklist_id).order_by(Confirmation.id)
    return list(session.scalars(query))


def standing_confirmations(session: Session, checklist_id: int) -> list[Confirmation]:
    """The log with withdrawals applied: the rows that currently stand, in order, withdrawals left out."""
    rows = list_confirmations(session, checklist_id)
    withdrawn = {row.withdraws_id for row in rows if row.kind is ConfirmationKind.WITHDRAW}
    return [row for row in rows if row.kind is not ConfirmationKind.WITHDRAW and row.id not in withdrawn]
