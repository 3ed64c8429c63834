"""BalanceSheet and InventoryValuationSummary, computed from the company model in QBO's report shapes.

The balance sheet sums ledger postings up to `end_date` (specs/qbo/report-balancesheet.json); the valuation
summary takes each Inventory item's quantity on the report date (active items, and inactive ones that still
had stock then), valued at its average cost
(specs/qbo/report-inventoryvaluationsummary.json).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.company import QboAccountRec, QboCompanyRec, QboItemRec
from sandbox.qbo import render
from sandbox.qbo.render import JSON, money

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class ReportParamError(ValueError):
    def __init__(self, name: str, value: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.value = value
        self.detail = detail


def parse_date(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    if not _DATE.match(value):
        raise ReportParamError(name, value, f"Invalid date : {name} [{value}]. Dates must be yyyy-MM-dd")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ReportParamError(name, value, f"Invalid date : {name} [{value}]") from exc


def fiscal_year_start(company: QboCompanyRec, on: date) -> date:
    month = MONTHS.index(company.fiscal_year_start_month) + 1 if company.fiscal_year_start_month in MONTHS else 1
    start = date(on.year, month, 1)
    return start if start <= on else date(on.year - 1, month, 1)


# (AccountType -> (group, title, parent)), in the order QBO lists them.
_ASSET_GROUPS = [
    ("Bank", "BankAccounts", "Bank Accounts", "CurrentAssets"),
    ("Accounts Receivable", "AR", "Accounts Receivable", "CurrentAssets"),
    ("Other Current Asset", "OtherCurrentAssets", "Other Current Assets", "CurrentAssets"),
    ("Fixed Asset", "FixedAssets", "Fixed Assets", None),
    ("Other Asset", "OtherAssets", "Other Assets", None),
]
_LIABILITY_GROUPS = [
    ("Accounts Payable", "AP", "Accounts Payable", "CurrentLiabilities"),
    ("Credit Card", "CreditCards", "Credit Cards", "CurrentLiabilities"),
    ("Other Current Liability", "OtherCurrentLiabilities", "Other Current Liabilities", "CurrentLiabilities"),
    ("Long Term Liability", "LongTermLiabilities", "Long-Term Liabilities", None),
]


def _row(account: QboAccountRec, amount: Decimal) -> JSON:
    return {"ColData": [{"value": account.name, "id": account.id}, {"value": money(amount)}], "type": "Data"}


def _section(title: str, group: str | None, rows: list[JSON], total: Decimal, total_label: str | None = None) -> JSON:
    section: JSON = {
        "Header": {"ColData": [{"value": title}, {"value": ""}]},
        "Rows": {"Row": rows},
        "Summary": {"ColData": [{"value": total_label or f"Total {title}"}, {"value": money(total)}]},
        "type": "Section",
    }
    if group is not None:
        section["group"] = group
    return section


def _grouped(
    accounts: list[tuple[QboAccountRec, Decimal]],
    groups: list[tuple[str, str, str, str | None]],
    fallback_type: str,
) -> dict[str, tuple[list[JSON], Decimal]]:
    known = {g[0] for g in groups}
    out: dict[str, tuple[list[JSON], Decimal]] = {}
    for account_type, group, _title, _parent in groups:
        members = [
            (a, amt)
            for a, amt in accounts
            if a.account_type == account_type or (account_type == fallback_type and a.account_type not in known)
        ]
        if members:
            members.sort(key=lambda m: m[0].name.lower())
            out[group] = ([_row(a, amt) for a, amt in members], sum((amt for _, amt in members), Decimal(0)))
    return out


def _assemble(
    groups: list[tuple[str, str, str, str | None]],
    built: dict[str, tuple[list[JSON], Decimal]],
    current: tuple[str, str],
) -> tuple[list[JSON], Decimal]:
    """Nest the groups: current ones inside a Current Assets/Liabilities section, the rest beside it."""
    current_group, current_title = current
    inner: list[JSON] = []
    inner_total = Decimal(0)
    outer: list[JSON] = []
    total = Decimal(0)
    for _type, group, title, parent in groups:
        if group not in built:
            continue
        rows, amount = built[group]
        section = _section(title, group, rows, amount)
        if parent is not None:
            inner.append(section)
            inner_total += amount
        else:
            outer.append(section)
        total += amount
    if inner:
        outer.insert(0, _section(current_title, current_group, inner, inner_total))
    return outer, total


def balance_sheet(company: QboCompanyRec, *, start: date | None, end: date, basis: str | None) -> JSON:
    sums = render.balances(company, end)
    fy_start = fiscal_year_start(company, end)
    profit_before_year = Decimal(0)
    profit_this_year = Decimal(0)
    by_id = {a.id: a for a in company.accounts}
    for p in company.ledger:
        account = by_id.get(p.account_id)
        if account is None or account.classification not in ("Revenue", "Expense") or p.txn_date > end:
            continue
        if p.txn_date < fy_start:
            profit_before_year -= p.amount
        else:
            profit_this_year -= p.amount

    def shown(classification: str) -> list[tuple[QboAccountRec, Decimal]]:
        out = []
        for a in company.accounts:
            if a.classification != classification:
                continue
            amount = render.display_balance(a, sums.get(a.id, Decimal(0)))
            if a.active or amount != 0:
                out.append((a, amount))
        return out

    assets, asset_total = _assemble(
        _ASSET_GROUPS,
        _grouped(shown("Asset"), _ASSET_GROUPS, "Other Current Asset"),
        ("CurrentAssets", "Current Assets"),
    )
    liabilities, liability_total = _assemble(
        _LIABILITY_GROUPS,
        _grouped(shown("Liability"), _LIABILITY_GROUPS, "Other Current Liability"),
        ("CurrentLiabilities", "Current Liabilities"),
    )
    # Earlier years' profit sits in Retained Earnings; this fiscal year's is the Net Income line.
    equity_rows: list[JSON] = []
    equity_total = Decimal(0)
    retained_done = False
    for account, amount in sorted(shown("Equity"), key=lambda m: m[0].name.lower()):
        if account.account_sub_type == "RetainedEarnings" and not retained_done:
            amount += profit_before_year
            retained_done = True
        equity_rows.append(_row(account, amount))
        equity_total += amount
    if not retained_done and profit_before_year != 0:
        equity_rows.append(
            {
                "ColData": [{"value": "Retained Earnings"}, {"value": money(profit_before_year)}],
                "type": "Data",
            }
        )
        equity_total += profit_before_year
    equity_rows.append(
        {
            "ColData": [{"value": "Net Income"}, {"value": money(profit_this_year)}],
            "type": "Data",
            "group": "NetIncome",
        }
    )
    equity_total += profit_this_year

    liabilities_and_equity: list[JSON] = []
    if liabilities:
        liabilities_and_equity.append(_section("Liabilities", "Liabilities", liabilities, liability_total))
    liabilities_and_equity.append(_section("Equity", "Equity", equity_rows, equity_total))
    rows = [
        _section("ASSETS", "TotalAssets", assets, asset_total, "TOTAL ASSETS"),
        _section(
            "LIABILITIES AND EQUITY",
            "TotalLiabilitiesAndEquity",
            liabilities_and_equity,
            liability_total + equity_total,
            "TOTAL LIABILITIES AND EQUITY",
        ),
    ]
    header: JSON = {
        "Time": render.timestamp(company, company.now()),
        "ReportName": "BalanceSheet",
        "ReportBasis": basis or company.report_basis,
        "StartPeriod": (start or fy_start).isoformat(),
        "EndPeriod": end.isoformat(),
        "SummarizeColumnsBy": "Total",
        "Currency": company.home_currency,
        "Option": [
            {"Name": "AccountingStandard", "Value": "GAAP"},
            {"Name": "NoReportData", "Value": "false" if sums or company.accounts else "true"},
        ],
    }
    if start is None and end == render.today(company):
        header = {**header, "DateMacro": "this fiscal year-to-date"}
    return {
        "Header": header,
        "Columns": {
            "Column": [
                {"ColTitle": "", "ColType": "Account", "MetaData": [{"Name": "ColKey", "Value": "account"}]},
                {"ColTitle": "Total", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]},
            ]
        },
        "Rows": {"Row": rows},
    }


# Quantity each transaction kind moves (PurchaseOrders move nothing).
_QTY_SIGN = {"Bill": 1, "Invoice": -1, "SalesReceipt": -1, "InventoryAdjustment": 1}


def inventory_valuation_summary(company: QboCompanyRec, report_date: date, *, explicit: bool) -> JSON:
    # Quantities are known now; back out what moved after the report date.
    moved_after: dict[str, Decimal] = {}
    for txn in company.transactions:
        sign = _QTY_SIGN.get(txn.entity)
        if sign is None or txn.txn_date <= report_date:
            continue
        for line in txn.lines:
            moved_after[line.item_id] = moved_after.get(line.item_id, Decimal(0)) + sign * line.qty
    rows: list[JSON] = []
    total = Decimal(0)

    # An item made inactive since the report date still had its stock on that date: it is listed while its
    # quantity then was not zero (deactivation wrote the stock off with an adjustment dated that day).
    def qty_on(item: QboItemRec) -> Decimal:
        return (item.qty_on_hand or Decimal(0)) - moved_after.get(item.id, Decimal(0))

    items = [i for i in company.items if i.type == "Inventory" and (i.active or qty_on(i) != 0)]
    items.sort(key=lambda i: (i.name.lower(), i.id))
    for item in items:
        if item.inv_start_date is not None and item.inv_start_date > report_date:
            continue
        qty = qty_on(item)
        value = (qty * item.purchase_cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        total += value
        rows.append(
            {
                "ColData": [
                    {"id": item.id, "value": item.name},
                    {"value": item.sku or ""},
                    {"value": f"{qty:.2f}"},
                    {"value": money(value)},
                    {"value": money(item.purchase_cost)},
                ]
            }
        )
    rows.append(
        {
            "ColData": [
                {"value": "TOTAL"},
                {"value": " "},
                {"value": ""},
                {"value": money(total)},
                {"value": ""},
            ],
            "group": "GrandTotal",
        }
    )
    header: dict[str, Any] = {
        "ReportName": "InventoryValuationSummary",
        "Option": [
            {"Name": "report_date", "Value": report_date.isoformat()},
            {"Name": "NoReportData", "Value": "false" if items else "true"},
        ],
    }
    if not explicit or report_date == render.today(company):
        header["DateMacro"] = "today"
    header.update(
        {
            "StartPeriod": report_date.isoformat(),
            "Currency": company.home_currency,
            "EndPeriod": report_date.isoformat(),
            "Time": render.timestamp(company, company.now()),
        }
    )
    return {
        "Header": header,
        "Rows": {"Row": rows},
        "Columns": {
            "Column": [
                {"ColType": "ProductsAndService", "ColTitle": ""},
                {"ColType": "Money", "ColTitle": "SKU"},
                {"ColType": "Money", "ColTitle": "Qty"},
                {"ColType": "Money", "ColTitle": "Asset Value"},
                {"ColType": "Money", "ColTitle": "Avg Cost"},
            ]
        },
    }
