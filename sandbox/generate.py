"""Deterministic sandbox companies: the Acme Outdoor Goods demo and large companies for benchmarks.

Everything is derived from a seeded `random.Random` and the `today` argument (never the wall clock), so the
same inputs give an identical company. The planted enable date D is `demo_enable_date(today)`: the first of
the month that began at least 14 days before `today`, so that there are completed sales orders and QBO
transactions on and after D (Finale pushes from D on, and an owner usually picks the start of the current
month). D-1 is the day before.

`company.planted` records what each check should find (both generators use the same keys):

- ``enable_date`` (date): the planned enable date D.
- ``book_close_date`` (date): QBO's closing date, the last day of the month two months before D.
- ``accounts`` (dict[str, str]): account ids by role: checking, accounts_receivable, inventory_asset,
  inventory_asset_2, undeposited_funds, accounts_payable, opening_balance_equity, retained_earnings,
  sales_income, services_income, cogs, shrinkage, supplies_expense.
- ``items_to_deactivate`` (list[dict]): active QBO Inventory items whose Name or Sku equals a Finale
  productId (trimmed, case-insensitive): id, name, sku, qty (Decimal), purchase_cost, asset_value
  (qty x purchase cost, Decimal cents), finale_product_id, matched_on ("name" | "sku"), asset_account_id,
  expense_account_id (the account QBO debits when the item is made inactive: Inventory Shrinkage).
- ``total_to_expense`` (Decimal): the sum of their asset values.
- ``inventory_items_not_in_finale_fail`` (list[dict]): active Inventory items not in Finale that appear on a
  PurchaseOrder, Bill, Invoice or SalesReceipt dated on or after D: id, name, sku, qty, asset_value and
  transactions (entity, id, doc_number, txn_date, only those on or after D).
- ``inventory_items_not_in_finale_warn`` (list[dict]): the other active Inventory items not in Finale:
  id, name, sku, qty, asset_value.
- ``ignored_inactive_items`` (list[str]): ids of inactive Inventory items whose Sku is a Finale productId
  (QBO appended " (deleted)" to their names); no check may report them.
- ``other_app_burst_count`` (int), ``other_app_burst_item_ids`` (list[str]), ``other_app_burst_window``
  (tuple[datetime, datetime]): NonInventory items another app created within a few minutes.
- ``duplicate_names`` (list[dict]): groups of QBO items whose names are equal after trimming, collapsing
  whitespace and case-folding: ids, names.
- ``type_collisions`` (list[dict]): QBO items of another type than Inventory whose name equals a Finale
  productId: qbo_item_id, qbo_name, qbo_type, finale_product_id.
- ``case_collisions`` (list[dict]): QBO items whose Name or Sku equals a Finale productId only after
  trimming and case-folding: qbo_item_id, qbo_name, qbo_type, field ("name" | "sku"), finale_product_id.
- ``products_without_average_cost`` (list[dict]): active Finale products with no average cost > 0 as of D:
  product_id, average_cost (None, 0 or the later cost), average_cost_since, reason ("none" | "zero" |
  "after_enable_date").
- ``negative_stock`` (list[dict]): product/sublocation pairs whose on-hand rows sum below zero:
  product_id, facility_id, sublocation (name), qty (Decimal).
- ``orders_without_invoice`` (dict[str, list[str]]): by sale source, the ids of completed sales orders dated
  on or after D without an invoice (open, cancelled and earlier orders are not findings).
- ``sources_without_invoicing`` (list[str]): sources with completed orders on or after D and not one invoice.
- ``monthly_order_volume`` (dict[str | None, dict[str, int]]): by sale source (None: no source) and
  calendar month ("YYYY-MM"), the number of sales orders that are not cancelled.
- ``monthly_invoice_volume`` (dict[str | None, int]): by sale source, the average number of orders a month
  over the full months before D: the QBO invoices a month that source would create.
- ``qbo_inventory_balance_d1`` (Decimal) and ``qbo_inventory_balance_d1_by_account`` (dict[str, Decimal]):
  the Inventory sub-type accounts' balances on D-1 from the ledger.
- ``qbo_inventory_value_today`` (Decimal): the sum of qty x purchase cost of every Inventory item, which is
  also the Inventory sub-type accounts' balance today.
- ``finale_inventory_value_d1`` (Decimal): Finale's inventory value on D-1.
- ``opening_balance_difference`` (Decimal): finale_inventory_value_d1 - qbo_inventory_balance_d1, the
  amount the opening journal entry dated D-1 must debit (negative: credit) to the inventory asset.
- ``counts`` (dict[str, int]): the length of every list above (orders_without_invoice: all sources), for
  benchmarks that only compare numbers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sandbox.company import (
    FinaleAccountRec,
    FinaleFacilityRec,
    FinaleInvoiceRec,
    FinaleOrderItemRec,
    FinaleOrderRec,
    FinaleProductRec,
    FinaleStockRec,
    Posting,
    QboAccountRec,
    QboCompanyRec,
    QboItemRec,
    QboJournalEntryRec,
    QboTxnLine,
    QboTxnRec,
    SandboxCompany,
)

__all__ = [
    "DEMO_ACCOUNT_PATH",
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "DEMO_COMPANY_NAME",
    "DEMO_REALM_ID",
    "book_close_date_for",
    "demo_company",
    "demo_enable_date",
    "large_company",
    "normalize_name",
]

DEMO_COMPANY_NAME = "Acme Outdoor Goods"
DEMO_REALM_ID = "9341453050298211"
DEMO_ACCOUNT_PATH = "acmeoutdoor"
DEMO_API_KEY = "sandbox-acmeoutdoor-key"
DEMO_API_SECRET = "sandbox-acmeoutdoor-secret"

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SALES_ORDER = "SALES_ORDER"
PURCHASE_ORDER = "PURCHASE_ORDER"
CREATED, LOCKED, COMPLETED, CANCELLED = "ORDER_CREATED", "ORDER_LOCKED", "ORDER_COMPLETED", "ORDER_CANCELLED"
ITEM_TXN_ENTITIES = ("PurchaseOrder", "Bill", "Invoice", "SalesReceipt")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT)


def normalize_name(value: str) -> str:
    """How Preflight compares names and ids: trimmed, inner whitespace collapsed, case-folded."""
    return " ".join(value.split()).casefold()


def _first_of_month(d: date, months: int = 0) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def demo_enable_date(today: date) -> date:
    """The first of the month that began at least 14 days before `today`."""
    return _first_of_month(today - timedelta(days=14))


def book_close_date_for(enable_date: date) -> date:
    """The last day of the month two months before the enable date (the books are closed through it)."""
    return _first_of_month(enable_date, -1) - timedelta(days=1)


def _rand_cents(rng: random.Random, low: int, high: int) -> Decimal:
    """A Decimal between low and high dollars, with cents; drawn as integer cents so it is exact."""
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


# ---------------------------------------------------------------- QBO building blocks


@dataclass
class _Chart:
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, role: str) -> str:
        return self.ids[role]


# role, name, AccountType, AccountSubType, Classification
_CHART: tuple[tuple[str, str, str, str, str], ...] = (
    ("checking", "Checking", "Bank", "Checking", "Asset"),
    (
        "accounts_receivable",
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
        "Asset",
    ),
    ("inventory_asset", "Inventory Asset", "Other Current Asset", "Inventory", "Asset"),
    ("inventory_asset_2", "Inventory Asset - Warehouse 2", "Other Current Asset", "Inventory", "Asset"),
    ("undeposited_funds", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
    ("accounts_payable", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability"),
    ("opening_balance_equity", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", "Equity"),
    ("retained_earnings", "Retained Earnings", "Equity", "RetainedEarnings", "Equity"),
    ("sales_income", "Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue"),
    ("services_income", "Services", "Income", "ServiceFeeIncome", "Revenue"),
    ("cogs", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"),
    ("shrinkage", "Inventory Shrinkage", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"),
    ("supplies_expense", "Supplies", "Expense", "SuppliesMaterials", "Expense"),
)


class _QboBuilder:
    """Adds accounts, items and transactions to a QBO company, posting each transaction to the ledger.

    Inventory items are created with their quantity today; transactions record how that quantity moved, and
    `post_inventory_openings` then books the starting value that makes the two agree, so the Inventory
    accounts' balance today equals the sum of qty x purchase cost (what InventoryValuationSummary shows).
    """

    def __init__(self, qbo: QboCompanyRec, *, first_id: int = 1) -> None:
        self.qbo = qbo
        self._next = first_id
        self.chart = _Chart()
        self.items_by_id: dict[str, QboItemRec] = {}
        self.qty_moved: dict[str, Decimal] = {}  # item id -> bought minus sold, over all transactions

    def new_id(self) -> str:
        value = str(self._next)
        self._next += 1
        return value

    def add_chart(self) -> _Chart:
        for role, name, account_type, sub_type, classification in _CHART:
            rec = QboAccountRec(self.new_id(), name, account_type, sub_type, classification)
            self.qbo.accounts.append(rec)
            self.chart.ids[role] = rec.id
        self.qbo.shrinkage_account_id = self.chart["shrinkage"]
        return self.chart

    def add_item(self, item: QboItemRec) -> QboItemRec:
        self.qbo.items.append(item)
        self.items_by_id[item.id] = item
        return item

    def post(self, when: date, memo: str, lines: Iterable[tuple[str, Decimal]]) -> None:
        postings = [Posting(when, account_id, amount, memo) for account_id, amount in lines if amount]
        assert sum((p.amount for p in postings), Decimal(0)) == 0, f"unbalanced entry: {memo}"
        self.qbo.ledger.extend(postings)

    def journal(self, when: date, doc_number: str, note: str, lines: list[tuple[str, Decimal]]) -> None:
        postings = [Posting(when, account_id, amount, note) for account_id, amount in lines]
        self.qbo.journal_entries.append(QboJournalEntryRec(self.new_id(), when, postings, doc_number, note))
        self.post(when, note, lines)

    def txn(
        self,
        entity: str,
        when: date,
        doc_number: str | None,
        lines: Sequence[tuple[str, Decimal]],
        *,
        note: str | None = None,
        adjust_account_id: str | None = None,
    ) -> QboTxnRec:
        """A transaction naming items, as (item id, qty); amounts come from the items' prices and costs."""
        chart = self.chart
        rec = QboTxnRec(entity, self.new_id(), when, doc_number, adjust_account_id=adjust_account_id)
        rec.private_note = note
        memo = f"{entity} {doc_number or rec.id}"
        entries: list[tuple[str, Decimal]] = []
        for item_id, qty in lines:
            item = self.items_by_id[item_id]
            inventory = item.type == "Inventory"
            at_cost = cents(qty * item.purchase_cost)
            if entity in ("PurchaseOrder", "Bill"):
                amount = at_cost
                if entity == "Bill":
                    debit = item.asset_account_id if inventory else item.expense_account_id
                    entries += [
                        (debit or chart["supplies_expense"], amount),
                        (chart["accounts_payable"], -amount),
                    ]
                    if inventory:
                        self._move(item_id, qty)
            elif entity in ("Invoice", "SalesReceipt"):
                amount = cents(qty * item.unit_price)
                receivable = chart["accounts_receivable"] if entity == "Invoice" else chart["undeposited_funds"]
                income = item.income_account_id or chart["services_income"]
                entries += [(receivable, amount), (income, -amount)]
                if inventory:
                    assert item.asset_account_id and item.expense_account_id
                    entries += [(item.expense_account_id, at_cost), (item.asset_account_id, -at_cost)]
                    self._move(item_id, -qty)
            elif entity == "InventoryAdjustment":
                # `qty` is the change; a write-down credits the asset and debits the adjustment account.
                amount = at_cost
                assert item.asset_account_id and adjust_account_id
                entries += [(item.asset_account_id, amount), (adjust_account_id, -amount)]
                self._move(item_id, qty)
            else:
                raise ValueError(entity)
            rec.lines.append(QboTxnLine(item_id, qty, amount))
        self.qbo.transactions.append(rec)
        if entries:
            self.post(when, memo, entries)
        return rec

    def _move(self, item_id: str, qty: Decimal) -> None:
        self.qty_moved[item_id] = self.qty_moved.get(item_id, Decimal(0)) + qty

    def post_inventory_openings(self, *, aggregate: bool = False) -> None:
        """Book each Inventory item's starting value (on its start date) against Opening Balance Equity."""
        equity = self.chart["opening_balance_equity"]
        totals: dict[tuple[date, str], Decimal] = {}
        for item in self.qbo.items:
            if item.type != "Inventory":
                continue
            assert item.qty_on_hand is not None and item.asset_account_id and item.inv_start_date
            opening_qty = item.qty_on_hand - self.qty_moved.get(item.id, Decimal(0))
            assert opening_qty >= 0, f"item {item.id} would start below zero"
            value = cents(opening_qty * item.purchase_cost)
            if aggregate:
                key = (item.inv_start_date, item.asset_account_id)
                totals[key] = totals.get(key, ZERO) + value
            else:
                memo = f"Inventory starting value: {item.name}"
                self.post(item.inv_start_date, memo, [(item.asset_account_id, value), (equity, -value)])
        for (when, account_id), value in sorted(totals.items()):
            self.post(when, "Inventory starting value", [(account_id, value), (equity, -value)])

    def inventory_balance(self, on: date) -> dict[str, Decimal]:
        inventory_ids = [a.id for a in self.qbo.accounts if a.account_sub_type == "Inventory"]
        balances = dict.fromkeys(inventory_ids, ZERO)
        for p in self.qbo.ledger:
            if p.txn_date <= on and p.account_id in balances:
                balances[p.account_id] += p.amount
        return balances


