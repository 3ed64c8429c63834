"""The QBO simulator as an aiohttp application: Accounting API v3 under /v3/company/{realmId}/ plus Intuit's
OAuth 2.0 endpoints, so python-quickbooks and intuit-oauth talk to it unchanged."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sandbox.company import (
    Posting,
    QboAccountRec,
    QboCompanyRec,
    QboItemRec,
    QboJournalEntryRec,
    QboTxnLine,
    QboTxnRec,
)
from sandbox.qbo import engine, render, reports
from sandbox.qbo.query import QueryParseError, parse_query
from sandbox.qbo.render import JSON
from sandbox.qbo.state import MIN_MINOR_VERSION, QboSandboxState

STATE_KEY = web.AppKey("qbo_state", QboSandboxState)
CDC_MAX_OBJECTS = 1000
CDC_LOOKBACK = timedelta(days=30)
CDC_ENTITIES = frozenset({"Item", "Account", "JournalEntry", *engine.TXN_ENTITIES})
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"


def make_qbo_app(state: QboSandboxState) -> web.Application:
    app = web.Application(middlewares=[_v3_gate(state)], client_max_size=16 * 1024 * 1024)
    app[STATE_KEY] = state
    base = "/v3/company/{realm}"
    app.router.add_route("GET", base + "/query", _query)
    app.router.add_route("POST", base + "/query", _query)
    app.router.add_get(base + "/companyinfo/{id}", _company_info)
    app.router.add_get(base + "/preferences", _preferences)
    app.router.add_get(base + "/item/{id}", _read_item)
    app.router.add_post(base + "/item", _writes(_write_item))
    app.router.add_get(base + "/account/{id}", _read_account)
    app.router.add_get(base + "/journalentry/{id}", _read_journal_entry)
    app.router.add_post(base + "/journalentry", _writes(_create_journal_entry))
    app.router.add_get(base + "/inventoryadjustment/{id}", _read_adjustment)
    app.router.add_get(base + "/reports/{name}", _report)
    app.router.add_get(base + "/cdc", _cdc)
    for path in ("/.well-known/openid_configuration", "/.well-known/openid_configuration/"):
        app.router.add_get(path, _discovery)
    app.router.add_get("/authorize", _authorize)
    app.router.add_get("/connect/oauth2", _authorize)
    app.router.add_post("/oauth2/v1/tokens/bearer", _token)
    app.router.add_post("/oauth2/v1/tokens/revoke", _revoke)
    app.router.add_get("/oauth2/v1/keys", _jwks)
    app.router.add_get("/v1/openid_connect/userinfo", _userinfo)
    return app


# ------------------------------------------------------------------ helpers


def _state(request: web.Request) -> QboSandboxState:
    return request.app[STATE_KEY]


def _company(request: web.Request) -> QboCompanyRec:
    return _state(request).companies[request.match_info["realm"]]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


def _fault(company: QboCompanyRec | None, message: str, detail: str, code: str, **kw: Any) -> web.Response:
    return _json(render.fault(company, message, detail, code, **kw), status=400)


def _not_found(company: QboCompanyRec) -> web.Response:
    return _fault(
        company,
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        "610",
    )


def _unauthorized(detail: str) -> web.Response:
    body = render.lowercase_fault(
        "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail, "3200", "AUTHENTICATION"
    )
    return _json(body, status=401)


def _throttled(retry_after: float | None) -> web.Response:
    body = render.lowercase_fault(
        "message=ThrottleExceeded; errorCode=003001; statusCode=429", "Too many requests", "3001", "SERVICE"
    )
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
    return _json(body, status=429, headers=headers)


def _server_error(company: QboCompanyRec | None) -> web.Response:
    body = render.fault(
        company,
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        "10000",
        fault_type="SystemFault",
    )
    return _json(body, status=500)


def _v3_gate(state: QboSandboxState) -> Any:
    """Counting, latency, injected faults, rate limits, minor version and bearer auth for v3 calls."""

    @web.middleware
    async def gate(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/v3/"):
            state.record(request.method, request.path, None)
            response: web.StreamResponse = await handler(request)
            return response
        realm = request.match_info.get("realm")
        arrived = time.monotonic()
        state.record(request.method, request.path, realm)
        minor = request.query.get("minorversion")
        with state.lock:
            state.minor_versions.append(minor)
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        company = state.companies.get(realm or "")
        too_old = minor is not None and (not minor.isdigit() or int(minor) < MIN_MINOR_VERSION)
        if state.strict_minor_version and too_old:
            return _fault(
                company,
                "Invalid minor version",
                f"Minor version {minor} is not supported; the minimum is {MIN_MINOR_VERSION}.",
                "2130",
            )
        injected = state.take_injected()
        if injected is not None:
            status, retry_after = injected
            return _throttled(retry_after) if status == 429 else _server_error(company)
        if realm is not None and state.throttled(realm, arrived):
            return _throttled(1)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or len(header) <= len("Bearer "):
            return _unauthorized("Malformed bearer token: too short or too long")
        if realm is None or state.realm_for_access_token(header[len("Bearer ") :]) != realm or company is None:
            return _unauthorized("Token expired: the access token is expired, revoked or not valid for this realm")
        response = await handler(request)
        return response

    return gate


# ------------------------------------------------------------------ query and reads


async def _query(request: web.Request) -> web.Response:
    company = _company(request)
    state = _state(request)
    text = request.query.get("query") if request.method == "GET" else await request.text()
    if not text or not text.strip():
        return _fault(
            company,
            "Error parsing query",
            'QueryParserError: Encountered "<EOF>" at line 1, column 1.',
            "4000",
            element=None,
        )
    return await _answer(state, ("query", company.realm_id, text), lambda: _run_query(company, state, text))


async def _answer(state: QboSandboxState, key: tuple[str, ...], run: Callable[[], web.Response]) -> web.Response:
    """A read's answer: remembered (benchmarks), rendered on a thread (benchmarks) or rendered here."""
    body = state.remembered(key)
    if body is not None:
        return web.Response(body=body, content_type="application/json")
    response = await asyncio.to_thread(run) if state.answer_in_thread else run()
    if response.status == 200 and isinstance(response.body, bytes):
        state.remember(key, response.body)
    return response


