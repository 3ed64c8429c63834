"""Value that moves: what making QBO inventory items inactive moves from the asset account to expense.

One model for steps 2, 3 and 9, the "Ready" summary, the CLI and the exports. An inventory item is either
still active (deactivating it will move its value: valued from today's valuation report) or already
inactive, in which case QBO recorded the move as an inventory adjustment (a write-off: a negative QtyDiff,
its AdjustAccountRef debited, the item's asset account credited). Adjustments carry quantities, not amounts:
each write-off is valued from QBO's own valuation report as of the day before it, in the home currency.

Write-offs dated on or after the enable date fall inside the period Finale pushes, so the D-1 opening entry
does not cover them: each needs a reversing entry on its own date, which `reversing_entries` drafts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from checks.catalog._matching import key, matching_product, products_by_key
from checks.journal import AccountRef, DraftJournalEntry, draft_reversing_entry
from checks.money import ZERO, cents, money
from checks.snapshot import (
    FinaleProduct,
    InventoryAdjustment,
    QboAccount,
    QboItem,
    QboJournalEntry,
    Ref,
    Snapshot,
    ValuationLine,
)

SHRINKAGE = "Inventory Shrinkage"
NO_ASSET = "(no asset account)"
NO_EXPENSE = "(no expense account)"


@dataclass(frozen=True, slots=True)
class Move:
    """One item's value moving to expense: still to come (`adjustment` None) or recorded by QBO."""

    item: QboItem
    product: FinaleProduct | None  # None: the item is not a Finale product
    qty: Decimal
    value: Decimal  # exact; rounded to the cent once, where shown
    estimate: bool  # valued as quantity × purchase cost, the valuation report not listing it
    asset_account: Ref | None
    expense_account: Ref | None
    adjustment: InventoryAdjustment | None = None

    @property
    def past(self) -> bool:
        return self.adjustment is not None

    @property
    def txn_date(self) -> date | None:
        return self.adjustment.txn_date if self.adjustment else None

    @property
    def asset_name(self) -> str:
        return self.asset_account.name if self.asset_account else NO_ASSET

    @property
    def expense_name(self) -> str:
        return self.expense_account.name if self.expense_account else NO_EXPENSE


def expense_account_for(item: QboItem, accounts: Iterable[QboAccount]) -> Ref | None:
    """The account QBO debits: its "Inventory Shrinkage" account when there is one, else the item's own."""
    for a in accounts:
        if a.active and key(a.name) == key(SHRINKAGE):
            return Ref(a.id, a.name)
    return item.expense_account


def _value(qty: Decimal, line: ValuationLine | None, item: QboItem) -> tuple[Decimal, bool]:
    if line is not None and qty == line.qty:
        return line.asset_value, False
    if line is not None and line.qty != 0:
        return line.asset_value * qty / line.qty, False  # at the report's average cost
    return qty * (item.purchase_cost or ZERO), True


def write_offs(
    items: Iterable[QboItem], adjustments: Iterable[InventoryAdjustment], after: date | None
) -> list[tuple[InventoryAdjustment, QboItem, Decimal]]:
    """(adjustment, item, quantity written off) for inactive inventory items, dated after `after` (the books'
    close date: what closed books hold was reviewed long ago), oldest first."""
    inactive = {i.id: i for i in items if not i.active and i.type == "Inventory"}
    out: list[tuple[InventoryAdjustment, QboItem, Decimal]] = []
    for a in sorted(adjustments, key=lambda a: (a.txn_date, a.id)):
        if after is not None and a.txn_date <= after:
            continue
        for line in a.lines:
            item = inactive.get(line.item_id)
            if item is not None and line.qty_diff < 0:
                out.append((a, item, -line.qty_diff))
    return out


def valuation_days(
    items: Iterable[QboItem], adjustments: Iterable[InventoryAdjustment], after: date | None
) -> list[date]:
    """The days the valuation report is read for: the day before each write-off."""
    return sorted({a.txn_date - timedelta(days=1) for a, _i, _q in write_offs(items, adjustments, after)})