def _item_value(item: QboItemRec) -> Decimal:
    return cents((item.qty_on_hand or Decimal(0)) * item.purchase_cost)


def _deactivation_row(item: QboItemRec, product_id: str, matched_on: str, shrinkage_id: str) -> dict[str, object]:
    return {
        "id": item.id,
        "name": item.name,
        "sku": item.sku,
        "qty": item.qty_on_hand,
        "purchase_cost": item.purchase_cost,
        "asset_value": _item_value(item),
        "finale_product_id": product_id,
        "matched_on": matched_on,
        "asset_account_id": item.asset_account_id,
        "expense_account_id": shrinkage_id,
    }


def _not_in_finale_row(item: QboItemRec) -> dict[str, object]:
    return {
        "id": item.id,
        "name": item.name,
        "sku": item.sku,
        "qty": item.qty_on_hand,
        "asset_value": _item_value(item),
    }


def _txn_refs(qbo: QboCompanyRec, item_id: str, since: date) -> list[dict[str, object]]:
    return [
        {"entity": t.entity, "id": t.id, "doc_number": t.doc_number, "txn_date": t.txn_date}
        for t in qbo.transactions
        if t.entity in ITEM_TXN_ENTITIES and t.txn_date >= since and any(ln.item_id == item_id for ln in t.lines)
    ]


def _monthly_volume(
    orders: Iterable[FinaleOrderRec], enable_date: date
) -> tuple[dict[str | None, dict[str, int]], dict[str | None, int]]:
    """Orders a month by source (not cancelled), and the average over the full months before D."""
    volume: dict[str | None, dict[str, int]] = {}
    for o in orders:
        if o.order_type != SALES_ORDER or o.status == CANCELLED:
            continue
        month = f"{o.order_date.year:04d}-{o.order_date.month:02d}"
        by_month = volume.setdefault(o.sale_source, {})
        by_month[month] = by_month.get(month, 0) + 1
    full_months = [f"{m.year:04d}-{m.month:02d}" for m in (_first_of_month(enable_date, -k) for k in (3, 2, 1))]
    average = {
        source: round(sum(by_month.get(m, 0) for m in full_months) / len(full_months))
        for source, by_month in volume.items()
    }
    return volume, average


def _add_counts(planted: dict[str, object]) -> None:
    counts = {key: len(value) for key, value in planted.items() if isinstance(value, list)}
    without = planted["orders_without_invoice"]
    assert isinstance(without, dict)
    counts["orders_without_invoice"] = sum(len(ids) for ids in without.values())
    planted["counts"] = counts


