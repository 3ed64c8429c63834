"""The sandbox's own model of a company: one QBO file and one Finale account that belong together.

The simulators render this model in each API's exact shapes; the generator fills it. It is mutable on
purpose: tests and the demo change it (deactivate an item, post a journal entry, fix stock) between checks,
the way a person would fix things in QBO or Finale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# ---------------------------------------------------------------- QuickBooks Online


@dataclass
class QboAccountRec:
    id: str
    name: str
    account_type: str  # "Other Current Asset", "Cost of Goods Sold", "Equity", "Income", ...
    account_sub_type: str  # "Inventory", "SuppliesMaterialsCogs", "OpeningBalanceEquity", ...
    classification: str  # Asset | Liability | Equity | Revenue | Expense
    active: bool = True


@dataclass
class QboItemRec:
    id: str
    name: str
    type: str  # Inventory | NonInventory | Service | Group | Category
    active: bool = True
    sku: str | None = None
    description: str | None = None
    qty_on_hand: Decimal | None = None  # Inventory only
    purchase_cost: Decimal = Decimal("0")
    unit_price: Decimal = Decimal("0")
    asset_account_id: str | None = None  # Inventory only
    expense_account_id: str | None = None
    income_account_id: str | None = None
    inv_start_date: date | None = None
    create_time: datetime = field(default_factory=lambda: datetime(2020, 1, 1, 9, 0))
    update_time: datetime = field(default_factory=lambda: datetime(2020, 1, 1, 9, 0))
    sync_token: int = 0


@dataclass
class Posting:
    """One side of a ledger entry: positive amounts debit, negative amounts credit."""

    txn_date: date
    account_id: str
    amount: Decimal
    memo: str = ""


@dataclass
class QboTxnLine:
    item_id: str
    qty: Decimal
    amount: Decimal


@dataclass
class QboTxnRec:
    """A transaction that names items: PurchaseOrder, Bill, Invoice, SalesReceipt or InventoryAdjustment."""

    entity: str
    id: str
    txn_date: date
    doc_number: str | None = None
    lines: list[QboTxnLine] = field(default_factory=list)
    adjust_account_id: str | None = None  # InventoryAdjustment only
    private_note: str | None = None
    # When it was last written (its MetaData.LastUpdatedTime); None: at noon on its date, as generated.
    update_time: datetime | None = None


@dataclass
class QboJournalEntryRec:
    id: str
    txn_date: date
    lines: list[Posting]
    doc_number: str | None = None
    private_note: str | None = None
    sync_token: int = 0
    update_time: datetime | None = None  # None: at noon on its date, as generated


@dataclass
class QboCompanyRec:
    realm_id: str
    company_name: str
    legal_name: str
    country: str = "US"
    home_currency: str = "USD"
    offering_sku: str = "QuickBooks Online Plus"
    company_start_date: date = date(2019, 1, 1)
    fiscal_year_start_month: str = "January"
    book_close_date: date | None = None
    quantity_on_hand_enabled: bool = True
    report_basis: str = "Accrual"
    timezone: str = "America/Los_Angeles"
    accounts: list[QboAccountRec] = field(default_factory=list)
    items: list[QboItemRec] = field(default_factory=list)
    transactions: list[QboTxnRec] = field(default_factory=list)
    journal_entries: list[QboJournalEntryRec] = field(default_factory=list)
    # The general ledger as postings; an account's balance on a date is the sum of its postings up to it.
    ledger: list[Posting] = field(default_factory=list)
    # The account QBO debits when an inventory item with stock is made inactive ("Inventory Shrinkage").
    shrinkage_account_id: str | None = None
    # How far the company's clock runs ahead of this machine's (tests move it to jump days ahead).
    clock_offset: timedelta = timedelta(0)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        """The company's local time now (aware)."""
        return datetime.now(self.tz) + self.clock_offset

    def account(self, account_id: str | None) -> QboAccountRec | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def balance(self, account_id: str, on: date) -> Decimal:
        return sum((p.amount for p in self.ledger if p.account_id == account_id and p.txn_date <= on), Decimal("0"))

    def next_id(self) -> str:
        ids = [r.id for r in self.items] + [r.id for r in self.accounts]
        ids += [r.id for r in self.transactions] + [r.id for r in self.journal_entries]
        return str(max((int(i) for i in ids if i.isdigit()), default=0) + 1)


