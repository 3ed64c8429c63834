"""The v3 writes: items (create, full and sparse update, made inactive with a write-off), journal entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from sandbox.company import Posting, QboAccountRec, QboCompanyRec, QboItemRec, QboJournalEntryRec, QboTxnLine, QboTxnRec
from sandbox.qbo import render
from sandbox.qbo.render import JSON
from sandbox.qbo.responses import company_now, company_of, fault, json_response, not_found, state_of


class _Invalid(Exception):
    def __init__(self, message: str, detail: str, code: str, element: str = "") -> None:
        super().__init__(detail)
        self.message, self.detail, self.code, self.element = message, detail, code, element


def _required(name: str) -> _Invalid:
    return _Invalid(
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        "2020",
        name,
    )


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _Invalid("Invalid Number", f"Invalid Number : {name}", "2040", name) from exc


def _account_ref(company: QboCompanyRec, body: JSON, key: str) -> str | None:
    value = (body.get(key) or {}).get("value") if isinstance(body.get(key), dict) else None
    if value is None:
        return None
    if company.account(str(value)) is None:
        raise _Invalid(
            "Invalid Reference Id",
            f"Invalid Reference Id : Accounts element id {value} not found",
            "2500",
            key,
        )
    return str(value)


async def _body(request: web.Request) -> JSON:
    try:
        body = json.loads(await request.text(), parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _Invalid("Request has invalid or unsupported property", f"Invalid JSON: {exc.msg}", "2010") from exc
    if not isinstance(body, dict):
        raise _Invalid("Request has invalid or unsupported property", "Expected a JSON object", "2010")
    return body


def _shrinkage_account(company: QboCompanyRec) -> str:
    """The account QBO debits for an inventory write-off; QBO creates "Inventory Shrinkage" if missing."""
    if company.shrinkage_account_id and company.account(company.shrinkage_account_id):
        return company.shrinkage_account_id
    found = next((a for a in company.accounts if a.name == "Inventory Shrinkage"), None)
    if found is None:
        found = QboAccountRec(
            id=company.next_id(),
            name="Inventory Shrinkage",
            account_type="Cost of Goods Sold",
            account_sub_type="SuppliesMaterialsCogs",
            classification="Expense",
        )
        company.accounts.append(found)
    company.shrinkage_account_id = found.id
    return found.id


def _write_off(company: QboCompanyRec, item: QboItemRec) -> None:
    """What QBO's UI does when an item with stock is made inactive: an adjustment that zeroes the quantity,
    crediting the item's asset account and debiting the shrinkage account."""
    qty = item.qty_on_hand or Decimal(0)
    if item.type != "Inventory" or qty == 0:
        return
    shrinkage = _shrinkage_account(company)
    asset = item.asset_account_id or next((a.id for a in company.accounts if a.account_sub_type == "Inventory"), None)
    value = (qty * item.purchase_cost).quantize(render.CENT, rounding=ROUND_HALF_UP)
    day = render.today(company)
    memo = f"Inventory adjustment: {item.name} made inactive"
    company.transactions.append(
        QboTxnRec(
            entity="InventoryAdjustment",
            id=company.next_id(),
            txn_date=day,
            lines=[QboTxnLine(item_id=item.id, qty=-qty, amount=-value)],
            adjust_account_id=shrinkage,
            private_note=memo,
            update_time=company_now(company),
        )
    )
    if value != 0 and asset is not None:
        company.ledger.extend([Posting(day, asset, -value, memo), Posting(day, shrinkage, value, memo)])
    item.qty_on_hand = Decimal(0)


def _clean_name(value: Any) -> str:
    name = str(value).strip()
    # A read-modify-write of an inactive item sends back QBO's "(deleted)" suffix.
    return name.removesuffix(render.DELETED_SUFFIX)


def _apply_item(company: QboCompanyRec, item: QboItemRec, body: JSON, *, sparse: bool) -> None:
    def given(key: str) -> bool:
        return key in body and body[key] is not None

    if given("Name") or not sparse:
        if not given("Name") or not str(body["Name"]).strip():
            raise _required("Name")
        item.name = _clean_name(body["Name"])
    if given("Sku") or not sparse:
        item.sku = str(body["Sku"]) if given("Sku") and str(body["Sku"]) else None
    if given("Description") or not sparse:
        item.description = str(body["Description"]) if given("Description") and body["Description"] else None
    if given("UnitPrice") or not sparse:
        item.unit_price = _decimal(body["UnitPrice"], "UnitPrice") if given("UnitPrice") else Decimal(0)
    if given("PurchaseCost") or not sparse:
        item.purchase_cost = _decimal(body["PurchaseCost"], "PurchaseCost") if given("PurchaseCost") else Decimal(0)
    for key, attr in (
        ("IncomeAccountRef", "income_account_id"),
        ("ExpenseAccountRef", "expense_account_id"),
        ("AssetAccountRef", "asset_account_id"),
    ):
        if given(key) or not sparse:
            setattr(item, attr, _account_ref(company, body, key))
    if item.type == "Inventory" and item.asset_account_id is None:
        raise _required("AssetAccountRef")
    # A full update that omits Active leaves the default, true.
    active = bool(body["Active"]) if given("Active") else (item.active if sparse else True)
    if item.active and not active:
        _write_off(company, item)
    item.active = active