def _value_history(rng: random.Random, enable_date: date, today: date, value_d1: Decimal) -> list[tuple[date, Decimal]]:
    """Month-end values before D-1, the exact value on D-1, and later values that must not be read for D-1."""
    history: list[tuple[date, Decimal]] = []
    for k in range(5, 0, -1):
        month_end = _first_of_month(enable_date, -k) - timedelta(days=1)
        history.append((month_end, cents(value_d1 * Decimal(rng.randint(880, 1080)) / 1000)))
    history.append((enable_date - timedelta(days=1), value_d1))
    history.append((enable_date + timedelta(days=6), cents(value_d1 * Decimal("1.0315"))))
    history.append((today, cents(value_d1 * Decimal("0.9742"))))
    return history


# ---------------------------------------------------------------- the demo company

# (Finale productId, name, average cost); None: never set. Inventory QBO items below refer to these ids.
_DEMO_PRODUCTS: tuple[tuple[str, str, str | None], ...] = (
    ("TENT-2P-GRN", "Ridgeline 2P Tent - Green", "139.80"),
    ("TENT-4P-GRN", "Basecamp 4P Tent - Green", "231.15"),
    ("SLBG-20F-REG", "Summit 20°F Sleeping Bag - Regular", "88.10"),
    ("SLBG-20F-LNG", "Summit 20°F Sleeping Bag - Long", "93.45"),
    ("SLBG-40F-REG", "Breeze 40°F Sleeping Bag", "52.30"),
    ("PAD-INFL-R", "Inflatable Sleeping Pad - Regular", "41.75"),
    ("PAD-FOAM-R", "Closed-Cell Foam Pad", "14.20"),
    ("HDLMP-300", "Headlamp 300 lm", "17.60"),
    ("HDLMP-500", "Headlamp 500 lm Rechargeable", "26.95"),
    ("STOVE-CMP-1B", "Compact Stove - 1 Burner", "53.80"),
    ("STOVE-CMP-2B", "Camp Stove - 2 Burner", "87.25"),
    ("FUEL-8OZ", "Isobutane Fuel 8 oz", "4.10"),
    ("FUEL-16OZ", "Isobutane Fuel 16 oz", "6.35"),
    ("WFLT-PRO", "Water Filter Pro", "37.90"),
    ("WFLT-MINI", "Water Filter Mini", "15.45"),
    ("BTL-1L-BLU", "Insulated Bottle 1 L - Blue", "9.80"),
    ("BTL-1L-GRY", "Insulated Bottle 1 L - Grey", "9.80"),
    ("TMX-ORIG-12", 'Trail Mix "Original" – 12 oz', "3.92"),
    ("TMX-CHOC-12", "Trail Mix Chocolate – 12 oz", "4.18"),
    ("BAR-PNUT-12PK", "Peanut Energy Bar 12-pack", "11.40"),
    ("MEAL-CHILI-2S", "Freeze-Dried Chili (2 servings)", "5.65"),
    ("MEAL-PASTA-2S", "Freeze-Dried Pasta Primavera (2 servings)", "5.90"),
    ("COFFEE-INST-8", "Instant Coffee 8-pack", "3.35"),
    ("MUG-KIDS-12OZ", "Kids' Café Mug ☕ 12 oz", "6.05"),
    ("MUG-ENAM-16OZ", "Enamel Mug 16 oz", "4.70"),
    ("PACK-45L-BLU", "Trailhead 45 L Pack - Blue", "117.40"),
    ("PACK-45L-BLK", "Trailhead 45 L Pack - Black", "117.40"),
    ("PACK-65L-BLK", "Expedition 65 L Pack - Black", "164.85"),
    ("DAYPK-22L-RED", "Daypack 22 L - Red", "31.20"),
    ("TPOLE-ALU", "Trekking Poles - Aluminium (pair)", "29.10"),
    ("TPOLE-CRB", "Trekking Poles - Carbon (pair)", "58.75"),
    ("CHAIR-CAMP-LT", "Ultralight Camp Chair", "44.05"),
    ("TABLE-ROLL-SM", "Roll Table - Small", "36.90"),
    ("JKT-RAIN-S", "Rain Shell Jacket S", "60.85"),
    ("JKT-RAIN-M", "Rain Shell Jacket M", "61.02"),
    ("JKT-RAIN-L", "Rain Shell Jacket L", "61.40"),
    ("DRYBAG-10L", "Dry Bag 10 L", "8.35"),
    ("DRYBAG-20L", "Dry Bag 20 L", "10.95"),
    ("HAT-SUN-OS", "Sun Hat - One Size", "9.15"),
    ("BEANIE-WOOL", "Merino Beanie", "7.80"),
    ("SOCK-WOOL-M", "Merino Hiking Socks M", "6.40"),
    ("SOCK-WOOL-L", "Merino Hiking Socks L", "6.40"),
    ("KNIFE-FOLD-3", 'Folding Knife 3"', "12.75"),
    ("MULTI-TOOL-12", "Multi-Tool 12-in-1", "22.30"),
    ("FAK-TRAIL", "Trail First Aid Kit", "13.60"),
    ("FAK-FAMILY", "Family First Aid Kit", "27.85"),
    ("COMPASS-BASE", "Baseplate Compass", "8.90"),
    ("CORD-550-50", "Paracord 550 - 50 ft", "3.15"),
    ("CARAB-LOCK", "Locking Carabiner", "0"),  # average cost 0: a finding
    ("HAMMOCK-SGL", "Hammock - Single", "21.40"),
    ("HAMMOCK-DBL", "Hammock - Double", "28.60"),  # new product, cost set after D: a finding
    ("LANT-LED-400", "LED Lantern 400 lm", "18.25"),
    ("CLR-45QT", "Hard Cooler 45 qt", "78.60"),
    ("GLOVE-FLC-M", "Fleece Gloves M", "5.95"),
    ("GAITER-TRL", "Trail Gaiters", None),  # never set, though the item cost field is: a finding
    ("TARP-10X10", "Tarp 10x10 ft", "24.70"),  # cost set after D: a finding
    ("BEAR-CAN-BV", "Bear Canister", None),  # never set: a finding
    ("SUNSCR-SPF50", "Sunscreen SPF 50 - 3 oz", "2.85"),
    ("BUGSPR-4OZ", "Insect Repellent 4 oz", "3.10"),
)
# Discontinued products: inactive, so neither a missing cost nor stock may be reported.
_DEMO_INACTIVE_PRODUCTS: tuple[tuple[str, str, str | None], ...] = (
    ("TENT-2P-ORG", "Ridgeline 2P Tent - Orange (discontinued)", "139.80"),
    ("JKT-DOWN-M", "Down Jacket M (discontinued)", "72.15"),
    ("MAP-CASE", "Waterproof Map Case", "4.40"),
    ("GPS-HND-X", "Handheld GPS X", "118.00"),
    ("STOVE-OLD-1", "Classic Stove (old model)", None),
)

# QBO Inventory items that are Finale products: (name, sku, Finale productId, matched on, qty, cost, account).
_DEMO_MATCHED: tuple[tuple[str, str | None, str, str, int, str, str], ...] = (
    ("TENT-2P-GRN", None, "TENT-2P-GRN", "name", 18, "142.75", "inventory_asset"),
    ("SLBG-20F-REG", "SLBG-20F-REG", "SLBG-20F-REG", "name", 24, "89.40", "inventory_asset"),
    ("Headlamp 300 lm", "HDLMP-300", "HDLMP-300", "sku", 65, "17.85", "inventory_asset"),
    ('Trail Mix "Original" – 12 oz', "TMX-ORIG-12", "TMX-ORIG-12", "sku", 240, "3.85", "inventory_asset_2"),
    ("Kids' Café Mug ☕", " mug-kids-12oz", "MUG-KIDS-12OZ", "sku", 96, "6.12", "inventory_asset_2"),
    ("stove-cmp-1b ", None, "STOVE-CMP-1B", "name", 31, "54.99", "inventory_asset"),
    ("Water Filter Pro", "WFLT-PRO", "WFLT-PRO", "sku", 42, "38.50", "inventory_asset"),
    ("PACK-45L-BLU", None, "PACK-45L-BLU", "name", 15, "118.25", "inventory_asset_2"),
    ("Trekking Poles (pair)", "TPOLE-ALU", "TPOLE-ALU", "sku", 0, "29.95", "inventory_asset"),
    ("CHAIR-CAMP-LT", "CHAIR-CAMP-LT", "CHAIR-CAMP-LT", "name", 27, "44.60", "inventory_asset_2"),
    ("Rain Shell Jacket M", "JKT-RAIN-M", "JKT-RAIN-M", "sku", 33, "61.37", "inventory_asset"),
    (" Dry Bag 20L", "drybag-20l", "DRYBAG-20L", "sku", 58, "11.08", "inventory_asset_2"),
)