def _run_query(company: QboCompanyRec, state: QboSandboxState, text: str) -> web.Response:
    try:
        query = parse_query(text)
        realm = company.realm_id
        result = engine.run(query, company, state.item_index(realm))
    except (QueryParseError, engine.QueryValidationError) as exc:
        detail = exc.detail if isinstance(exc, QueryParseError) else str(exc)
        return _fault(company, "Error parsing query", detail, "4000", element=None)
    if query.count:
        return _json(render.envelope(company, QueryResponse={"totalCount": result.total}))
    if not result.rows:
        return _json(render.envelope(company, QueryResponse={}))
    rows = engine.render_rows(query, company, result.rows, state.item_index(company.realm_id))
    body = {query.entity: rows, "startPosition": query.start_position, "maxResults": len(rows)}
    return _json(render.envelope(company, QueryResponse=body))


async def _company_info(request: web.Request) -> web.Response:
    company = _company(request)
    if request.match_info["id"] not in (company.realm_id, "1"):
        return _not_found(company)
    return _json(render.envelope(company, CompanyInfo=render.company_info_json(company)))


async def _preferences(request: web.Request) -> web.Response:
    company = _company(request)
    return _json(render.envelope(company, Preferences=render.preferences_json(company)))


async def _read_item(request: web.Request) -> web.Response:
    company = _company(request)
    item = _state(request).item_index(company.realm_id).get(company, request.match_info["id"])
    if item is None:
        return _not_found(company)
    return _json(render.envelope(company, Item=render.item_json(company, item, render.AccountNames(company))))


async def _read_account(request: web.Request) -> web.Response:
    company = _company(request)
    account = company.account(request.match_info["id"])
    if account is None:
        return _not_found(company)
    return _json(render.envelope(company, Account=render.account_json(company, account, render.balances(company))))


async def _read_journal_entry(request: web.Request) -> web.Response:
    company = _company(request)
    entry = next((j for j in company.journal_entries if j.id == request.match_info["id"]), None)
    if entry is None:
        return _not_found(company)
    body = render.journal_entry_json(company, entry, render.AccountNames(company))
    return _json(render.envelope(company, JournalEntry=body))


async def _read_adjustment(request: web.Request) -> web.Response:
    company = _company(request)
    wanted = request.match_info["id"]
    txn = next((t for t in company.transactions if t.entity == "InventoryAdjustment" and t.id == wanted), None)
    if txn is None:
        return _not_found(company)
    index = _state(request).item_index(company.realm_id)
    names = {ln.item_id: render.item_name(i) for ln in txn.lines if (i := index.get(company, ln.item_id))}
    body = render.txn_json(company, txn, names, render.AccountNames(company))
    return _json(render.envelope(company, InventoryAdjustment=body))


# ------------------------------------------------------------------ writes


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


def _now(company: QboCompanyRec) -> datetime:
    return datetime.now(company.tz)


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


