"""What a checklist's last source read kept, for incremental re-checks: the checks' readers wrapped with the
database as their PieceStore (checks/sources/cache.py; the checks never import storage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.checklist.connections import FinaleConnectionData, QboConnectionData
from checks.snapshot import Need
from checks.sources.finale.incremental import FinaleChangeReader, IncrementalFinale
from checks.sources.loader import FinaleReader, QboReader
from checks.sources.qbo.incremental import IncrementalQbo, QboChangeReader
from storage.repositories.source_cache import load_piece, save_piece


class DatabasePieces:
    """A PieceStore over the source_cache table, for one checklist; each save commits at once."""

    def __init__(self, sessions: sessionmaker[Session], checklist_id: int) -> None:
        self.sessions = sessions
        self.checklist_id = checklist_id

    def load(self, piece: str) -> bytes | None:
        return load_piece(self.sessions, self.checklist_id, piece)

    def save(self, piece: str, payload: bytes) -> None:
        save_piece(self.sessions, self.checklist_id, piece, payload)


def _epoch(account: str, connected_at: datetime | None) -> str:
    return f"{account}@{connected_at.isoformat() if connected_at is not None else '-'}"


def incremental_qbo(
    reader: QboReader,
    data: QboConnectionData,
    store: DatabasePieces,
    *,
    now: datetime,
    needs: frozenset[Need],
) -> QboReader:
    """`reader` re-reading only what changed since the checklist's last read (when it can answer CDC)."""
    if not isinstance(reader, QboChangeReader):
        return reader
    return IncrementalQbo(reader, store, epoch=_epoch(data.realm_id, data.connected_at), now=now, needs=needs)


def incremental_finale(
    reader: FinaleReader, data: FinaleConnectionData, store: DatabasePieces, *, now: datetime, tag: str
) -> FinaleReader:
    """`reader` re-reading only the products and sales orders changed since the checklist's last read.

    `tag` keeps apart the pieces of two parts of one run, which read Finale side by side in two processes."""
    if not isinstance(reader, FinaleChangeReader):
        return reader
    epoch = _epoch(f"{data.base_url}/{data.account}", data.connected_at)
    return IncrementalFinale(reader, store, epoch=epoch, now=now, tag=tag)