_DEMO_SERVICES: tuple[str, ...] = (
    "Shipping",
    "Expedited Shipping",
    "Gift Wrapping",
    "gift  wrapping ",  # the same name but for case and whitespace
    "Assembly",
    "Tent Seam Sealing",
    "Repair - Zipper",
    "Repair - Pole Splint",
    "Rental - 2P Tent (per night)",
    "Rental - Kayak (per day)",
    "Guided Hike (half day)",
    "Guided Hike (full day)",
    "Wilderness First Aid Class",
    "Navigation Workshop",
    "Gear Cleaning",
    "Restocking Fee",
    "Custom Embroidery",
    "Consulting",
    "Installation",
    "Late Fee",
)
_DEMO_NON_INVENTORY: tuple[str, ...] = (
    "Gift Card $25",
    "Gift Card $50",
    "Gift Card $100",
    "Catalog Printing",
    "Shipping Boxes (bundle)",
    "Packing Tape",
    "Store Supplies",
    "Event Booth Fee",
    "Sample - Trade Show",
    "Clearance Bin Misc",
    "Donation - Trail Fund",
    "Membership - Acme Club",
    "Sticker Pack",
    "Patch - Acme Logo",
    "Map - Local Trails (print)",
    "Bandana - Promo",
    "HAT-SUN-OS",  # a Finale productId on a NonInventory item
    "Warranty - 1 year",
)

_FACILITIES = (
    FinaleFacilityRec("100000", "Shelf A", "Main warehouse"),
    FinaleFacilityRec("100001", "Shelf B", "Main warehouse"),
    FinaleFacilityRec("100002", "Bulk Storage", "Overflow warehouse"),
)

# Sale sources with (orders every day, chance of one more) for the demo.
_DEMO_DAILY_ORDERS: tuple[tuple[str | None, int, float], ...] = (
    ("Shopify", 3, 0.6),
    ("Amazon", 1, 0.5),
    ("Phone", 1, 0.3),
    ("Wholesale", 0, 0.3),
    (None, 0, 0.2),
)
_DEMO_CUSTOMERS = (
    "Jordan Reyes",
    "Priya Natarajan",
    "Sam O'Connor",
    "Mei Lin",
    "Élodie Martin",
    "Chris Walker",
    "Aiyana Begay",
    "Tomás Ortega",
)
_WHOLESALE_CUSTOMERS = ("Trailhead Outfitters", "Summit Supply Co.", "Riverbend Sports", "Northwoods Co-op")


