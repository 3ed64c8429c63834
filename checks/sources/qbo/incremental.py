"""QBO re-checks that cost what changed: what a full read kept, brought up to date with Change Data Capture.

Intuit meters every read call of an app across all its customers (CorePlus: 500,000 a month on the Builder
tier, then 429 and the app shown offline), and a full read of a 50,000-item company is about 60 calls.
`IncrementalQbo` wraps the QBO reader: the first read of a company is a full one, and keeps each piece (items,
accounts, transactions naming items, adjustments, the valuation report, the D-1 balances) in a `PieceStore`.
A re-check then asks one CDC question for everything that changed since (`GET /cdc?entities=...
&changedSince=`) and:

- merges changed items and transactions into the kept ones (deleted ones are dropped);
- reads a report (valuation today, balance sheet on D-1), the accounts (their balances move with every
  posting) or the adjustments again only when something that can change them changed, or their date did.

It falls back to a full read of a piece when there is no usable kept piece: none yet, kept from another
connection (a reconnect), older than CDC's 30-day look-back, for a start date earlier than the one kept, or
when CDC's answer reached its 1,000-object cap (the rest of the changes would be missing). CompanyInfo and
Preferences are read every time (two calls): CDC does not cover them, and the closing date matters.

Re-applying a change is harmless (CDC sends the whole current object), so the question reaches back a few
minutes before the kept moment, for clocks that differ between Preflight and QBO.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable

from checks.snapshot import (
    InventoryAdjustment,
    ItemTransaction,
    Need,
    QboAccount,
    QboCompany,
    QboItem,
    QboJournalEntry,
    ValuationLine,
)
from checks.sources.cache import PieceStore, keep_moment, keep_piece, load_piece, unusable
from checks.sources.errors import SourceError
from checks.sources.qbo.parse import _datetime, _txn_parser, parse_adjustment, parse_item, parse_journal_entry

log = logging.getLogger(__name__)

T = TypeVar("T")

ITEM_TXN_ENTITIES = ("PurchaseOrder", "Bill", "Invoice", "SalesReceipt")
# Everything whose change can move a piece: items and accounts, the transactions the checks list, and every
# transaction that can post to an inventory asset account or change an item's quantity or value.
CHANGE_ENTITIES = (
    "Item",
    "Account",
    "JournalEntry",
    *ITEM_TXN_ENTITIES,
    "InventoryAdjustment",
    "Purchase",
    "VendorCredit",
    "CreditMemo",
    "RefundReceipt",
    "Deposit",
    "Transfer",
)
# What can change the valuation report (quantities, values, item names and SKUs).
VALUATION_ENTITIES = frozenset(
    {"Item", "Bill", "Invoice", "SalesReceipt", "InventoryAdjustment", "Purchase", "VendorCredit", "CreditMemo"}
    | {"RefundReceipt"}
)
# A purchase order posts nothing: everything else can move a balance.
BALANCE_ENTITIES = frozenset(CHANGE_ENTITIES) - {"PurchaseOrder"}

CDC_LOOKBACK = timedelta(days=30)
USABLE_FOR = CDC_LOOKBACK - timedelta(hours=12)  # kept longer than this: read in full
MARGIN = timedelta(minutes=5)  # how far before the kept moment each CDC question reaches
CDC_CAP = 1000  # objects per CDC answer

PIECES = {
    "items": (Need.QBO_ITEMS,),
    "accounts": (Need.QBO_ACCOUNTS, Need.QBO_INVENTORY_BALANCE),
    "txns": (Need.QBO_ITEM_TRANSACTIONS,),
    "adjustments": (Need.QBO_ADJUSTMENTS,),
    "journals": (Need.QBO_JOURNAL_ENTRIES,),
    # Today's report and the ones as of the day before each write-off, kept by day.
    "valuation": (Need.QBO_INVENTORY_VALUATION, Need.QBO_WRITE_OFF_VALUATION),
    "balance": (Need.QBO_INVENTORY_BALANCE,),
}


@runtime_checkable
class QboChangeReader(Protocol):
    """A QBO reader that can also answer CDC (QboSource)."""

    def company(self) -> QboCompany: ...
    def items(self) -> list[QboItem]: ...
    def accounts(self) -> list[QboAccount]: ...
    def inventory_valuation(self, as_of: date) -> list[ValuationLine]: ...
    def item_transactions(self, since: date | None) -> list[ItemTransaction]: ...
    def inventory_balance(self, on: date, accounts: Sequence[QboAccount] | None = None) -> dict[str, Decimal]: ...
    def adjustments(self, since: date | None = None) -> list[InventoryAdjustment]: ...
    def journal_entries(self, since: date) -> list[QboJournalEntry]: ...
    def changes(self, entities: Sequence[str], since: datetime) -> tuple[dict[str, list[dict[str, Any]]], str]: ...


class IncrementalQbo:
    """A QboReader over `reader` that keeps what it reads in `store` and re-reads only what changed.

    One instance serves one load: the loader calls its reads concurrently, and the first one asks CDC for
    all of them. `epoch` names the connection (a reconnect gives a new one); `now` is the load's moment;
    `needs` are what the load will read (the pieces asked about in the one CDC question)."""

    def __init__(
        self,
        reader: QboChangeReader,
        store: PieceStore,
        *,
        epoch: str,
        now: datetime,
        needs: Iterable[Need],
    ) -> None:
        self.reader = reader
        self.store = store
        self.epoch = epoch
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        wanted = set(needs)
        self._names = [name for name, by in PIECES.items() if wanted & set(by)]
        self._lock = threading.Lock()
        self._prepared = False
        self._kept: dict[str, dict[str, Any]] = {}  # usable kept pieces
        self._changes: dict[str, list[dict[str, Any]]] = {}
        self._synced = self.now  # the moment the pieces are current as of after this load
        self._accounts_lock = threading.Lock()
        self._accounts: list[QboAccount] | None = None
        self._valuation_lock = threading.Lock()
        self._valuations: dict[date, list[ValuationLine]] = {}  # the days read or confirmed in this load
        self.full_reads: list[str] = []  # what this load read in full, and why (for the log and the tests)

    # ------------------------------------------------------------ the one CDC question

    def _prepare(self) -> None:
        with self._lock:
            if self._prepared:
                return
            self._prepared = True
            for name in self._names:
                piece = load_piece(self.store, f"qbo.{name}")
                reason = self._unusable(piece)
                if reason is None and piece is not None:
                    self._kept[name] = piece
                else:
                    self.full_reads.append(f"{name}: {reason}")
            if not self._kept:
                return
            since = min(piece["synced"] for piece in self._kept.values()) - MARGIN
            try:
                changes, answered = self.reader.changes(CHANGE_ENTITIES, since)
            except SourceError as exc:
                log.info("QBO change data capture failed (%s); reading in full", exc.detail or exc.message)
                self._drop_kept("change data capture failed")
                return
            if any(len(rows) >= CDC_CAP for rows in changes.values()) or sum(map(len, changes.values())) >= CDC_CAP:
                self._drop_kept(f"more than CDC's {CDC_CAP} changes")
                return
            self._changes = changes
            moment = _datetime(answered)
            self._synced = moment if moment is not None and moment.tzinfo is not None else self.now

    def _unusable(self, piece: dict[str, Any] | None) -> str | None:
        return unusable(
            piece,
            epoch=self.epoch,
            now=self.now,
            usable_for=USABLE_FOR,
            too_old="kept too long ago for change data capture",
        )

    def _drop_kept(self, reason: str) -> None:
        self.full_reads.extend(f"{name}: {reason}" for name in self._kept)
        self._kept.clear()

    def _usable(self, name: str) -> dict[str, Any] | None:
        self._prepare()
        return self._kept.get(name)

    def _changed(self, piece: dict[str, Any], entities: Iterable[str]) -> bool:
        """Whether anything among `entities` changed since `piece` was current."""
        after = piece["synced"] - MARGIN
        for entity in entities:
            for row in self._changes.get(entity, ()):
                updated = _datetime((row.get("MetaData") or {}).get("LastUpdatedTime"))
                if updated is None or updated.tzinfo is None or updated >= after:
                    return True
        return False

    def _keep(self, name: str, synced: datetime, **data: Any) -> None:
        keep_piece(self.store, f"qbo.{name}", self.epoch, synced, data)

    def _full_moment(self) -> datetime:
        """What a full read just made is current as of: QBO's time on the earliest answer of this load (by
        QBO's clock: changes while it read come again next time), else the load's moment."""
        moment = getattr(self.reader, "first_answer_time", None)
        return moment if isinstance(moment, datetime) and moment.tzinfo is not None else self.now

    # ------------------------------------------------------------ the reads

    def company(self) -> QboCompany:
        return self.reader.company()

    def items(self) -> list[QboItem]:
        piece = self._usable("items")
        if piece is None:
            items = self.reader.items()
            self._keep("items", self._full_moment(), items=items)
            return items
        by_id = {item.id: item for item in piece["items"]}
        for row in self._changes.get("Item", ()):
            if row.get("status") == "Deleted":
                by_id.pop(str(row.get("Id")), None)
            else:
                item = parse_item(row)
                by_id[item.id] = item
        items = [by_id[key] for key in sorted(by_id, key=_id_key)]
        if self._changes.get("Item"):
            self._keep("items", self._synced, items=items)
        else:
            self._keep_moment("items", piece)
        return items

    def _keep_moment(self, name: str, piece: dict[str, Any]) -> None:
        """Nothing changed: the kept piece is current as of this load's question."""
        keep_moment(self.store, f"qbo.{name}", piece, self._synced)

    def accounts(self) -> list[QboAccount]:
        """Kept unless anything at all changed (an account's current balance moves with every posting)."""
        with self._accounts_lock:
            if self._accounts is not None:
                return list(self._accounts)
            piece = self._usable("accounts")
            if piece is not None and not self._changed(piece, CHANGE_ENTITIES):
                accounts = list(piece["accounts"])
                self._keep_moment("accounts", piece)
            else:
                accounts = self.reader.accounts()
                self._keep("accounts", self._synced if piece is not None else self._full_moment(), accounts=accounts)
            self._accounts = accounts
            return list(accounts)

    def item_transactions(self, since: date | None) -> list[ItemTransaction]:
        piece = self._usable("txns")
        kept_since = piece.get("since") if piece is not None else None
        if piece is None or (kept_since is not None and (since is None or since < kept_since)):
            txns = self.reader.item_transactions(since)
            self._keep("txns", self._full_moment() if piece is None else self._synced, since=since, txns=txns)
            return txns
        by_txn: dict[tuple[str, str], list[ItemTransaction]] = {}
        for txn in piece["txns"]:
            by_txn.setdefault((txn.txn_type, txn.txn_id), []).append(txn)
        changed = False
        for entity in ITEM_TXN_ENTITIES:
            parse = _txn_parser(entity)
            for row in self._changes.get(entity, ()):
                changed = True
                key = (entity, str(row.get("Id")))
                lines = [] if row.get("status") == "Deleted" else parse(row)
                lines = [t for t in lines if kept_since is None or t.txn_date >= kept_since]
                if lines:
                    by_txn[key] = lines
                else:
                    by_txn.pop(key, None)
        order = {entity: n for n, entity in enumerate(ITEM_TXN_ENTITIES)}
        keys = sorted(by_txn, key=lambda k: (order.get(k[0], len(order)), _id_key(k[1])))
        kept = [t for key in keys for t in by_txn[key]]
        if changed:
            self._keep("txns", self._synced, since=kept_since, txns=kept)
        else:
            self._keep_moment("txns", piece)
        return [t for t in kept if since is None or t.txn_date >= since]

    def adjustments(self, since: date | None = None) -> list[InventoryAdjustment]:
        """Every adjustment kept, merged with the changed ones; read again when an account changed (an
        adjustment names its account, and a renamed account changes no adjustment)."""
        piece = self._usable("adjustments")
        if piece is None or self._changed(piece, ("Account",)):
            rows = self.reader.adjustments()
            self._keep("adjustments", self._synced if piece is not None else self._full_moment(), rows=rows)
        else:
            rows = self._merged("adjustments", piece, "InventoryAdjustment", parse_adjustment)
        return [a for a in rows if since is None or a.txn_date >= since]

    def journal_entries(self, since: date) -> list[QboJournalEntry]:
        """Journal entries dated on or after `since`, kept and merged with the changed ones (a back-dated
        entry comes with its TxnDate and is kept or left out by it)."""
        piece = self._usable("journals")
        kept_since = piece.get("since") if piece is not None else None
        if piece is None or not isinstance(kept_since, date) or since < kept_since:
            rows = self.reader.journal_entries(since)
            self._keep("journals", self._synced if piece is not None else self._full_moment(), since=since, rows=rows)
            return rows
        rows = self._merged("journals", piece, "JournalEntry", parse_journal_entry, kept_since)
        return [e for e in rows if e.txn_date >= since]

    def _merged(
        self,
        name: str,
        piece: dict[str, Any],
        entity: str,
        parse: Callable[[dict[str, Any]], Any],
        since: date | None = None,
    ) -> list[Any]:
        """The kept records of one entity (each with `id` and `txn_date`) with CDC's changes applied; the
        piece is kept again (or only its moment, when nothing changed)."""
        by_id = {row.id: row for row in piece["rows"]}
        changes = self._changes.get(entity, ())
        for change in changes:
            key = str(change.get("Id"))
            row = None if change.get("status") == "Deleted" else parse(change)
            if row is None or (since is not None and row.txn_date < since):
                by_id.pop(key, None)
            else:
                by_id[key] = row
        rows = [by_id[key] for key in sorted(by_id, key=_id_key)]
        if changes:
            extra = {"since": piece["since"]} if "since" in piece else {}
            self._keep(name, self._synced, rows=rows, **extra)
        else:
            self._keep_moment(name, piece)
        return rows

    def inventory_valuation(self, as_of: date) -> list[ValuationLine]:
        """The report as of `as_of`, kept by day: today's, and the ones as of the day before each write-off.

        A kept day is used while nothing that can change a valuation changed (back-dated postings move past
        days too); the piece keeps the days read or confirmed in this load, as of this load's moment."""
        piece = self._usable("valuation")
        kept = piece.get("days") if piece is not None else None
        with self._valuation_lock:
            if as_of in self._valuations:
                return list(self._valuations[as_of])
            if isinstance(kept, dict) and as_of in kept and not self._changed(piece or {}, VALUATION_ENTITIES):
                lines = list(kept[as_of])
            else:
                lines = None
        if lines is None:
            lines = self.reader.inventory_valuation(as_of)
        synced = self._synced if piece is not None else self._full_moment()
        with self._valuation_lock:  # kept under the lock, so that the last one kept holds every day
            self._valuations[as_of] = lines
            self._keep("valuation", synced, days=dict(self._valuations))
        return list(lines)

    def inventory_balance(self, on: date, accounts: Sequence[QboAccount] | None = None) -> dict[str, Decimal]:
        return self._reread(
            "balance",
            {"on": on},
            BALANCE_ENTITIES,
            lambda: self.reader.inventory_balance(on, self.accounts() if accounts is None else accounts),
        )

    def _reread(self, name: str, key: dict[str, Any], entities: Iterable[str], read: Callable[[], T]) -> T:
        """A piece read whole: kept while its date is the same and nothing that can change it changed."""
        piece = self._usable(name)
        if piece is not None and all(piece.get(k) == v for k, v in key.items()) and not self._changed(piece, entities):
            self._keep_moment(name, piece)
            value: T = piece["value"]
            return value
        value = read()
        self._keep(name, self._synced if piece is not None else self._full_moment(), value=value, **key)
        return value


def _id_key(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)
