"""The data the checks read, fetched once from QBO and Finale by the Snapshot loader.

Everything here is plain, typed, immutable data: the checks are pure functions over it. Money is Decimal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

S = TypeVar("S")
R = TypeVar("R")


class Need(enum.StrEnum):
    """A piece of source data a check declares it needs; the loader fetches only these."""

    QBO_COMPANY = "qbo_company"  # CompanyInfo + Preferences (book close date, QuantityOnHand pref)
    QBO_ITEMS = "qbo_items"  # every Item, active and inactive
    QBO_ACCOUNTS = "qbo_accounts"
    QBO_INVENTORY_VALUATION = "qbo_inventory_valuation"  # InventoryValuationSummary report, today
    QBO_ITEM_TRANSACTIONS = "qbo_item_transactions"  # POs, bills, invoices, sales receipts on/after the enable date
    QBO_INVENTORY_BALANCE = "qbo_inventory_balance"  # BalanceSheet on D-1, Inventory sub-type rows
    QBO_ADJUSTMENTS = "qbo_adjustments"  # every inventory adjustment (QBO cannot filter them by TxnDate)
    # InventoryValuationSummary as of the day before each write-off of an inactive inventory item
    QBO_WRITE_OFF_VALUATION = "qbo_write_off_valuation"
    QBO_JOURNAL_ENTRIES = "qbo_journal_entries"  # journal entries dated on/after the day before the enable date
    FINALE_PRODUCTS = "finale_products"
    FINALE_STOCK = "finale_stock"  # inventoryitem collection
    FINALE_SALES_ORDERS = "finale_sales_orders"  # sales orders + invoices
    FINALE_AVERAGE_COST = "finale_average_cost"  # reporting API, as of the enable date
    FINALE_INVENTORY_VALUE = "finale_inventory_value"  # reporting API, inventory asset value on D-1

    @property
    def source(self) -> str:
        return "QuickBooks Online" if self.value.startswith("qbo") else "Finale"


@dataclass(frozen=True, slots=True)
class Ref:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class QboCompany:
    realm_id: str
    name: str
    country: str | None = None
    home_currency: str = "USD"
    offering_sku: str | None = None
    book_close_date: date | None = None
    quantity_on_hand_enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class QboItem:
    id: str
    name: str
    type: str  # Inventory | NonInventory | Service | Group | Category
    active: bool
    sku: str | None = None
    fully_qualified_name: str | None = None
    qty_on_hand: Decimal | None = None
    purchase_cost: Decimal | None = None
    asset_account: Ref | None = None
    expense_account: Ref | None = None
    income_account: Ref | None = None
    created: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True, slots=True)
class QboAccount:
    id: str
    name: str
    account_type: str
    account_sub_type: str | None
    classification: str | None
    active: bool
    current_balance: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class ValuationLine:
    """One row of QBO's InventoryValuationSummary report."""

    item_id: str
    name: str
    sku: str | None
    qty: Decimal
    asset_value: Decimal
    avg_cost: Decimal | None


@dataclass(frozen=True, slots=True)
class ItemTransaction:
    """A QBO transaction line that names an item (purchase order, bill, invoice, sales receipt)."""

    txn_type: str  # PurchaseOrder | Bill | Invoice | SalesReceipt
    txn_id: str
    doc_number: str | None
    txn_date: date
    item_id: str


@dataclass(frozen=True, slots=True)
class AdjustmentLine:
    item_id: str
    qty_diff: Decimal  # negative: a write-off


@dataclass(frozen=True, slots=True)
class InventoryAdjustment:
    id: str
    txn_date: date
    doc_number: str | None
    account: Ref | None  # AdjustAccountRef: the account QBO debits (the asset account is credited)
    item_ids: tuple[str, ...] = ()
    note: str | None = None
    lines: tuple[AdjustmentLine, ...] = ()


@dataclass(frozen=True, slots=True)
class JournalPosting:
    account_id: str
    amount: Decimal  # positive: debit, negative: credit


@dataclass(frozen=True, slots=True)
class QboJournalEntry:
    id: str
    txn_date: date
    doc_number: str | None
    postings: tuple[JournalPosting, ...]


@dataclass(frozen=True, slots=True)
class FinaleProduct:
    product_id: str
    name: str
    active: bool
    product_url: str


@dataclass(frozen=True, slots=True)
class StockRow:
    """An on-hand row of Finale's inventoryitem collection (on-order and reserved rows are dropped)."""

    product_id: str
    sublocation: str  # facility URL of the sublocation
    sublocation_name: str
    lot_id: str | None
    quantity_on_hand: Decimal


@dataclass(frozen=True, slots=True)
class SalesOrder:
    order_id: str
    status: str  # ORDER_CREATED | ORDER_LOCKED | ORDER_COMPLETED | ORDER_CANCELLED
    order_date: date
    sale_source: str | None
    invoice_urls: tuple[str, ...] = ()
    total: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """A need whose source failed (a `SourceError` caught by the loader), as the checks see it."""

    need: Need
    message: str
    # True when the source rejected the credentials even after a token refresh: an owner must reconnect.
    auth: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What was fetched, with the moment and the as-of dates it was fetched for.

    A field is None when it was not requested; `errors` holds the needs whose source failed.
    """

    fetched_at: datetime
    enable_date: date | None = None
    company: QboCompany | None = None
    items: tuple[QboItem, ...] | None = None
    accounts: tuple[QboAccount, ...] | None = None
    valuation: tuple[ValuationLine, ...] | None = None
    item_transactions: tuple[ItemTransaction, ...] | None = None
    # Balance of each Inventory sub-type account on D-1, keyed by account id.
    inventory_balance: Mapping[str, Decimal] | None = None
    inventory_balance_date: date | None = None
    adjustments: tuple[InventoryAdjustment, ...] | None = None
    # The valuation report as of each day before a write-off (keyed by that day), home currency.
    write_off_valuation: Mapping[date, tuple[ValuationLine, ...]] | None = None
    journal_entries: tuple[QboJournalEntry, ...] | None = None
    products: tuple[FinaleProduct, ...] | None = None
    stock: tuple[StockRow, ...] | None = None
    sales_orders: tuple[SalesOrder, ...] | None = None
    # Average cost per product id as of the enable date; None where Finale shows none ("--").
    average_costs: Mapping[str, Decimal | None] | None = None
    finale_inventory_value: Decimal | None = None
    errors: Mapping[Need, SourceFailure] = field(default_factory=dict)
    # Views several checks derive from the same data (an index of 100,000 products), built once per load:
    # the loader hands one memo to every snapshot of a load.
    memo: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, name: str, source: S, build: Callable[[S], R]) -> R:
        """`build(source)`, computed once while `source` is the very object it was computed from."""
        hit = self.memo.get(name)
        if hit is not None and hit[0] is source:
            value: R = hit[1]
            return value
        value = build(source)
        self.memo[name] = (source, value)
        return value