def value_moves(snapshot: Snapshot) -> list[Move]:
    """Every move, future and past, for Finale products and other inventory items alike."""
    items, accounts = snapshot.items or (), snapshot.accounts or ()
    index = products_by_key(snapshot)
    today = {v.item_id: v for v in snapshot.valuation or ()}
    moves: list[Move] = []
    for item in items:
        if not (item.active and item.type == "Inventory"):
            continue
        line = today.get(item.id)
        qty = line.qty if line is not None else (item.qty_on_hand or ZERO)
        value, estimate = _value(qty, line, item)
        product = matching_product(item, index)
        moves.append(Move(item, product, qty, value, estimate, item.asset_account, expense_account_for(item, accounts)))
    close = snapshot.company.book_close_date if snapshot.company else None
    by_day: Mapping[date, tuple[ValuationLine, ...]] = snapshot.write_off_valuation or {}
    for adjustment, item, qty in write_offs(items, snapshot.adjustments or (), close):
        lines = {v.item_id: v for v in by_day.get(adjustment.txn_date - timedelta(days=1), ())}
        value, estimate = _value(qty, lines.get(item.id), item)
        moves.append(
            Move(
                item,
                matching_product(item, index),
                qty,
                value,
                estimate,
                item.asset_account,
                adjustment.account or item.expense_account,
                adjustment,
            )
        )
    return moves


def total(moves: Iterable[Move]) -> Decimal:
    """The total to the cent: the exact sum, rounded once."""
    return cents(sum((m.value for m in moves), ZERO))


def routes(moves: Iterable[Move], currency: str) -> str:
    """`1,234.56 USD from Inventory Asset to Inventory Shrinkage; ...`."""
    by_route: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for m in moves:
        by_route[(m.asset_name, m.expense_name)] += m.value
    return "; ".join(f"{money(cents(v), currency)} from {a} to {e}" for (a, e), v in sorted(by_route.items()))


def describe(entries: Iterable[DraftJournalEntry], currency: str) -> str:
    """The reversing entries in one line, the same words in every step: `2025-06-10: debit Inventory Asset,
    credit Inventory Shrinkage, 123.45 USD; ...` (the first few; each one in full among the findings)."""
    lines = [
        f"{e.txn_date.isoformat()}: debit {_side(e, 'Debit')}, credit {_side(e, 'Credit')}, {money(e.amount, currency)}"
        for e in entries
    ]
    more = f" and {len(lines) - 3:,} more" if len(lines) > 3 else ""
    return "; ".join(lines[:3]) + more


def _side(entry: DraftJournalEntry, side: str) -> str:
    return ", ".join(ln.account.name for ln in entry.lines if ln.posting_type == side)


def late(moves: Iterable[Move], enable_date: date | None) -> list[Move]:
    """Write-offs dated on or after the enable date: the D-1 opening entry does not cover them."""
    if enable_date is None:
        return []
    return [m for m in moves if m.txn_date is not None and m.txn_date >= enable_date]


def reversing_entries(moves: Iterable[Move], enable_date: date, currency: str) -> list[DraftJournalEntry]:
    """One entry per late adjustment, on its date: debit each asset account, credit the expense account."""
    by_adjustment: dict[str, list[Move]] = defaultdict(list)
    for m in late(moves, enable_date):
        assert m.adjustment is not None
        by_adjustment[m.adjustment.id].append(m)
    entries: list[DraftJournalEntry] = []
    for group in by_adjustment.values():
        adjustment = group[0].adjustment
        assert adjustment is not None
        credits: dict[AccountRef, Decimal] = defaultdict(lambda: ZERO)
        debits: dict[AccountRef, Decimal] = defaultdict(lambda: ZERO)
        for m in group:
            amount = cents(m.value)
            debits[AccountRef(m.asset_name, m.asset_account.id if m.asset_account else None)] += amount
            credits[AccountRef(m.expense_name, m.expense_account.id if m.expense_account else None)] += amount
        label = adjustment.doc_number or adjustment.id
        if any(v for v in debits.values()):
            entries.append(
                draft_reversing_entry(
                    adjustment.txn_date, enable_date, label, dict(debits), dict(credits), currency=currency
                )
            )
    return sorted(entries, key=lambda e: (e.txn_date, e.memo))


def unposted(entries: Iterable[DraftJournalEntry], posted: Iterable[QboJournalEntry]) -> list[DraftJournalEntry]:
    """The drafts QBO has no journal entry for: one on the draft's date with the draft's net amount per account
    (by account id, to the cent). Each entry in QBO answers for one draft only."""
    left = list(posted)
    out: list[DraftJournalEntry] = []
    for entry in entries:
        found = next((je for je in left if _matches(entry, je)), None)
        if found is None:
            out.append(entry)
        else:
            left.remove(found)
    return out


def _matches(entry: DraftJournalEntry, je: QboJournalEntry) -> bool:
    if je.txn_date != entry.txn_date:
        return False
    wanted: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for ln in entry.lines:
        if ln.account.id is None:
            return False
        wanted[ln.account.id] += ln.amount if ln.posting_type == "Debit" else -ln.amount
    got: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in je.postings:
        got[p.account_id] += p.amount
    return {a: v for a, v in got.items() if v} == {a: v for a, v in wanted.items() if v}