# ---------------------------------------------------------------- Finale Inventory


@dataclass
class FinaleFacilityRec:
    facility_id: str
    name: str
    parent_name: str = "Main warehouse"


@dataclass
class FinaleProductRec:
    product_id: str
    internal_name: str
    active: bool = True
    # Average cost and the date it was established (the Average Cost Change); None: never set.
    average_cost: Decimal | None = None
    average_cost_since: date | None = None
    item_cost: Decimal | None = None  # the product's "cost" field, which is not the average cost
    created_date: datetime = field(default_factory=lambda: datetime(2020, 1, 1, 9, 0))
    last_updated: datetime = field(default_factory=lambda: datetime(2020, 1, 1, 9, 0))


@dataclass
class FinaleStockRec:
    """One inventoryitem row: exactly one of the three quantities is non-zero, as in Finale."""

    product_id: str
    facility_id: str
    quantity_on_hand: Decimal = Decimal("0")
    quantity_on_order: Decimal = Decimal("0")
    quantity_reserved: Decimal = Decimal("0")
    lot_id: str | None = None
    order_id: str | None = None  # the PO (on order) or SO (reserved) the row belongs to


@dataclass
class FinaleOrderItemRec:
    product_id: str
    quantity: Decimal
    unit_price: Decimal


@dataclass
class FinaleOrderRec:
    order_id: str
    order_type: str  # SALES_ORDER | PURCHASE_ORDER
    status: str  # ORDER_CREATED | ORDER_LOCKED | ORDER_COMPLETED | ORDER_CANCELLED
    order_date: datetime
    sale_source: str | None = None
    customer: str | None = None
    items: list[FinaleOrderItemRec] = field(default_factory=list)
    invoice_ids: list[str] = field(default_factory=list)
    shipment_ids: list[str] = field(default_factory=list)
    last_updated: datetime = field(default_factory=lambda: datetime(2020, 1, 1, 9, 0))

    @property
    def total(self) -> Decimal:
        return sum((i.quantity * i.unit_price for i in self.items), Decimal("0"))


@dataclass
class FinaleInvoiceRec:
    invoice_id: str
    order_id: str
    invoice_date: datetime
    status: str = "INVOICE_APPROVED"  # INVOICE_IN_PROCESS | INVOICE_APPROVED | INVOICE_CANCELLED
    last_updated: datetime | None = None  # None: its invoice date


@dataclass
class FinaleAccountRec:
    account_path: str  # the path component after the host, e.g. "acmegoods"
    api_key: str
    api_secret: str
    facilities: list[FinaleFacilityRec] = field(default_factory=list)
    products: list[FinaleProductRec] = field(default_factory=list)
    stock: list[FinaleStockRec] = field(default_factory=list)
    orders: list[FinaleOrderRec] = field(default_factory=list)
    invoices: list[FinaleInvoiceRec] = field(default_factory=list)
    # Finale's inventory asset account balance (its GL account 101) as a dated history; the value on a
    # date is the last entry on or before it.
    inventory_value_history: list[tuple[date, Decimal]] = field(default_factory=list)

    def inventory_value(self, on: date) -> Decimal | None:
        known = [v for d, v in sorted(self.inventory_value_history) if d <= on]
        return known[-1] if known else None

    def product(self, product_id: str) -> FinaleProductRec | None:
        return next((p for p in self.products if p.product_id == product_id), None)


# ---------------------------------------------------------------- the pair


@dataclass
class SandboxCompany:
    """A QBO company and the Finale account that will push into it."""

    qbo: QboCompanyRec
    finale: FinaleAccountRec
    # Facts the generator planted, so the demo and the tests can state what should be found.
    planted: dict[str, object] = field(default_factory=dict)