def demo_company(today: date) -> SandboxCompany:
    """Acme Outdoor Goods, in which every Preflight check has something to find (see the module docstring)."""
    rng = random.Random(20240611)
    enable = demo_enable_date(today)
    d1 = enable - timedelta(days=1)
    close = book_close_date_for(enable)

    qbo = QboCompanyRec(
        realm_id=DEMO_REALM_ID,
        company_name=DEMO_COMPANY_NAME,
        legal_name="Acme Outdoor Goods LLC",
        company_start_date=date(today.year - 5, 1, 1),
        book_close_date=close,
    )
    b = _QboBuilder(qbo)
    chart = b.add_chart()
    planted: dict[str, object] = {
        "enable_date": enable,
        "book_close_date": close,
        "accounts": dict(chart.ids),
    }

    def created(days_ago: int, hour: int = 10) -> datetime:
        when = datetime.combine(today - timedelta(days=days_ago), time(hour, rng.randint(0, 59), rng.randint(0, 59)))
        return when

    # --- Inventory items that are Finale products: each must be deactivated.
    to_deactivate: list[dict[str, object]] = []
    matched: dict[str, QboItemRec] = {}
    case_collisions: list[dict[str, object]] = []
    for name, sku, product_id, matched_on, qty, cost, account in _DEMO_MATCHED:
        when = created(rng.randint(420, 1500))
        item = b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=name,
                type="Inventory",
                sku=sku,
                qty_on_hand=Decimal(qty),
                purchase_cost=Decimal(cost),
                unit_price=cents(Decimal(cost) * Decimal("1.95")),
                asset_account_id=chart[account],
                expense_account_id=chart["cogs"],
                income_account_id=chart["sales_income"],
                inv_start_date=when.date(),
                create_time=when,
                update_time=when,
            )
        )
        matched[product_id] = item
        to_deactivate.append(_deactivation_row(item, product_id, matched_on, chart["shrinkage"]))
        compared = name if matched_on == "name" else sku
        assert compared is not None and normalize_name(compared) == normalize_name(product_id)
        if compared != product_id:
            case_collisions.append(
                {
                    "qbo_item_id": item.id,
                    "qbo_name": item.name,
                    "qbo_type": item.type,
                    "field": matched_on,
                    "finale_product_id": product_id,
                }
            )

    # --- Inventory items Finale does not know: one still in use after D (fail), two not (warn).
    def inventory_item(name: str, sku: str | None, qty: int, cost: str, account: str) -> QboItemRec:
        when = created(rng.randint(500, 1200))
        return b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=name,
                type="Inventory",
                sku=sku,
                qty_on_hand=Decimal(qty),
                purchase_cost=Decimal(cost),
                unit_price=cents(Decimal(cost) * Decimal("1.8")),
                asset_account_id=chart[account],
                expense_account_id=chart["cogs"],
                income_account_id=chart["sales_income"],
                inv_start_date=when.date(),
                create_time=when,
                update_time=when,
            )
        )

    lantern = inventory_item("Legacy Lantern Kit", "LANT-KIT-OLD", 12, "36.40", "inventory_asset")
    cooler = inventory_item("Cooler 45qt (old SKU)", "CLR-45-OLD", 7, "79.15", "inventory_asset")
    rack = inventory_item("Display Rack - Wood", None, 2, "210.00", "inventory_asset_2")
    # Deleted long ago: QBO wrote its stock off and renamed it; its Sku is still a Finale productId.
    fuel = inventory_item("Camp Fuel 8 oz (deleted)", "FUEL-8OZ", 0, "4.25", "inventory_asset")
    fuel.active = False

    # --- Services and non-inventory items; a few made recently by hand (not a burst).
    service_ids: dict[str, str] = {}
    for kind, names in (("Service", _DEMO_SERVICES), ("NonInventory", _DEMO_NON_INVENTORY)):
        for name in names:
            days_ago = {"Sticker Pack": 45, "Warranty - 1 year": 31}.get(name, rng.randint(300, 1600))
            when = created(days_ago, rng.randint(8, 17))
            price = _rand_cents(rng, 5, 120) if not name.startswith("Gift Card") else Decimal(name[11:]) + ZERO
            item = b.add_item(
                QboItemRec(
                    id=b.new_id(),
                    name=name,
                    type=kind,
                    unit_price=price,
                    purchase_cost=cents(price * Decimal("0.4")) if kind == "NonInventory" else ZERO,
                    income_account_id=chart["services_income"] if kind == "Service" else chart["sales_income"],
                    expense_account_id=chart["supplies_expense"] if kind == "NonInventory" else None,
                    create_time=when,
                    update_time=when,
                )
            )
            service_ids[name] = item.id
    planted["duplicate_names"] = [
        {
            "ids": [service_ids["Gift Wrapping"], service_ids["gift  wrapping "]],
            "names": ["Gift Wrapping", "gift  wrapping "],
        }
    ]
    planted["type_collisions"] = [
        {
            "qbo_item_id": service_ids["HAT-SUN-OS"],
            "qbo_name": "HAT-SUN-OS",
            "qbo_type": "NonInventory",
            "finale_product_id": "HAT-SUN-OS",
        }
    ]
    planted["case_collisions"] = case_collisions

    # --- A burst of NonInventory items another app (a Shopify connector) created ten days ago.
    burst_start = datetime.combine(today - timedelta(days=10), time(14, 2, 11))
    burst_ids: list[str] = []
    for k in range(25):
        when = burst_start + timedelta(seconds=7 * k + rng.randint(0, 5))
        item = b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=f"SHOPIFY-{rng.randint(10**10, 10**11 - 1)}",
                type="NonInventory",
                description="Created by Shopify Connector",
                unit_price=_rand_cents(rng, 8, 90),
                income_account_id=chart["sales_income"],
                create_time=when,
                update_time=when,
            )
        )
        burst_ids.append(item.id)
    last_burst = max(b.items_by_id[i].create_time for i in burst_ids)
    planted.update(
        other_app_burst_count=len(burst_ids),
        other_app_burst_item_ids=burst_ids,
        other_app_burst_window=(burst_start, last_burst),
    )

    # --- Ledger: opening cash, then transactions before and after D.
    start = qbo.company_start_date
    b.post(
        start,
        "Opening balance",
        [(chart["checking"], Decimal("48210.55")), (chart["opening_balance_equity"], Decimal("-48210.55"))],
    )
    svc = service_ids
    # The deleted item's stock was written off to shrinkage when it was made inactive.
    fuel_gone = today - timedelta(days=rng.randint(400, 430))
    b.txn(
        "InventoryAdjustment",
        fuel_gone,
        "ADJ-1007",
        [(fuel.id, Decimal(-40))],
        note="Inventory quantity adjustment (item deactivated)",
        adjust_account_id=chart["shrinkage"],
    )
    fuel.update_time = datetime.combine(fuel_gone, time(16, 40))

    doc = iter(range(1041, 10_000))
    restock = [item for item in matched.values() if item.qty_on_hand]
    for group in (restock[0:4], restock[4:8], restock[8:]):
        billed = enable - timedelta(days=rng.randint(60, 100))
        txn_lines = [(it.id, min(Decimal(rng.randint(6, 30)), it.qty_on_hand or Decimal(0))) for it in group]
        b.txn("PurchaseOrder", billed - timedelta(days=12), f"PO-{next(doc)}", txn_lines)
        b.txn("Bill", billed, f"B-{next(doc)}", txn_lines)
    b.txn("Bill", enable - timedelta(days=48), f"B-{next(doc)}", [(lantern.id, Decimal(10))])
    b.txn("Bill", enable - timedelta(days=150), f"B-{next(doc)}", [(cooler.id, Decimal(5))])
    b.txn(
        "Invoice",
        enable - timedelta(days=121),
        f"{next(doc)}",
        [(cooler.id, Decimal(3)), (svc["Shipping"], Decimal(1))],
    )
    wholesale = list(matched.values())
    for k in range(5):
        picks = rng.sample(wholesale, 3)
        txn_lines = [(it.id, Decimal(rng.randint(2, 8))) for it in picks] + [(svc["Shipping"], Decimal(1))]
        billed = enable - timedelta(days=rng.randint(8, 110))
        b.txn("Invoice", billed, f"{next(doc)}", txn_lines, note=f"Wholesale order {k + 1}")
    for _ in range(6):
        sold = enable - timedelta(days=rng.randint(5, 90))
        txn_lines = [
            (rng.choice(wholesale).id, Decimal(1)),
            (svc[rng.choice(_DEMO_SERVICES[4:14])], Decimal(1)),
        ]
        b.txn("SalesReceipt", sold, f"{next(doc)}", txn_lines)
    b.txn("Bill", enable - timedelta(days=33), f"B-{next(doc)}", [(svc["Store Supplies"], Decimal(3))])
    # After D: the unknown lantern is still bought and sold in QBO (the inventory-items check must fail).
    lantern_po = b.txn(
        "PurchaseOrder",
        enable + timedelta(days=2),
        f"PO-{next(doc)}",
        [(lantern.id, Decimal(20)), (svc["Shipping Boxes (bundle)"], Decimal(2))],
    )
    lantern_inv = b.txn(
        "Invoice",
        enable + timedelta(days=5),
        f"{next(doc)}",
        [(lantern.id, Decimal(4)), (svc["Shipping"], Decimal(1))],
    )
    assert lantern_po.txn_date <= today and lantern_inv.txn_date <= today
    b.txn(
        "SalesReceipt",
        enable + timedelta(days=3),
        f"{next(doc)}",
        [(svc["Guided Hike (half day)"], Decimal(2))],
    )
    b.txn("Bill", enable + timedelta(days=1), f"B-{next(doc)}", [(svc["Store Supplies"], Decimal(2))])
    # The sales receipts before D were deposited.
    deposited = sum(
        (
            ln.amount
            for t in qbo.transactions
            if t.entity == "SalesReceipt" and t.txn_date < enable - timedelta(days=2)
            for ln in t.lines
        ),
        ZERO,
    )
    b.journal(
        enable - timedelta(days=2),
        "JE-214",
        "Deposit of undeposited funds",
        [(chart["checking"], deposited), (chart["undeposited_funds"], -deposited)],
    )
    b.post_inventory_openings()
    qbo.ledger.sort(key=lambda p: p.txn_date)

    planted["items_to_deactivate"] = to_deactivate
    planted["total_to_expense"] = sum((_item_value(i) for i in matched.values()), ZERO)
    fail_row = _not_in_finale_row(lantern)
    fail_row["transactions"] = _txn_refs(qbo, lantern.id, enable)
    planted["inventory_items_not_in_finale_fail"] = [fail_row]
    planted["inventory_items_not_in_finale_warn"] = [_not_in_finale_row(cooler), _not_in_finale_row(rack)]
    planted["ignored_inactive_items"] = [fuel.id]

    finale = _demo_finale(rng, today, enable, planted)
    # Opening balance: QBO on D-1 against Finale's value on D-1.
    by_account = b.inventory_balance(d1)
    qbo_d1 = sum(by_account.values(), ZERO)
    difference = _rand_cents(rng, 1500, 6000)
    finale_d1 = qbo_d1 + difference
    finale.inventory_value_history = _value_history(rng, enable, today, finale_d1)
    planted.update(
        qbo_inventory_balance_d1=qbo_d1,
        qbo_inventory_balance_d1_by_account=by_account,
        qbo_inventory_value_today=sum((_item_value(i) for i in qbo.items if i.type == "Inventory"), ZERO),
        finale_inventory_value_d1=finale_d1,
        opening_balance_difference=difference,
    )
    _add_counts(planted)
    return SandboxCompany(qbo, finale, planted)