def writes(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
    """A handler that may change the company: remembered answers are forgotten once it is done."""

    async def write(request: web.Request) -> web.Response:
        try:
            response: web.Response = await handler(request)
            return response
        finally:
            state_of(request).forget_answers()

    return write


async def write_item(request: web.Request) -> web.Response:
    company = company_of(request)
    index = state_of(request).item_index(company.realm_id)
    try:
        if request.query.get("operation") == "delete":
            raise _Invalid(
                "Operation Delete is not supported",
                "Items cannot be deleted; make them inactive with Active = false.",
                "2012",
            )
        body = await _body(request)
        item_id = body.get("Id")
        if item_id in (None, ""):
            item = _create_item(company, body)
        else:
            found = index.get(company, str(item_id))
            if found is None:
                return not_found(company)
            item = found
            if str(body.get("SyncToken", "")) != str(item.sync_token):
                return fault(
                    company,
                    "Stale Object Error",
                    "Stale Object Error : You and Preflight Sandbox were working on this at the same time. "
                    "Preflight Sandbox finished before you did, so your work was not saved.",
                    "5010",
                )
            _apply_item(company, item, body, sparse=body.get("sparse") is True)
            item.sync_token += 1
            item.update_time = company_now(company)
    except _Invalid as exc:
        return fault(company, exc.message, exc.detail, exc.code, element=exc.element)
    return json_response(render.envelope(company, Item=render.item_json(company, item, render.AccountNames(company))))


def _create_item(company: QboCompanyRec, body: JSON) -> QboItemRec:
    if not body.get("Name") or not str(body["Name"]).strip():
        raise _required("Name")
    name = _clean_name(body["Name"])
    if any(i.name == name for i in company.items):
        raise _Invalid(
            "Duplicate Name Exists Error",
            f"The name supplied already exists. : Another product or service is already using {name}",
            "6240",
        )
    item_type = str(body.get("Type") or "NonInventory")
    now = company_now(company)
    item = QboItemRec(id=company.next_id(), name=name, type=item_type, create_time=now, update_time=now)
    if item_type == "Inventory":
        if body.get("QtyOnHand") is None:
            raise _required("QtyOnHand")
        if not body.get("InvStartDate"):
            raise _required("InvStartDate")
        item.qty_on_hand = _decimal(body["QtyOnHand"], "QtyOnHand")
        item.inv_start_date = _txn_date(company, body.get("InvStartDate"))
    _apply_item(company, item, {"Active": True, **body}, sparse=False)
    company.items.append(item)
    # Opening quantity is booked against Opening Balance Equity on the start date, as QBO does.
    value = ((item.qty_on_hand or Decimal(0)) * item.purchase_cost).quantize(render.CENT, rounding=ROUND_HALF_UP)
    equity = next((a.id for a in company.accounts if a.account_sub_type == "OpeningBalanceEquity"), None)
    if value != 0 and item.asset_account_id and equity and item.inv_start_date:
        memo = f"Opening inventory: {item.name}"
        company.ledger.extend(
            [
                Posting(item.inv_start_date, item.asset_account_id, value, memo),
                Posting(item.inv_start_date, equity, -value, memo),
            ]
        )
    return item


def _txn_date(company: QboCompanyRec, value: Any) -> date:
    if value in (None, ""):
        return render.today(company)
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise _Invalid("Invalid Date", f"Invalid Date : TxnDate [{value}]", "2080", "TxnDate") from exc


async def create_journal_entry(request: web.Request) -> web.Response:
    company = company_of(request)
    try:
        if request.query.get("operation"):
            raise _Invalid("Operation not supported", "The sandbox only creates journal entries.", "2012")
        body = await _body(request)
        if body.get("Id") not in (None, ""):
            raise _Invalid("Operation not supported", "The sandbox only creates journal entries.", "2012")
        txn_date = _txn_date(company, body.get("TxnDate"))
        postings: list[Posting] = []
        for n, line in enumerate(body.get("Line") or []):
            if not isinstance(line, dict) or line.get("DetailType") != "JournalEntryLineDetail":
                raise _required(f"Line[{n}].JournalEntryLineDetail")
            detail = line.get("JournalEntryLineDetail") or {}
            posting_type = detail.get("PostingType")
            if posting_type not in ("Debit", "Credit"):
                raise _required("PostingType")
            account_id = _account_ref(company, detail, "AccountRef")
            if account_id is None:
                raise _required("AccountRef")
            if line.get("Amount") is None:
                raise _required("Amount")
            amount = _decimal(line["Amount"], "Amount")
            if amount < 0:
                raise _Invalid("Invalid Number", "Amount must not be negative", "2040", "Amount")
            signed = amount if posting_type == "Debit" else -amount
            postings.append(Posting(txn_date, account_id, signed, str(line.get("Description") or "")))
        debits = sum((p.amount for p in postings if p.amount > 0), Decimal(0))
        if len(postings) < 2 or render.postings_total(postings) != 0:
            raise _Invalid(
                "A business validation error has occurred while processing your request",
                "Business Validation Error: Debits and credits must be equal. "
                f"Debits total {debits}, credits total {debits - render.postings_total(postings)}.",
                "6000",
            )
    except _Invalid as exc:
        return fault(company, exc.message, exc.detail, exc.code, element=exc.element)
    entry = QboJournalEntryRec(
        id=company.next_id(),
        txn_date=txn_date,
        lines=postings,
        doc_number=str(body["DocNumber"]) if body.get("DocNumber") else None,
        private_note=str(body["PrivateNote"]) if body.get("PrivateNote") else None,
        update_time=company_now(company),
    )
    company.journal_entries.append(entry)
    company.ledger.extend(postings)
    body_json = render.journal_entry_json(company, entry, render.AccountNames(company))
    return json_response(render.envelope(company, JournalEntry=body_json))
