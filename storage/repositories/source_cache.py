"""What a checklist's last source read kept for the next re-check: one blob per piece (checks/sources/cache.py).

Each piece is written in its own short transaction as soon as it is read, so that a worker that dies later
loses nothing it already paid QBO's metered calls for.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import SourceCacheRecord, utcnow


def load_piece(sessions: sessionmaker[Session], checklist_id: int, piece: str) -> bytes | None:
    with sessions() as session:
        payload: bytes | None = session.scalars(
            select(SourceCacheRecord.payload).where(
                SourceCacheRecord.checklist_id == checklist_id, SourceCacheRecord.piece == piece
            )
        ).one_or_none()
        return payload


def save_piece(sessions: sessionmaker[Session], checklist_id: int, piece: str, payload: bytes) -> None:
    with sessions.begin() as session:
        record = session.scalars(
            select(SourceCacheRecord).where(
                SourceCacheRecord.checklist_id == checklist_id, SourceCacheRecord.piece == piece
            )
        ).one_or_none()
        if record is None:
            session.add(SourceCacheRecord(checklist_id=checklist_id, piece=piece, payload=payload))
        else:
            record.payload = payload
            record.updated_at = utcnow()


def forget_pieces(session: Session, checklist_id: int, prefix: str = "") -> int:
    """Drop the checklist's kept pieces (those whose name starts with `prefix`); returns how many."""
    stmt = delete(SourceCacheRecord).where(SourceCacheRecord.checklist_id == checklist_id)
    if prefix:
        stmt = stmt.where(SourceCacheRecord.piece.startswith(prefix))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