def _demo_finale(rng: random.Random, today: date, enable: date, planted: dict[str, object]) -> FinaleAccountRec:
    d1 = enable - timedelta(days=1)

    def created(days_ago: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, rng.randint(0, 59), rng.randint(0, 59)))

    finale = FinaleAccountRec(DEMO_ACCOUNT_PATH, DEMO_API_KEY, DEMO_API_SECRET, facilities=list(_FACILITIES))
    without_cost: list[dict[str, object]] = []
    for product_id, name, cost_text in (*_DEMO_PRODUCTS, *_DEMO_INACTIVE_PRODUCTS):
        active = (product_id, name, cost_text) in _DEMO_PRODUCTS
        made = created(rng.randint(600, 1700), rng.randint(8, 18))
        average = Decimal(cost_text) if cost_text is not None else None
        since = made.date() + timedelta(days=rng.randint(0, 20)) if average is not None else None
        if product_id == "TPOLE-CRB":
            since = d1  # set the day before D: established in time
        reason = None
        if product_id == "HAMMOCK-DBL":
            made = datetime.combine(enable + timedelta(days=3), time(11, 5))
            since, reason = enable + timedelta(days=4), "after_enable_date"
        elif product_id == "TARP-10X10":
            since, reason = enable + timedelta(days=9), "after_enable_date"
        elif active and average is None:
            reason = "none"
        elif active and average is not None and average <= 0:
            average, reason = ZERO, "zero"
        rec = FinaleProductRec(
            product_id=product_id,
            internal_name=name,
            active=active,
            average_cost=average,
            average_cost_since=since,
            item_cost=Decimal("11.30") if product_id == "GAITER-TRL" else (average if rng.random() < 0.5 else None),
            created_date=made,
            last_updated=made + timedelta(days=rng.randint(0, 90)),
        )
        finale.products.append(rec)
        if reason is not None:
            without_cost.append(
                {
                    "product_id": product_id,
                    "average_cost": average,
                    "average_cost_since": since,
                    "reason": reason,
                }
            )
    planted["products_without_average_cost"] = without_cost

    # Stock: on-hand rows per product and sublocation (some by lot), plus on-order and reserved rows.
    fac_a, fac_b, bulk = (f.facility_id for f in _FACILITIES)
    special = {"FUEL-16OZ", "SUNSCR-SPF50", "HDLMP-500", "BUGSPR-4OZ"}
    active_ids = [p for p, _, _ in _DEMO_PRODUCTS]
    for product_id in active_ids:
        if product_id in special:
            continue
        home = rng.choice(_FACILITIES).facility_id
        finale.stock.append(FinaleStockRec(product_id, home, quantity_on_hand=Decimal(rng.randint(4, 160))))
        if rng.random() < 0.35:
            other = fac_b if home != fac_b else bulk
            finale.stock.append(FinaleStockRec(product_id, other, quantity_on_hand=Decimal(rng.randint(1, 60))))
    for product_id, _, _ in _DEMO_INACTIVE_PRODUCTS[:3]:
        finale.stock.append(FinaleStockRec(product_id, bulk, quantity_on_hand=Decimal(rng.randint(1, 5))))
    finale.stock += [
        # One plain negative row.
        FinaleStockRec("FUEL-16OZ", fac_a, quantity_on_hand=Decimal(-4)),
        # Lots that net out below zero.
        FinaleStockRec("SUNSCR-SPF50", bulk, quantity_on_hand=Decimal(10), lot_id="L-2406"),
        FinaleStockRec("SUNSCR-SPF50", bulk, quantity_on_hand=Decimal(-13), lot_id="L-2409"),
        FinaleStockRec("SUNSCR-SPF50", fac_a, quantity_on_hand=Decimal(24), lot_id="L-2409"),
        # Negative on one shelf, positive overall: only the per-sublocation view finds it.
        FinaleStockRec("HDLMP-500", fac_b, quantity_on_hand=Decimal(-6)),
        FinaleStockRec("HDLMP-500", fac_a, quantity_on_hand=Decimal(20)),
        # One negative lot, but the sublocation is positive: not a finding.
        FinaleStockRec("BUGSPR-4OZ", bulk, quantity_on_hand=Decimal(12), lot_id="L-2403"),
        FinaleStockRec("BUGSPR-4OZ", bulk, quantity_on_hand=Decimal(-2), lot_id="L-2407"),
    ]
    planted["negative_stock"] = [
        {"product_id": "FUEL-16OZ", "facility_id": fac_a, "sublocation": "Shelf A", "qty": Decimal(-4)},
        {
            "product_id": "SUNSCR-SPF50",
            "facility_id": bulk,
            "sublocation": "Bulk Storage",
            "qty": Decimal(-3),
        },
        {"product_id": "HDLMP-500", "facility_id": fac_b, "sublocation": "Shelf B", "qty": Decimal(-6)},
    ]

    # Sales orders over the three months before D and the weeks since.
    prices = {p: cents(Decimal(c or "10") * Decimal("2.1")) for p, _, c in _DEMO_PRODUCTS}
    sellable = [p for p in active_ids if p not in {"HAMMOCK-DBL"}]
    first_day = _first_of_month(enable, -3)
    drafts: list[tuple[datetime, str | None, str, bool]] = []  # when, source, status, invoiced
    day = first_day
    while day <= today:
        for source, base, extra in _DEMO_DAILY_ORDERS:
            for _ in range(base + (rng.random() < extra)):
                when = datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)))
                if rng.random() < 0.03:
                    status = CANCELLED
                elif day >= today - timedelta(days=2):
                    status = rng.choice((CREATED, LOCKED))
                else:
                    status = COMPLETED
                # Amazon invoicing was never set up; a few old orders were never invoiced either.
                invoiced = status == COMPLETED and source != "Amazon" and (day >= enable or rng.random() > 0.02)
                drafts.append((when, source, status, invoiced))
        day += timedelta(days=1)
    # Around midnight of D: the order just before does not count, the one just after does.
    drafts.append((datetime.combine(d1, time(23, 40)), "Shopify", COMPLETED, False))
    drafts.append((datetime.combine(enable, time(0, 15)), "Phone", COMPLETED, False))
    drafts.sort(key=lambda d: d[0])
    # A dozen completed orders since D lost their invoices: 7 from Shopify, 5 from Phone (one is above).
    for source, count in (("Shopify", 7), ("Phone", 4)):
        candidates = [
            i for i, d in enumerate(drafts) if d[1] == source and d[2] == COMPLETED and d[3] and d[0].date() >= enable
        ]
        for i in rng.sample(candidates, count):
            drafts[i] = (*drafts[i][:3], False)

    for n, (when, source, status, invoiced) in enumerate(drafts):
        order_id = str(10001 + n)
        lines = [
            FinaleOrderItemRec(p, Decimal(rng.randint(1, 3)), prices[p])
            for p in rng.sample(sellable, 1 if rng.random() < 0.7 else 2)
        ]
        if source == "Wholesale":
            customer = rng.choice(_WHOLESALE_CUSTOMERS)
            lines = [
                FinaleOrderItemRec(ln.product_id, ln.quantity * 6, cents(ln.unit_price * Decimal("0.7")))
                for ln in lines
            ]
        elif source == "Amazon":
            customer = "Amazon Customer"
        else:
            customer = rng.choice(_DEMO_CUSTOMERS)
        order = FinaleOrderRec(order_id, SALES_ORDER, status, when, source, customer, lines, last_updated=when)
        if status == COMPLETED:
            order.shipment_ids.append(str(60001 + n))
            order.last_updated = when + timedelta(hours=rng.randint(2, 30))
        if invoiced:
            invoice = FinaleInvoiceRec(str(30001 + n), order_id, when + timedelta(hours=rng.randint(1, 20)))
            finale.invoices.append(invoice)
            order.invoice_ids.append(invoice.invoice_id)
        if status == LOCKED:
            for ln in lines:
                finale.stock.append(
                    FinaleStockRec(ln.product_id, fac_a, quantity_reserved=ln.quantity, order_id=order_id)
                )
        finale.orders.append(order)

    # Purchase orders: open ones put stock on order, which is not on hand.
    for k, product_id in enumerate(("TENT-4P-GRN", "MEAL-CHILI-2S", "FUEL-16OZ", "PACK-65L-BLK")):
        po_id = str(90001 + k)
        status = COMPLETED if k == 0 else LOCKED
        when = datetime.combine(enable - timedelta(days=40) if k == 0 else today - timedelta(days=3 + k), time(9, 30))
        po_qty = Decimal(rng.randint(12, 48))
        po_cost = Decimal(next(c for p, _, c in _DEMO_PRODUCTS if p == product_id) or "1")
        finale.orders.append(
            FinaleOrderRec(
                po_id,
                PURCHASE_ORDER,
                status,
                when,
                None,
                "Granite Peak Supply",
                [FinaleOrderItemRec(product_id, po_qty, po_cost)],
                last_updated=when,
            )
        )
        if status == LOCKED:
            finale.stock.append(FinaleStockRec(product_id, bulk, quantity_on_order=po_qty, order_id=po_id))

    orders_without: dict[str, list[str]] = {}
    for o in finale.orders:
        if (
            o.order_type == SALES_ORDER
            and o.status == COMPLETED
            and o.order_date.date() >= enable
            and not o.invoice_ids
        ):
            assert o.sale_source is not None
            orders_without.setdefault(o.sale_source, []).append(o.order_id)
    planted["orders_without_invoice"] = orders_without
    planted["sources_without_invoicing"] = ["Amazon"]
    volume, average_volume = _monthly_volume(finale.orders, enable)
    planted["monthly_order_volume"] = volume
    planted["monthly_invoice_volume"] = average_volume

    return finale


# ---------------------------------------------------------------- large companies for benchmarks

_LARGE_NAMES = tuple(
    f"{kind} {color}"
    for kind in (
        "Tent",
        "Sleeping Bag",
        "Pad",
        "Headlamp",
        "Stove",
        "Bottle",
        "Pack",
        "Jacket",
        "Sock",
        "Mug",
    )
    for color in ("Green", "Blue", "Black", "Red", "Grey")
)
_LARGE_SOURCES: tuple[tuple[float, str | None], ...] = (
    (0.60, "Shopify"),
    (0.85, "Amazon"),
    (0.92, "Phone"),
    (0.97, "Wholesale"),
    (1.01, None),
)


