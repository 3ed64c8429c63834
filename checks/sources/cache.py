"""What a full read keeps for the next re-check, and the interface to wherever it is kept.

The checks layer never imports storage: the caller (bot/) hands the incremental readers a `PieceStore`, one
per checklist. A piece is one read's result (QBO's items, Finale's sales orders...) with the moment it is
current as of (`synced`) and the connection it came from (`epoch`): a reconnect starts from a full read.

Pieces are packed as compressed JSON of plain values and the Snapshot's own records, by name: nothing but
those records is ever built from a stored piece, and a piece that does not unpack (an older layout, say)
is treated as absent, which costs one full read and never a wrong result.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from checks import snapshot

log = logging.getLogger(__name__)

FORMAT = 1


class PieceStore(Protocol):
    """Keeps blobs by piece name for one checklist."""

    def load(self, piece: str) -> bytes | None: ...

    def save(self, piece: str, payload: bytes) -> None: ...


class MemoryPieces:
    """A PieceStore in memory (tests, and one-off runs that keep nothing)."""

    def __init__(self) -> None:
        self.pieces: dict[str, bytes] = {}

    def load(self, piece: str) -> bytes | None:
        return self.pieces.get(piece)

    def save(self, piece: str, payload: bytes) -> None:
        self.pieces[piece] = payload


# The records a piece may hold, by class name.
_RECORDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        snapshot.Ref,
        snapshot.QboItem,
        snapshot.QboAccount,
        snapshot.ValuationLine,
        snapshot.ItemTransaction,
        snapshot.InventoryAdjustment,
        snapshot.AdjustmentLine,
        snapshot.QboJournalEntry,
        snapshot.JournalPosting,
        snapshot.FinaleProduct,
        snapshot.SalesOrder,
    )
}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$D": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"$m": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _RECORDS:
        return {"$r": type(value).__name__, "v": [_encode(getattr(value, f.name)) for f in dataclasses.fields(value)]}
    raise TypeError(f"cannot keep a {type(value).__name__}")


def _decoder() -> Callable[[dict[str, Any]], Any]:
    fields = {name: [f.name for f in dataclasses.fields(cls)] for name, cls in _RECORDS.items()}

    def hook(obj: dict[str, Any]) -> Any:
        if "$d" in obj:
            return Decimal(obj["$d"])
        if "$t" in obj:
            return datetime.fromisoformat(obj["$t"])
        if "$D" in obj:
            return date.fromisoformat(obj["$D"])
        if "$m" in obj:
            return {_hashable(k): v for k, v in obj["$m"]}
        if "$r" in obj:
            name = obj["$r"]
            values = [tuple(v) if isinstance(v, list) else v for v in obj["v"]]
            return _RECORDS[name](**dict(zip(fields[name], values, strict=True)))
        return obj

    return hook


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def pack(piece: dict[str, Any]) -> bytes:
    """A piece (a dict of plain values and records) as a compressed blob."""
    text = json.dumps({"format": FORMAT, **{k: _encode(v) for k, v in piece.items()}}, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 3)


def unpack(blob: bytes | None) -> dict[str, Any] | None:
    """The piece, or None when there is none or it cannot be read back (then a full read replaces it)."""
    if blob is None:
        return None
    try:
        piece = json.loads(zlib.decompress(blob), object_hook=_decoder())
    except (ValueError, TypeError, KeyError, zlib.error) as exc:
        log.info("a kept source piece could not be read back (%s); reading in full", exc)
        return None
    if not isinstance(piece, dict) or piece.get("format") != FORMAT:
        return None
    return piece


# ------------------------------------------------------------------ kept pieces: data and the moment apart

# A piece is two blobs: its data (large: 50,000 items) and its moment (small). A re-check that finds nothing
# changed writes only the moment; the data names a version that the moment must name too.


def load_piece(store: PieceStore, name: str) -> dict[str, Any] | None:
    """The kept piece with its `epoch`, `synced` and `version`, or None when it is absent or torn."""
    mark = unpack(store.load(name + ".at"))
    if mark is None:
        return None
    data = unpack(store.load(name))
    if data is None or data.get("version") != mark.get("version") or data.get("epoch") != mark.get("epoch"):
        return None
    return {**data, "synced": mark.get("synced")}


def keep_piece(store: PieceStore, name: str, epoch: str, synced: datetime, data: dict[str, Any]) -> None:
    """Keep new data for the piece, current as of `synced`. A piece not kept costs a full read next time."""
    version = secrets.token_hex(8)
    try:
        store.save(name, pack({"epoch": epoch, "version": version, **data}))
        store.save(name + ".at", pack({"epoch": epoch, "version": version, "synced": synced}))
    except Exception:
        log.warning("Could not keep %s for the next re-check", name, exc_info=True)


def keep_moment(store: PieceStore, name: str, piece: dict[str, Any], synced: datetime) -> None:
    """The kept data is unchanged and current as of `synced`."""
    try:
        store.save(name + ".at", pack({"epoch": piece["epoch"], "version": piece["version"], "synced": synced}))
    except Exception:
        log.warning("Could not keep %s for the next re-check", name, exc_info=True)


def unusable(
    piece: dict[str, Any] | None, *, epoch: str, now: datetime, usable_for: timedelta, too_old: str
) -> str | None:
    """Why a kept piece cannot be brought up to date (so the read is a full one), or None when it can."""
    if piece is None:
        return "nothing kept"
    if piece.get("epoch") != epoch:
        return "kept from another connection"
    synced = piece.get("synced")
    if not isinstance(synced, datetime) or synced.tzinfo is None:
        return "nothing kept"
    if now - synced > usable_for:
        return too_old
    return None