def _writes(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
    """A handler that may change the company: remembered answers are forgotten once it is done."""

    async def write(request: web.Request) -> web.Response:
        try:
            response: web.Response = await handler(request)
            return response
        finally:
            _state(request).forget_answers()

    return write


async def _write_item(request: web.Request) -> web.Response:
    company = _company(request)
    index = _state(request).item_index(company.realm_id)
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
                return _not_found(company)
            item = found
            if str(body.get("SyncToken", "")) != str(item.sync_token):
                return _fault(
                    company,
                    "Stale Object Error",
                    "Stale Object Error : You and Preflight Sandbox were working on this at the same time. "
                    "Preflight Sandbox finished before you did, so your work was not saved.",
                    "5010",
                )
            _apply_item(company, item, body, sparse=body.get("sparse") is True)
            item.sync_token += 1
            item.update_time = _now(company)
    except _Invalid as exc:
        return _fault(company, exc.message, exc.detail, exc.code, element=exc.element)
    return _json(render.envelope(company, Item=render.item_json(company, item, render.AccountNames(company))))


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
    now = _now(company)
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


async def _create_journal_entry(request: web.Request) -> web.Response:
    company = _company(request)
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
        return _fault(company, exc.message, exc.detail, exc.code, element=exc.element)
    entry = QboJournalEntryRec(
        id=company.next_id(),
        txn_date=txn_date,
        lines=postings,
        doc_number=str(body["DocNumber"]) if body.get("DocNumber") else None,
        private_note=str(body["PrivateNote"]) if body.get("PrivateNote") else None,
    )
    company.journal_entries.append(entry)
    company.ledger.extend(postings)
    body_json = render.journal_entry_json(company, entry, render.AccountNames(company))
    return _json(render.envelope(company, JournalEntry=body_json))


# ------------------------------------------------------------------ reports and CDC


async def _report(request: web.Request) -> web.Response:
    company = _company(request)
    name = request.match_info["name"]
    query = request.query
    key = ("report", company.realm_id, name, *sorted(f"{k}={v}" for k, v in query.items()))
    return await _answer(_state(request), key, lambda: _run_report(company, name, query))


def _run_report(company: QboCompanyRec, name: str, query: Mapping[str, str]) -> web.Response:
    try:
        if name == "BalanceSheet":
            start = reports.parse_date("start_date", query.get("start_date"))
            end = reports.parse_date("end_date", query.get("end_date")) or render.today(company)
            if start is not None and start >= end:
                raise reports.ReportParamError("start_date", start.isoformat(), "start_date must be less than end_date")
            basis = query.get("accounting_method")
            if basis is not None and basis not in ("Cash", "Accrual"):
                raise reports.ReportParamError("accounting_method", basis, "accounting_method must be Cash or Accrual")
            return _json(reports.balance_sheet(company, start=start, end=end, basis=basis))
        if name == "InventoryValuationSummary":
            day = reports.parse_date("report_date", query.get("report_date"))
            body = reports.inventory_valuation_summary(company, day or render.today(company), explicit=day is not None)
            return _json(body)
    except reports.ReportParamError as exc:
        return _fault(
            company,
            "Invalid Date" if "date" in exc.name else "Invalid parameter",
            exc.detail,
            "2080",
            element=exc.name,
        )
    return _fault(
        company, "Unsupported report", f"The sandbox has no report named {name}", "2030", element="ReportName"
    )


def _updated(company: QboCompanyRec, record: Any) -> datetime:
    if isinstance(record, QboItemRec):
        return render.local_time(company, record.update_time)
    if isinstance(record, QboTxnRec | QboJournalEntryRec):
        return render.local_time(company, render.txn_moment(record.txn_date))
    start = company.company_start_date
    return render.local_time(company, datetime(start.year, start.month, start.day, 9))


async def _cdc(request: web.Request) -> web.Response:
    company = _company(request)
    state = _state(request)
    entities = [e.strip() for e in request.query.get("entities", "").split(",") if e.strip()]
    raw_since = request.query.get("changedSince")
    if not entities:
        return _fault(
            company,
            "Required param missing",
            "Required parameter entities is missing",
            "2020",
            element="entities",
        )
    if not raw_since:
        return _fault(
            company,
            "Required param missing",
            "Required parameter changedSince is missing",
            "2020",
            element="changedSince",
        )
    try:
        since = render.local_time(company, datetime.fromisoformat(raw_since))
    except ValueError:
        return _fault(
            company,
            "Invalid Date",
            f"Invalid Date : changedSince [{raw_since}]",
            "2080",
            element="changedSince",
        )
    if since < _now(company) - CDC_LOOKBACK:
        return _fault(
            company,
            "Invalid changedSince",
            "changedSince must be within the last 30 days",
            "2080",
            element="changedSince",
        )
    unknown = [e for e in entities if e not in CDC_ENTITIES]
    if unknown:
        return _fault(
            company,
            "Unsupported entity",
            f"CDC is not supported for {', '.join(unknown)}",
            "2030",
            element="entities",
        )
    index = state.item_index(company.realm_id)
    budget = CDC_MAX_OBJECTS
    groups: list[JSON] = []
    names = render.AccountNames(company)
    for entity in entities:
        source: list[Any]
        if entity == "Item":
            source = list(index.sorted(company))
        elif entity == "Account":
            source = list(company.accounts)
        elif entity == "JournalEntry":
            source = list(company.journal_entries)
        else:
            source = [t for t in company.transactions if t.entity == entity]
        changed = sorted((r for r in source if _updated(company, r) >= since), key=lambda r: _updated(company, r))
        changed = changed[: max(budget, 0)]
        budget -= len(changed)
        if not changed:
            groups.append({})
            continue
        rendered: list[JSON]
        if entity == "Item":
            rendered = [render.item_json(company, r, names) for r in changed]
        elif entity == "Account":
            sums = render.balances(company)
            rendered = [render.account_json(company, r, sums) for r in changed]
        elif entity == "JournalEntry":
            rendered = [render.journal_entry_json(company, r, names) for r in changed]
        else:
            item_names = {i.id: render.item_name(i) for i in index.sorted(company)}
            rendered = [render.txn_json(company, r, item_names, names) for r in changed]
        groups.append({entity: rendered, "startPosition": 1, "maxResults": len(rendered)})
    return _json(render.envelope(company, CDCResponse=[{"QueryResponse": groups}]))


# ------------------------------------------------------------------ OAuth 2.0


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def _discovery(request: web.Request) -> web.Response:
    base = _origin(request)
    return _json(
        {
            "issuer": base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
            "revocation_endpoint": base + "/oauth2/v1/tokens/revoke",
            "jwks_uri": base + "/oauth2/v1/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
    )


async def _authorize(request: web.Request) -> web.StreamResponse:
    """Consent is granted at once: redirect back with code, state and realmId."""
    state = _state(request)
    q = request.query
    if q.get("client_id") != state.client_id:
        return _json({"error": "invalid_client", "error_description": "Unknown client_id"}, status=400)
    redirect_uri = q.get("redirect_uri")
    if not redirect_uri:
        return _json({"error": "invalid_request", "error_description": "redirect_uri is required"}, status=400)
    params: dict[str, str] = {}
    if q.get("response_type") != "code" or ACCOUNTING_SCOPE not in q.get("scope", "").split():
        params["error"] = "invalid_scope" if q.get("response_type") == "code" else "unsupported_response_type"
    else:
        # `realmId` is a sandbox extension that picks the company the user "chooses" on the consent screen.
        realm = q.get("realmId") or state.default_realm_id
        if realm not in state.companies:
            return _json({"error": "invalid_request", "error_description": "Unknown realmId"}, status=400)
        params.update(code=state.new_authorization_code(realm, redirect_uri), realmId=realm)
    if "state" in q:
        params["state"] = q["state"]
    sep = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(redirect_uri + sep + urlencode(params))


def _client_ok(request: web.Request, state: QboSandboxState) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return client_id == state.client_id and secret == state.client_secret


async def _token(request: web.Request) -> web.Response:
    state = _state(request)
    if not _client_ok(request, state):
        return _json({"error": "invalid_client"}, status=401)
    form = await request.post()
    grant_type = form.get("grant_type")
    invalid = {"error_description": "Incorrect or invalid refresh token", "error": "invalid_grant"}
    if grant_type == "authorization_code":
        tokens = state.redeem_code(str(form.get("code", "")), str(form.get("redirect_uri", "")))
        if tokens is None:
            return _json({"error_description": "Invalid authorization code", "error": "invalid_grant"}, status=400)
        return _json(tokens)
    if grant_type == "refresh_token":
        tokens = state.refresh(str(form.get("refresh_token", "")))
        return _json(tokens) if tokens is not None else _json(invalid, status=400)
    return _json({"error": "unsupported_grant_type"}, status=400)


async def _revoke(request: web.Request) -> web.Response:
    state = _state(request)
    if not _client_ok(request, state):
        return _json({"error": "invalid_client"}, status=401)
    try:
        token = (await request.json()).get("token", "")
    except (json.JSONDecodeError, AttributeError):
        return _json({"error": "invalid_request"}, status=400)
    state.revoke(str(token))
    return web.Response(status=200)


async def _jwks(request: web.Request) -> web.Response:
    return _json({"keys": []})


async def _userinfo(request: web.Request) -> web.Response:
    state = _state(request)
    header = request.headers.get("Authorization", "")
    realm = state.realm_for_access_token(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
    if realm is None:
        return _json({"error": "invalid_token"}, status=401)
    return _json({"sub": f"sandbox-user-{realm}", "email": "owner@example.com", "emailVerified": True})
