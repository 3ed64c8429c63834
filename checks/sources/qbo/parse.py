"""QBO's JSON rows and reports as the Snapshot's records: exact Decimals, shared Refs, dates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from checks.snapshot import (
    AdjustmentLine,
    InventoryAdjustment,
    ItemTransaction,
    JournalPosting,
    QboAccount,
    QboItem,
    QboJournalEntry,
    Ref,
)

CENT = Decimal("0.01")
DELETED_SUFFIX = " (deleted)"


def _dec(value: Any) -> Decimal | None:
    """JSON numbers arrive as int or Decimal (python-quickbooks parses floats with Decimal)."""
    if type(value) is Decimal:
        return value  # what Decimal(str(value)) would give back, without the round trip through text
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _money(value: Any) -> Decimal | None:
    d = _dec(value)
    return None if d is None else d.quantize(CENT, rounding=ROUND_HALF_UP)


def _ref(value: Any) -> Ref | None:
    if not isinstance(value, dict) or value.get("value") in (None, ""):
        return None
    return _shared_ref(str(value["value"]), str(value.get("name") or ""))


@lru_cache(maxsize=4096)
def _shared_ref(ref_id: str, name: str) -> Ref:
    """One Ref per (id, name): 50,000 items name a handful of accounts, and Ref is immutable."""
    return Ref(id=ref_id, name=name)


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_item(row: dict[str, Any]) -> QboItem:
    active = bool(row.get("Active", True))
    name = str(row.get("Name") or "")
    if not active:
        # QBO renames inactive items "Name (deleted)"; the checks compare the name the item had.
        name = name.removesuffix(DELETED_SUFFIX)
    return QboItem(
        id=str(row["Id"]),
        name=name,
        type=str(row.get("Type") or ""),
        active=active,
        sku=(str(row["Sku"]) if row.get("Sku") not in (None, "") else None),
        fully_qualified_name=row.get("FullyQualifiedName"),
        qty_on_hand=_dec(row.get("QtyOnHand")),
        purchase_cost=_dec(row.get("PurchaseCost")),
        asset_account=_ref(row.get("AssetAccountRef")),
        expense_account=_ref(row.get("ExpenseAccountRef")),
        income_account=_ref(row.get("IncomeAccountRef")),
        created=_datetime((row.get("MetaData") or {}).get("CreateTime")),
        updated=_datetime((row.get("MetaData") or {}).get("LastUpdatedTime")),
    )


def parse_account(row: dict[str, Any]) -> QboAccount:
    return QboAccount(
        id=str(row["Id"]),
        name=str(row.get("Name") or ""),
        account_type=str(row.get("AccountType") or ""),
        account_sub_type=row.get("AccountSubType"),
        classification=row.get("Classification"),
        active=bool(row.get("Active", True)),
        current_balance=_money(row.get("CurrentBalance")) or Decimal("0.00"),
    )


def report_rows(rows: Iterable[Any]) -> Iterable[dict[str, Any]]:
    """Every data row of a report, however deeply the sections nest."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        if "ColData" in row:
            yield row
        inner = (row.get("Rows") or {}).get("Row")
        if inner:
            yield from report_rows(inner)


def _txn_parser(entity: str) -> Callable[[dict[str, Any]], list[ItemTransaction]]:
    """One ItemTransaction per distinct item on the transaction's lines; none without a date."""

    def parse(txn: dict[str, Any]) -> list[ItemTransaction]:
        txn_date = _date(txn.get("TxnDate"))
        if txn_date is None:
            return []
        out: list[ItemTransaction] = []
        seen: set[str] = set()
        for line in txn.get("Line") or []:
            detail = line.get(line.get("DetailType") or "") if isinstance(line, dict) else None
            item = _ref((detail or {}).get("ItemRef")) if isinstance(detail, dict) else None
            if item is None or item.id in seen:
                continue
            seen.add(item.id)
            out.append(
                ItemTransaction(
                    txn_type=entity,
                    txn_id=str(txn["Id"]),
                    doc_number=txn.get("DocNumber"),
                    txn_date=txn_date,
                    item_id=item.id,
                )
            )
        return out

    return parse


def parse_adjustment(row: dict[str, Any]) -> InventoryAdjustment | None:
    txn_date = _date(row.get("TxnDate"))
    if txn_date is None:
        return None
    item_ids: list[str] = []
    lines: list[AdjustmentLine] = []
    for line in row.get("Line") or []:
        detail = (line or {}).get("ItemAdjustmentLineDetail") if isinstance(line, dict) else None
        item = _ref((detail or {}).get("ItemRef"))
        if item is None:
            continue
        if item.id not in item_ids:
            item_ids.append(item.id)
        qty_diff = _dec((detail or {}).get("QtyDiff"))
        if qty_diff is not None:
            lines.append(AdjustmentLine(item.id, qty_diff))
    return InventoryAdjustment(
        id=str(row["Id"]),
        txn_date=txn_date,
        doc_number=row.get("DocNumber"),
        account=_ref(row.get("AdjustAccountRef")),
        item_ids=tuple(item_ids),
        note=row.get("PrivateNote") or None,
        lines=tuple(lines),
    )


def parse_journal_entry(row: dict[str, Any]) -> QboJournalEntry | None:
    """A journal entry as signed postings (debits positive); None without a date."""
    txn_date = _date(row.get("TxnDate"))
    if txn_date is None:
        return None
    postings: list[JournalPosting] = []
    for line in row.get("Line") or []:
        detail = line.get("JournalEntryLineDetail") if isinstance(line, dict) else None
        if not isinstance(detail, dict):
            continue
        account = _ref(detail.get("AccountRef"))
        amount = _money(line.get("Amount"))
        if account is None or amount is None:
            continue
        postings.append(JournalPosting(account.id, amount if detail.get("PostingType") == "Debit" else -amount))
    return QboJournalEntry(
        id=str(row["Id"]), txn_date=txn_date, doc_number=row.get("DocNumber"), postings=tuple(postings)
    )


def _name_value(info: dict[str, Any], name: str) -> str | None:
    for pair in info.get("NameValue") or []:
        if isinstance(pair, dict) and pair.get("Name") == name:
            value = pair.get("Value")
            return str(value) if value is not None else None
    return None
