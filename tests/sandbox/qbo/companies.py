"""Small QBO companies for the simulator and client tests, and helpers to serve them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.company import (
    Posting,
    QboAccountRec,
    QboCompanyRec,
    QboItemRec,
    QboTxnLine,
    QboTxnRec,
)
from sandbox.qbo import DISCOVERY_PATH, QboSandboxState, make_qbo_app
from sandbox.server import BackgroundServer

SHARED = Path(__file__).parents[3] / ".." / "shared"
SPECS = SHARED / "specs" / "qbo"
REALM = "9130350000000001"
UNICODE_NAME = "O'Brien's \"Best\" Café ☕"


def spec(name: str) -> Any:
    path = SPECS / name
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared specs live next to the repository)")
    return json.loads(path.read_text(encoding="utf-8"))


def accounts() -> list[QboAccountRec]:
    return [
        QboAccountRec("35", "Checking", "Bank", "Checking", "Asset"),
        QboAccountRec("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset"),
        QboAccountRec("81", "Inventory Asset", "Other Current Asset", "Inventory", "Asset"),
        QboAccountRec("82", "Inventory Asset - Retail", "Other Current Asset", "Inventory", "Asset"),
        QboAccountRec("83", "Old Inventory", "Other Current Asset", "Inventory", "Asset", active=False),
        QboAccountRec("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability"),
        QboAccountRec("34", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", "Equity"),
        QboAccountRec("2", "Retained Earnings", "Equity", "RetainedEarnings", "Equity"),
        QboAccountRec("79", "Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue"),
        QboAccountRec("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"),
        QboAccountRec("91", "Inventory Shrinkage", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense"),
    ]


def inventory(
    item_id: str, name: str, qty: str, cost: str, *, sku: str | None = None, active: bool = True
) -> QboItemRec:
    return QboItemRec(
        id=item_id,
        name=name,
        type="Inventory",
        active=active,
        sku=sku,
        qty_on_hand=Decimal(qty),
        purchase_cost=Decimal(cost),
        unit_price=Decimal("15"),
        asset_account_id="81",
        expense_account_id="80",
        income_account_id="79",
        inv_start_date=date(2024, 1, 1),
        description=f"{name} (stock)",
        create_time=datetime(2024, 1, 2, 10, 46, 45),
        update_time=datetime(2024, 1, 31, 13, 16, 17),
        sync_token=3,
    )


def small_company(realm_id: str = REALM) -> QboCompanyRec:
    """Pump 25 x 10.00, Rock Fountain 2 x 125.00, Sprinkler Heads 25 x 0.75: 518.75 of inventory."""
    items = [
        inventory("11", "Pump", "25", "10", sku="2890"),
        inventory("5", "Rock Fountain", "2", "125", sku="2345"),
        inventory("16", "Sprinkler Heads", "25", "0.75", sku="3456"),
        inventory("17", "Old Widget", "0", "4.5", active=False),
        QboItemRec("4", "Design", "Service", unit_price=Decimal("75"), income_account_id="79"),
        QboItemRec("21", UNICODE_NAME, "NonInventory", sku="OB-1", income_account_id="79"),
    ]
    opening = date(2024, 1, 1)
    ledger = [
        Posting(opening, "81", Decimal("518.75"), "Opening inventory"),
        Posting(opening, "34", Decimal("-518.75"), "Opening inventory"),
        Posting(date(2024, 2, 1), "35", Decimal("1000"), "Owner investment"),
        Posting(date(2024, 2, 1), "34", Decimal("-1000"), "Owner investment"),
    ]
    transactions = [
        QboTxnRec("Bill", "201", date(2024, 5, 1), "B-1", [QboTxnLine("5", Decimal("1"), Decimal("125"))]),
        QboTxnRec(
            "Invoice",
            "202",
            date(2024, 6, 1),
            "1001",
            [QboTxnLine("11", Decimal("2"), Decimal("30")), QboTxnLine("11", Decimal("1"), Decimal("15"))],
        ),
        QboTxnRec("SalesReceipt", "203", date(2023, 12, 1), "SR-9", [QboTxnLine("16", Decimal("4"), Decimal("8"))]),
        QboTxnRec(
            "PurchaseOrder",
            "204",
            date(2024, 7, 1),
            "PO-7",
            [QboTxnLine("11", Decimal("10"), Decimal("100")), QboTxnLine("16", Decimal("5"), Decimal("3.75"))],
        ),
        QboTxnRec(
            "InventoryAdjustment",
            "205",
            date(2024, 8, 1),
            "ADJ-1",
            [QboTxnLine("16", Decimal("-1"), Decimal("-0.75"))],
            adjust_account_id="91",
            private_note="Damaged",
        ),
    ]
    return QboCompanyRec(
        realm_id=realm_id,
        company_name="Sandbox Garden Supply",
        legal_name="Sandbox Garden Supply LLC",
        book_close_date=date(2023, 12, 31),
        accounts=accounts(),
        items=items,
        ledger=ledger,
        transactions=transactions,
        shrinkage_account_id="91",
    )


def bulk_company(count: int, realm_id: str = REALM) -> QboCompanyRec:
    """`count` inventory items (every 7th inactive), listed in the model out of Id order."""
    company = small_company(realm_id)
    company.items = [
        inventory(str(1000 + n), f"Bulk item {n:05d}", str(n % 13), "2.5", sku=f"SKU-{n}", active=n % 7 != 0)
        for n in range(count)
    ]
    company.items.reverse()
    return company


@dataclass
class Sandbox:
    state: QboSandboxState
    server: BackgroundServer
    realm_id: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def discovery_url(self) -> str:
        return self.server.url + DISCOVERY_PATH

    @property
    def company(self) -> QboCompanyRec:
        return self.state.companies[self.realm_id]

    def v3(self, path: str) -> str:
        return f"{self.server.url}/v3/company/{self.realm_id}/{path}"

    def bearer(self) -> dict[str, str]:
        token = self.state.issue_tokens(self.realm_id)["access_token"]
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(self.v3(path), params={"minorversion": "75", **params}, headers=self.bearer(), timeout=10)

    def post(self, path: str, body: Any, *, content_type: str = "application/json") -> requests.Response:
        data = body if isinstance(body, str) else json.dumps(body)
        headers = {**self.bearer(), "Content-Type": content_type}
        return requests.post(self.v3(path), params={"minorversion": "75"}, data=data, headers=headers, timeout=10)

    def query(self, statement: str) -> requests.Response:
        return self.post("query", statement, content_type="application/text")


@contextmanager
def serve(*companies: QboCompanyRec, **state_options: Any) -> Iterator[Sandbox]:
    chosen = list(companies) or [small_company()]
    state = QboSandboxState(chosen, **state_options)
    with BackgroundServer(make_qbo_app(state)) as server:
        yield Sandbox(state, server, chosen[0].realm_id)


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys, nesting and scalar types, not the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "str"