def large_company(
    *, items: int = 50_000, products: int = 100_000, sales_orders: int = 200_000, today: date, seed: int = 7
) -> SandboxCompany:
    """A company of the given size with a sprinkling of every problem, for benchmarks.

    `items` QBO items, `products` Finale products and `sales_orders` Finale sales orders, exactly. Objects
    that repeat (dates, datetimes, Decimals, account ids, names) are shared to keep memory down; the planted
    facts use the same keys as the demo's. Sales orders carry no shipment ids.
    """
    if items < 200 or products < 1_000 or sales_orders < 100:
        raise ValueError("a large company needs at least 200 items, 1,000 products and 100 sales orders")
    rng = random.Random(seed)
    rand = rng.random
    enable = demo_enable_date(today)
    d1 = enable - timedelta(days=1)
    close = book_close_date_for(enable)
    qbo = QboCompanyRec(
        realm_id=str(9_130_000_000_000_000 + seed),
        company_name=f"Benchmark Outdoor {seed}",
        legal_name=f"Benchmark Outdoor {seed} Inc.",
        company_start_date=date(today.year - 6, 1, 1),
        book_close_date=close,
    )
    b = _QboBuilder(qbo)
    chart = b.add_chart()
    planted: dict[str, object] = {
        "enable_date": enable,
        "book_close_date": close,
        "accounts": dict(chart.ids),
    }

    product_ids = [f"P{i:06d}" for i in range(products)]
    n_inv = min(items // 10, products // 2)
    costs = [Decimal(c).scaleb(-2) for c in range(125, 25_000, 83)]  # shared purchase costs, 1.25 .. 249.xx
    qtys = [Decimal(q) for q in range(0, 401)]
    long_ago = datetime.combine(today - timedelta(days=900), time(10, 15))
    created_pool = [long_ago + timedelta(days=k, minutes=37 * k) for k in range(0, 700, 7)]
    inv_start = today - timedelta(days=800)
    asset_ids = (chart["inventory_asset"], chart["inventory_asset_2"])
    cogs, income, services_income = chart["cogs"], chart["sales_income"], chart["services_income"]
    shrinkage = chart["shrinkage"]

    # --- Inventory items: index i belongs to product i unless it is unknown to Finale or deleted.
    to_deactivate: list[dict[str, object]] = []
    case_collisions: list[dict[str, object]] = []
    fail_items: list[QboItemRec] = []
    warn_items: list[QboItemRec] = []
    matched_items: list[QboItemRec] = []
    deleted_ids: list[str] = []
    for i in range(n_inv):
        pid = product_ids[i]
        name, sku, matched_on = pid, None, "name"
        role = "matched"
        if i % 250 == 17:
            name, sku, role = f"OLD-{pid}", f"X{i}", "fail"
        elif i % 250 == 113:
            name, sku, role = f"OLD-{pid}", None, "warn"
        elif i % 100 == 42:
            name, sku, role = f"Item {pid} (deleted)", pid, "deleted"
        else:
            variant = i % 20
            if variant in (14, 15, 16):
                name, sku, matched_on = f"Item {pid}", pid, "sku"
            elif variant == 17:
                name = pid.lower()
            elif variant == 18:
                name, sku, matched_on = f"Item {pid}", " " + pid.lower(), "sku"
            elif variant == 19:
                name = pid + " "
        cost = costs[i % len(costs)]
        created_at = created_pool[i % len(created_pool)]
        item = b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=name,
                type="Inventory",
                active=role != "deleted",
                sku=sku,
                qty_on_hand=qtys[0] if role == "deleted" else qtys[int(rand() * 60) + 1 if i % 37 else 0],
                purchase_cost=cost,
                unit_price=cost,
                asset_account_id=asset_ids[i % 2],
                expense_account_id=cogs,
                income_account_id=income,
                inv_start_date=inv_start,
                create_time=created_at,
                update_time=created_at,
            )
        )
        if role == "matched":
            matched_items.append(item)
            to_deactivate.append(_deactivation_row(item, pid, matched_on, shrinkage))
            compared = name if matched_on == "name" else sku
            if compared != pid:
                case_collisions.append(
                    {
                        "qbo_item_id": item.id,
                        "qbo_name": name,
                        "qbo_type": "Inventory",
                        "field": matched_on,
                        "finale_product_id": pid,
                    }
                )
        elif role == "fail":
            fail_items.append(item)
        elif role == "warn":
            warn_items.append(item)
        else:
            deleted_ids.append(item.id)

    # --- Other items: a burst by another app, duplicate pairs, type collisions, then plain services.
    n_burst = max(25, items // 2_000)
    n_dup = max(1, items // 2_500)
    n_collide = max(1, items // 2_500)
    burst_start = datetime.combine(today - timedelta(days=10), time(14, 2, 11))
    burst_ids: list[str] = []
    for k in range(n_burst):
        when = burst_start + timedelta(seconds=k * 240 // n_burst)  # all within four minutes
        item = b.add_item(
            QboItemRec(
                b.new_id(),
                f"SHOPIFY-{k:05d}",
                "NonInventory",
                income_account_id=income,
                create_time=when,
                update_time=when,
            )
        )
        burst_ids.append(item.id)
    duplicates: list[dict[str, object]] = []
    for k in range(n_dup):
        names = [f"Svc Fee {k}", f" svc  fee {k}"]
        ids = []
        for name in names:
            created_at = created_pool[k % len(created_pool)]
            item = b.add_item(
                QboItemRec(
                    b.new_id(),
                    name,
                    "Service",
                    income_account_id=services_income,
                    create_time=created_at,
                    update_time=created_at,
                )
            )
            ids.append(item.id)
        duplicates.append({"ids": ids, "names": names})
    collisions: list[dict[str, object]] = []
    for k in range(n_collide):
        index = n_inv + 1 + 7 * k
        pid = product_ids[index + 1 if index % 50 == 49 else index]  # an active product
        created_at = created_pool[k % len(created_pool)]
        item = b.add_item(
            QboItemRec(
                b.new_id(),
                pid,
                "NonInventory",
                income_account_id=income,
                create_time=created_at,
                update_time=created_at,
            )
        )
        collisions.append(
            {"qbo_item_id": item.id, "qbo_name": pid, "qbo_type": "NonInventory", "finale_product_id": pid}
        )
    service_ids: list[str] = []
    for k in range(items - len(qbo.items)):
        created_at = created_pool[k % len(created_pool)]
        item_type = "Service" if k % 3 else "NonInventory"
        item = b.add_item(
            QboItemRec(
                b.new_id(),
                f"S{k}",
                item_type,
                unit_price=costs[k % len(costs)],
                income_account_id=services_income,
                expense_account_id=chart["supplies_expense"],
                create_time=created_at,
                update_time=created_at,
            )
        )
        service_ids.append(item.id)
    planted.update(
        other_app_burst_count=n_burst,
        other_app_burst_item_ids=burst_ids,
        other_app_burst_window=(burst_start, b.items_by_id[burst_ids[-1]].create_time),
        duplicate_names=duplicates,
        type_collisions=collisions,
        case_collisions=case_collisions,
    )

    # --- Transactions: restocks and wholesale invoices before D, the unknown items still in use after D.
    b.post(
        qbo.company_start_date,
        "Opening balance",
        [(chart["checking"], Decimal("250000.00")), (chart["opening_balance_equity"], Decimal("-250000.00"))],
    )
    one, two = qtys[1], qtys[2]
    for start in range(0, len(matched_items), 25):
        group = matched_items[start : start + 25]
        billed = enable - timedelta(days=20 + start % 90)
        b.txn("Bill", billed, f"B-{start}", [(it.id, min(qtys[10], it.qty_on_hand or one)) for it in group])
        b.txn("Invoice", billed + timedelta(days=3), f"I-{start}", [(it.id, two) for it in group])
    for k, item in enumerate(warn_items):
        if k % 2 == 0:
            b.txn("Bill", enable - timedelta(days=120), f"BW-{k}", [(item.id, one)])
    for k, item in enumerate(fail_items):
        b.txn("PurchaseOrder", enable + timedelta(days=2), f"PO-F{k}", [(item.id, qtys[5])])
        b.txn("Invoice", enable + timedelta(days=5), f"I-F{k}", [(item.id, one)])
    for k in range(min(50, len(service_ids))):
        b.txn("SalesReceipt", enable + timedelta(days=k % 10), f"SR-{k}", [(service_ids[k], one)])
    b.post_inventory_openings(aggregate=True)
    qbo.ledger.sort(key=lambda p: p.txn_date)

    planted["items_to_deactivate"] = to_deactivate
    planted["total_to_expense"] = sum((_item_value(i) for i in matched_items), ZERO)
    fail_rows = []
    for item in fail_items:
        row = _not_in_finale_row(item)
        row["transactions"] = _txn_refs(qbo, item.id, enable)
        fail_rows.append(row)
    planted["inventory_items_not_in_finale_fail"] = fail_rows
    planted["inventory_items_not_in_finale_warn"] = [_not_in_finale_row(i) for i in warn_items]
    planted["ignored_inactive_items"] = deleted_ids

    # --- Finale products: every 500th lacks an average cost as of D; some past the QBO range are inactive.
    finale = FinaleAccountRec(f"bench{seed}", f"bench-key-{seed}", f"bench-secret-{seed}", facilities=list(_FACILITIES))
    made = datetime.combine(today - timedelta(days=1000), time(9, 0))
    since_old = (made + timedelta(days=2)).date()
    since_late = enable + timedelta(days=9)
    without_cost: list[dict[str, object]] = []
    active_ids: list[str] = []
    for i, pid in enumerate(product_ids):
        active = not (i >= n_inv and i % 50 == 49)
        average: Decimal | None = costs[i % len(costs)]
        since: date | None = since_old
        if active and i % 500 == 250:
            reason = ("none", "zero", "after_enable_date")[(i // 500) % 3]
            if reason == "none":
                average, since = None, None
            elif reason == "zero":
                average = ZERO
            else:
                since = since_late
            without_cost.append(
                {"product_id": pid, "average_cost": average, "average_cost_since": since, "reason": reason}
            )
        finale.products.append(
            FinaleProductRec(pid, _LARGE_NAMES[i % len(_LARGE_NAMES)], active, average, since, None, made, made)
        )
        if active:
            active_ids.append(pid)
    planted["products_without_average_cost"] = without_cost

    # --- Stock: on-hand rows (some by lot), with negatives every 1,000 products.
    fac = [f.facility_id for f in _FACILITIES]
    fac_names = {f.facility_id: f.name for f in _FACILITIES}
    stock = finale.stock
    lot_a, lot_b = "L-A", "L-B"
    negatives: list[dict[str, object]] = []
    n_po = max(1, products // 1_000)
    po_lines: list[list[FinaleOrderItemRec]] = [[] for _ in range(n_po)]
    for i, pid in enumerate(product_ids):
        home = fac[i % 3]
        problem = i % 1_000
        if problem == 500:
            stock.append(FinaleStockRec(pid, home, qtys[4] * -1))
            negatives.append(
                {"product_id": pid, "facility_id": home, "sublocation": fac_names[home], "qty": Decimal(-4)}
            )
            continue
        if problem == 600:
            stock.append(FinaleStockRec(pid, fac[2], qtys[10], lot_id=lot_a))
            stock.append(FinaleStockRec(pid, fac[2], -qtys[13], lot_id=lot_b))
            negatives.append(
                {
                    "product_id": pid,
                    "facility_id": fac[2],
                    "sublocation": fac_names[fac[2]],
                    "qty": Decimal(-3),
                }
            )
            continue
        if problem == 700:
            stock.append(FinaleStockRec(pid, fac[1], -qtys[6]))
            stock.append(FinaleStockRec(pid, fac[0], qtys[20]))
            negatives.append(
                {
                    "product_id": pid,
                    "facility_id": fac[1],
                    "sublocation": fac_names[fac[1]],
                    "qty": Decimal(-6),
                }
            )
            continue
        if i % 40 == 7:  # one lot below zero, the sublocation above: not a finding
            stock.append(FinaleStockRec(pid, home, qtys[12], lot_id=lot_a))
            stock.append(FinaleStockRec(pid, home, -qtys[2], lot_id=lot_b))
        elif i % 20 == 3:
            stock.append(FinaleStockRec(pid, home, qtys[int(rand() * 200) + 1], lot_id=lot_a))
            stock.append(FinaleStockRec(pid, home, qtys[int(rand() * 200) + 1], lot_id=lot_b))
        else:
            stock.append(FinaleStockRec(pid, home, qtys[int(rand() * 200) + 1]))
        if i % 5 == 0:
            stock.append(FinaleStockRec(pid, fac[(i + 1) % 3], qtys[int(rand() * 60) + 1]))
        if i % 10 == 4:
            po = i // 10 % n_po
            stock.append(FinaleStockRec(pid, fac[2], quantity_on_order=qtys[24], order_id=str(9_000_001 + po)))
            po_lines[po].append(FinaleOrderItemRec(pid, qtys[24], costs[i % len(costs)]))
    planted["negative_stock"] = negatives

    # --- Sales orders spread evenly from three months before D to today.
    first_day = _first_of_month(enable, -3)
    span = (today - first_day).days + 1
    slots = [[datetime.combine(first_day + timedelta(days=d), time(8 + h)) for h in range(12)] for d in range(span)]
    open_from = (today - timedelta(days=2) - first_day).days
    enable_index = (enable - first_day).days
    sellable = active_ids
    n_sellable = len(sellable)
    prices = [cents(c * 2) for c in costs]
    orders = finale.orders
    invoices = finale.invoices
    orders_without: dict[str, list[str]] = {}
    for n in range(sales_orders):
        d = n * span // sales_orders
        when = slots[d][n % 12]
        r = rand()
        source = next(s for limit, s in _LARGE_SOURCES if r < limit)
        r = rand()
        if r < 0.02:
            status = CANCELLED
        elif d >= open_from:
            status = LOCKED if n % 2 else CREATED
        else:
            status = COMPLETED
        order_id = str(1_000_001 + n)
        p = int(rand() * n_sellable)
        line = FinaleOrderItemRec(sellable[p], qtys[1 + n % 3], prices[p % len(prices)])
        order = FinaleOrderRec(order_id, SALES_ORDER, status, when, source, None, [line], [], [], when)
        orders.append(order)
        if status == LOCKED:
            stock.append(FinaleStockRec(line.product_id, fac[0], quantity_reserved=line.quantity, order_id=order_id))
        if status != COMPLETED or source == "Amazon":
            if status == COMPLETED and d >= enable_index:
                orders_without.setdefault("Amazon", []).append(order_id)
            continue
        if d >= enable_index:
            missing = source in ("Shopify", "Phone") and r > 0.997
            if missing:
                assert source is not None
                orders_without.setdefault(source, []).append(order_id)
                continue
        elif r > 0.99:
            continue  # never invoiced, but before D: not a finding
        invoice_id = str(5_000_001 + n)
        invoices.append(FinaleInvoiceRec(invoice_id, order_id, when))
        order.invoice_ids.append(invoice_id)
    for po, lines in enumerate(po_lines):
        if lines:
            when = slots[max(0, open_from - 5)][0]
            orders.append(
                FinaleOrderRec(
                    str(9_000_001 + po),
                    PURCHASE_ORDER,
                    LOCKED,
                    when,
                    None,
                    "Bench Supplier",
                    lines,
                    last_updated=when,
                )
            )
    planted["orders_without_invoice"] = orders_without
    planted["sources_without_invoicing"] = ["Amazon"] if "Amazon" in orders_without else []
    volume, average_volume = _monthly_volume(orders, enable)
    planted["monthly_order_volume"] = volume
    planted["monthly_invoice_volume"] = average_volume

    by_account = b.inventory_balance(d1)
    qbo_d1 = sum(by_account.values(), ZERO)
    difference = -_rand_cents(rng, 2_000, 20_000)
    finale_d1 = qbo_d1 + difference
    finale.inventory_value_history = _value_history(rng, enable, today, finale_d1)
    planted.update(
        qbo_inventory_balance_d1=qbo_d1,
        qbo_inventory_balance_d1_by_account=by_account,
        qbo_inventory_value_today=sum((_item_value(i) for i in qbo.items if i.type == "Inventory"), ZERO),
        finale_inventory_value_d1=finale_d1,
        opening_balance_difference=difference,
    )
    _add_counts(planted)
    return SandboxCompany(qbo, finale, planted)
