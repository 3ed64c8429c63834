"""QBO's JSON shapes for the sandbox's company model (research/qbo.md and specs/qbo/ are the reference).

Only properties with values are rendered, amounts are JSON numbers, SyncToken is a string and times carry
the company's local offset, as QBO does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.company import (
    Posting,
    QboAccountRec,
    QboCompanyRec,
    QboItemRec,
    QboJournalEntryRec,
    QboTxnRec,
)

JSON = dict[str, Any]
CENT = Decimal("0.01")
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
    "AUD": "Australian Dollar",
}
# QBO renames a name-list entity that is made inactive; the sandbox renders the suffix the same way.
DELETED_SUFFIX = " (deleted)"


# ------------------------------------------------------------------ scalars


def num(value: Decimal) -> int | float:
    """A Decimal as a JSON number. Python writes floats in their shortest round-trip form, so 12.345 is sent
    as `12.345` and a client parsing with Decimal gets the exact value back."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def money(value: Decimal) -> str:
    """Report amounts: strings with two decimals."""
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return "0.00" if q == 0 else f"{q:.2f}"


def local_time(company: QboCompanyRec, moment: datetime) -> datetime:
    """Naive datetimes in the model are the company's local time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=company.tz)
    return moment.astimezone(company.tz)


def timestamp(company: QboCompanyRec, moment: datetime) -> str:
    """`2015-04-22T11:03:23-07:00`, QBO's MetaData format."""
    return local_time(company, moment).replace(microsecond=0).isoformat()


def response_time(company: QboCompanyRec | None) -> str:
    """The envelope's `time`, with milliseconds: `2015-04-22T11:04:34.194-07:00`."""
    now = company.now() if company is not None else datetime.now().astimezone()
    return now.isoformat(timespec="milliseconds")


def today(company: QboCompanyRec) -> date:
    return company.now().date()


def meta(company: QboCompanyRec, created: datetime, updated: datetime) -> JSON:
    return {"CreateTime": timestamp(company, created), "LastUpdatedTime": timestamp(company, updated)}


def txn_moment(txn_date: date) -> datetime:
    """Transactions in the model have no timestamps; QBO's would be near their date."""
    return datetime(txn_date.year, txn_date.month, txn_date.day, 12, 0)


# ------------------------------------------------------------------ envelopes and faults


def updated_moment(record: QboTxnRec | QboJournalEntryRec) -> datetime:
    """A transaction's MetaData.LastUpdatedTime: when it was last written, else noon on its date."""
    return record.update_time if record.update_time is not None else txn_moment(record.txn_date)


def envelope(company: QboCompanyRec | None, **body: Any) -> JSON:
    return {**body, "time": response_time(company)}


def fault(
    company: QboCompanyRec | None,
    message: str,
    detail: str,
    code: str,
    *,
    element: str | None = "",
    fault_type: str = "ValidationFault",
) -> JSON:
    error: JSON = {"Message": message, "Detail": detail, "code": code}
    if element is not None:
        error["element"] = element
    return envelope(company, Fault={"Error": [error], "type": fault_type})


