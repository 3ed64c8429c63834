"""The v3 reads: the query endpoint, single entities by id, and the reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from aiohttp import web

from sandbox.company import QboCompanyRec
from sandbox.qbo import engine, render, reports
from sandbox.qbo.query import QueryParseError, parse_query
from sandbox.qbo.responses import company_of, fault, json_response, not_found, state_of
from sandbox.qbo.state import QboSandboxState


async def query(request: web.Request) -> web.Response:
    company = company_of(request)
    state = state_of(request)
    text = request.query.get("query") if request.method == "GET" else await request.text()
    if not text or not text.strip():
        return fault(
            company,
            "Error parsing query",
            'QueryParserError: Encountered "<EOF>" at line 1, column 1.',
            "4000",
            element=None,
        )
    return await answer(state, ("query", company.realm_id, text), lambda: _run_query(company, state, text))


async def answer(state: QboSandboxState, key: tuple[str, ...], run: Callable[[], web.Response]) -> web.Response:
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
        return fault(company, "Error parsing query", detail, "4000", element=None)
    if query.count:
        return json_response(render.envelope(company, QueryResponse={"totalCount": result.total}))
    if not result.rows:
        return json_response(render.envelope(company, QueryResponse={}))
    rows = engine.render_rows(query, company, result.rows, state.item_index(company.realm_id))
    body = {query.entity: rows, "startPosition": query.start_position, "maxResults": len(rows)}
    return json_response(render.envelope(company, QueryResponse=body))


async def company_info(request: web.Request) -> web.Response:
    company = company_of(request)
    if request.match_info["id"] not in (company.realm_id, "1"):
        return not_found(company)
    return json_response(render.envelope(company, CompanyInfo=render.company_info_json(company)))


async def preferences(request: web.Request) -> web.Response:
    company = company_of(request)
    return json_response(render.envelope(company, Preferences=render.preferences_json(company)))


async def read_item(request: web.Request) -> web.Response:
    company = company_of(request)
    item = state_of(request).item_index(company.realm_id).get(company, request.match_info["id"])
    if item is None:
        return not_found(company)
    return json_response(render.envelope(company, Item=render.item_json(company, item, render.AccountNames(company))))


async def read_account(request: web.Request) -> web.Response:
    company = company_of(request)
    account = company.account(request.match_info["id"])
    if account is None:
        return not_found(company)
    return json_response(
        render.envelope(company, Account=render.account_json(company, account, render.balances(company)))
    )


async def read_journal_entry(request: web.Request) -> web.Response:
    company = company_of(request)
    entry = next((j for j in company.journal_entries if j.id == request.match_info["id"]), None)
    if entry is None:
        return not_found(company)
    body = render.journal_entry_json(company, entry, render.AccountNames(company))
    return json_response(render.envelope(company, JournalEntry=body))


async def read_adjustment(request: web.Request) -> web.Response:
    company = company_of(request)
    wanted = request.match_info["id"]
    txn = next((t for t in company.transactions if t.entity == "InventoryAdjustment" and t.id == wanted), None)
    if txn is None:
        return not_found(company)
    index = state_of(request).item_index(company.realm_id)
    names = {ln.item_id: render.item_name(i) for ln in txn.lines if (i := index.get(company, ln.item_id))}
    body = render.txn_json(company, txn, names, render.AccountNames(company))
    return json_response(render.envelope(company, InventoryAdjustment=body))


async def report(request: web.Request) -> web.Response:
    company = company_of(request)
    name = request.match_info["name"]
    query = request.query
    key = ("report", company.realm_id, name, *sorted(f"{k}={v}" for k, v in query.items()))
    return await answer(state_of(request), key, lambda: _run_report(company, name, query))


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
            return json_response(reports.balance_sheet(company, start=start, end=end, basis=basis))
        if name == "InventoryValuationSummary":
            day = reports.parse_date("report_date", query.get("report_date"))
            body = reports.inventory_valuation_summary(company, day or render.today(company), explicit=day is not None)
            return json_response(body)
    except reports.ReportParamError as exc:
        return fault(
            company,
            "Invalid Date" if "date" in exc.name else "Invalid parameter",
            exc.detail,
            "2080",
            element=exc.name,
        )
    return fault(company, "Unsupported report", f"The sandbox has no report named {name}", "2030", element="ReportName")
