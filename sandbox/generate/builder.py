"""The QBO building blocks: a chart of accounts, items and transactions posted to the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sandbox.company import Posting, QboAccountRec, QboCompanyRec, QboItemRec, QboJournalEntryRec, QboTxnLine, QboTxnRec
from sandbox.generate.common import ZERO, cents


@dataclass
class Chart:
    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, role: str) -> str:
        return self.ids[role]


# role, name, AccountType, AccountSubType, Classification
CHART: tuple[tuple[str, str, str, str, str], ...] = (
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


class QboBuilder:
    """Adds accounts, items and transactions to a QBO company, posting each transaction to the ledger.

    Inventory items are created with their quantity today; transactions record how that quantity moved, and
    `post_inventory_openings` then books the starting value that makes the two agree, so the Inventory
    accounts' balance today equals the sum of qty x purchase cost (what InventoryValuationSummary shows).
    """

    def __init__(self, qbo: QboCompanyRec, *, first_id: int = 1) -> None:
        self.qbo = qbo
        self._next = first_id
        self.chart = Chart()
        self.items_by_id: dict[str, QboItemRec] = {}
        self.qty_moved: dict[str, Decimal] = {}  # item id -> bought minus sold, over all transactions

    def new_id(self) -> str:
        value = str(self._next)
        self._next += 1
        return value

    def add_chart(self) -> Chart:
        for role, name, account_type, sub_type, classification in CHART:
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