def lowercase_fault(message: str, detail: str, code: str, fault_type: str) -> JSON:
    """The envelope QBO uses for 401, 403 and 429 (not the capital-F Fault)."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [{"message": message, "detail": detail, "code": code, "element": None}],
            "type": fault_type,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(time.time() * 1000),
        "status": None,
        "cdcresponse": [],
    }


# ------------------------------------------------------------------ entities


class AccountNames:
    """Account names by id for one response (the company's list is scanned once, not per item)."""

    def __init__(self, company: QboCompanyRec) -> None:
        self.names = {a.id: a.name for a in company.accounts}

    def ref(self, account_id: str | None) -> JSON | None:
        if account_id is None:
            return None
        name = self.names.get(account_id)
        return {"value": account_id, "name": name} if name is not None else {"value": account_id}


def item_name(item: QboItemRec) -> str:
    if item.active or item.name.endswith(DELETED_SUFFIX):
        return item.name
    return item.name + DELETED_SUFFIX


def _drop_none(d: JSON) -> JSON:
    return {k: v for k, v in d.items() if v is not None}


def item_json(company: QboCompanyRec, item: QboItemRec, names: AccountNames, *, with_sku: bool = True) -> JSON:
    """Key order and keys follow specs/qbo/item-inventory.json."""
    inventory = item.type == "Inventory"
    name = item_name(item)
    body: JSON = {
        "Name": name,
        "Sku": item.sku if with_sku and item.sku else None,
        "Description": item.description or None,
        "Active": item.active,
        "FullyQualifiedName": name,
        "Taxable": item.type in ("Inventory", "NonInventory"),
        "UnitPrice": num(item.unit_price) if item.type not in ("Category", "Group") else None,
        "Type": item.type,
        "IncomeAccountRef": names.ref(item.income_account_id),
        "PurchaseCost": num(item.purchase_cost) if item.type not in ("Category", "Group") else None,
        "ExpenseAccountRef": names.ref(item.expense_account_id),
        "AssetAccountRef": names.ref(item.asset_account_id) if inventory else None,
        "TrackQtyOnHand": inventory if item.type not in ("Category", "Group") else None,
        "QtyOnHand": num(item.qty_on_hand if item.qty_on_hand is not None else Decimal(0)) if inventory else None,
        "InvStartDate": item.inv_start_date.isoformat() if inventory and item.inv_start_date else None,
        "domain": "QBO",
        "sparse": False,
        "Id": item.id,
        "SyncToken": str(item.sync_token),
        "MetaData": meta(company, item.create_time, item.update_time),
    }
    return _drop_none(body)


def balances(company: QboCompanyRec, on: date | None = None) -> dict[str, Decimal]:
    """Every account's ledger sum (debits positive) up to `on`, in one pass over the ledger."""
    totals: dict[str, Decimal] = {}
    for p in company.ledger:
        if on is None or p.txn_date <= on:
            totals[p.account_id] = totals.get(p.account_id, Decimal(0)) + p.amount
    return totals


CREDIT_NORMAL = frozenset({"Liability", "Equity", "Revenue"})


def display_balance(account: QboAccountRec, ledger_sum: Decimal) -> Decimal:
    """QBO shows liability, equity and income balances with credits positive."""
    return -ledger_sum if account.classification in CREDIT_NORMAL else ledger_sum


def account_json(company: QboCompanyRec, account: QboAccountRec, ledger_sums: dict[str, Decimal]) -> JSON:
    """Key order and keys follow specs/qbo/account-accountsreceivable.json."""
    on_balance_sheet = account.classification in ("Asset", "Liability", "Equity")
    balance = display_balance(account, ledger_sums.get(account.id, Decimal(0))) if on_balance_sheet else Decimal(0)
    created = datetime(company.company_start_date.year, company.company_start_date.month, 1, 9, 0)
    return {
        "FullyQualifiedName": account.name,
        "domain": "QBO",
        "Name": account.name,
        "Classification": account.classification,
        "AccountSubType": account.account_sub_type,
        "CurrencyRef": {
            "name": CURRENCY_NAMES.get(company.home_currency, company.home_currency),
            "value": company.home_currency,
        },
        "CurrentBalanceWithSubAccounts": num(balance),
        "sparse": False,
        "MetaData": meta(company, created, created),
        "AccountType": account.account_type,
        "CurrentBalance": num(balance),
        "Active": account.active,
        "SyncToken": "0",
        "Id": account.id,
        "SubAccount": False,
    }


_LINE_DETAIL = {
    "PurchaseOrder": "ItemBasedExpenseLineDetail",
    "Bill": "ItemBasedExpenseLineDetail",
    "Invoice": "SalesItemLineDetail",
    "SalesReceipt": "SalesItemLineDetail",
}


def txn_json(company: QboCompanyRec, txn: QboTxnRec, item_names: dict[str, str], names: AccountNames) -> JSON:
    moment = txn_moment(txn.txn_date)
    updated = updated_moment(txn)

    def item_ref(item_id: str) -> JSON:
        name = item_names.get(item_id)
        return {"value": item_id, "name": name} if name is not None else {"value": item_id}

    if txn.entity == "InventoryAdjustment":
        lines = [
            {
                "Id": str(n),
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": item_ref(line.item_id), "QtyDiff": num(line.qty)},
            }
            for n, line in enumerate(txn.lines, start=1)
        ]
        return _drop_none(
            {
                "DocNumber": txn.doc_number,
                "TxnDate": txn.txn_date.isoformat(),
                "PrivateNote": txn.private_note,
                "SyncToken": "0",
                "domain": "QBO",
                "AdjustAccountRef": names.ref(txn.adjust_account_id),
                "sparse": False,
                "Line": lines,
                "Id": txn.id,
                "MetaData": meta(company, moment, updated),
            }
        )
    detail = _LINE_DETAIL[txn.entity]
    line_json: list[JSON] = []
    total = Decimal(0)
    for n, line in enumerate(txn.lines, start=1):
        unit = (line.amount / line.qty) if line.qty else line.amount
        line_json.append(
            {
                "Id": str(n),
                "LineNum": n,
                "Amount": num(line.amount),
                "DetailType": detail,
                detail: {"ItemRef": item_ref(line.item_id), "UnitPrice": num(unit), "Qty": num(line.qty)},
            }
        )
        total += line.amount
    if txn.entity in ("Invoice", "SalesReceipt"):
        line_json.append({"Amount": num(total), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return _drop_none(
        {
            "domain": "QBO",
            "sparse": False,
            "Id": txn.id,
            "SyncToken": "0",
            "MetaData": meta(company, moment, updated),
            "DocNumber": txn.doc_number,
            "TxnDate": txn.txn_date.isoformat(),
            "CurrencyRef": {
                "value": company.home_currency,
                "name": CURRENCY_NAMES.get(company.home_currency, company.home_currency),
            },
            "PrivateNote": txn.private_note,
            "Line": line_json,
            "TotalAmt": num(total),
        }
    )


def journal_entry_json(company: QboCompanyRec, entry: QboJournalEntryRec, names: AccountNames) -> JSON:
    """Shape of specs/qbo/journalentry.json."""
    moment = txn_moment(entry.txn_date)
    lines: list[JSON] = []
    for n, posting in enumerate(entry.lines):
        line: JSON = {
            "JournalEntryLineDetail": {
                "PostingType": "Debit" if posting.amount >= 0 else "Credit",
                "AccountRef": names.ref(posting.account_id),
            },
            "DetailType": "JournalEntryLineDetail",
            "Amount": num(abs(posting.amount)),
            "Id": str(n),
        }
        if posting.memo:
            line["Description"] = posting.memo
        lines.append(line)
    return _drop_none(
        {
            "SyncToken": str(entry.sync_token),
            "domain": "QBO",
            "TxnDate": entry.txn_date.isoformat(),
            "DocNumber": entry.doc_number,
            "PrivateNote": entry.private_note,
            "sparse": False,
            "Line": lines,
            "Adjustment": False,
            "Id": entry.id,
            "TxnTaxDetail": {},
            "MetaData": meta(company, moment, updated_moment(entry)),
        }
    )


def company_info_json(company: QboCompanyRec) -> JSON:
    """Keys follow specs/qbo/companyinfo.json."""
    address = {"Id": "1", "Line1": "1 Sandbox Way", "City": "Mountain View", "CountrySubDivisionCode": "CA"}
    created = datetime(
        company.company_start_date.year, company.company_start_date.month, company.company_start_date.day, 9
    )
    return {
        "CompanyName": company.company_name,
        "LegalName": company.legal_name,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {},
        "CompanyStartDate": company.company_start_date.isoformat(),
        "FiscalYearStartMonth": company.fiscal_year_start_month,
        "Country": company.country,
        "Email": {"Address": "books@example.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [
            {"Name": "NeoEnabled", "Value": "true"},
            {"Name": "IndustryType", "Value": "Retail"},
            {"Name": "SubscriptionStatus", "Value": "PAID"},
            {"Name": "OfferingSku", "Value": company.offering_sku},
            {"Name": "PayrollFeature", "Value": "false"},
            {"Name": "AccountantFeature", "Value": "false"},
        ],
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "1",
        "MetaData": meta(company, created, created),
    }


def _custom_fields(prefs: str, stem: str) -> list[JSON]:
    return [
        {
            "CustomField": [
                {"Name": f"{prefs}.Use{stem}{n}", "Type": "BooleanType", "BooleanValue": n == 1} for n in (3, 2, 1)
            ]
        },
        {"CustomField": [{"Name": f"{prefs}.{stem}Name1", "Type": "StringType", "StringValue": "Crew #"}]},
    ]


def preferences_json(company: QboCompanyRec) -> JSON:
    """Sections and keys follow specs/qbo/preferences.json; BookCloseDate only when books are closed."""
    accounting: JSON = {
        "TrackDepartments": False,
        "ClassTrackingPerTxn": False,
        "ClassTrackingPerTxnLine": False,
        "CustomerTerminology": "Customers",
        "FirstMonthOfFiscalYear": company.fiscal_year_start_month,
    }
    if company.book_close_date is not None:
        accounting["BookCloseDate"] = company.book_close_date.isoformat()
    created = datetime(
        company.company_start_date.year, company.company_start_date.month, company.company_start_date.day, 9
    )
    sign_off = f"Sincerely,\n{company.company_name}"
    return {
        "AccountingInfoPrefs": accounting,
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": company.quantity_on_hand_enabled,
        },
        "SalesFormsPrefs": {
            "CustomField": _custom_fields("SalesFormsPrefs", "SalesCustom"),
            "CustomTxnNumbers": False,
            "AllowDeposit": False,
            "AllowDiscount": True,
            "DefaultDiscountAccount": "86",
            "AllowEstimates": True,
            "ETransactionEnabledStatus": "NotApplicable",
            "ETransactionAttachPDF": False,
            "ETransactionPaymentEnabled": False,
            "IPNSupportEnabled": False,
            "AllowServiceDate": False,
            "AllowShipping": False,
            "DefaultTerms": {"value": "3"},
            "UsingPriceLevels": False,
            "DefaultCustomerMessage": "Thank you for your business.",
        },
        "EmailMessagesPrefs": {
            kind: {
                "Subject": f"{label} from {company.company_name}",
                "Message": f"Your {label.lower()} is attached.\n{sign_off}",
            }
            for kind, label in (
                ("InvoiceMessage", "Invoice"),
                ("EstimateMessage", "Estimate"),
                ("SalesReceiptMessage", "Sales Receipt"),
                ("StatementMessage", "Statement"),
            )
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True,
            "BillableExpenseTracking": True,
            "POCustomField": _custom_fields("PurchasePrefs", "PurchaseCustom"),
        },
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
        },
        "TaxPrefs": {"UsingSalesTax": True, "TaxGroupCodeRef": {"value": "2"}},
        "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": company.home_currency}},
        "ReportPrefs": {"ReportBasis": company.report_basis, "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultItem", "Value": "1"},
                {"Name": "DTXCopyMemo", "Value": "false"},
                {"Name": "SFCEnabled", "Value": "true"},
                {"Name": "DataPartner", "Value": "false"},
            ]
        },
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "1",
        "MetaData": meta(company, created, created),
    }


def postings_total(postings: Iterable[Posting]) -> Decimal:
    return sum((p.amount for p in postings), Decimal(0))
