"""The v3 change data capture endpoint: the entities changed since a time in the last 30 days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from sandbox.company import QboCompanyRec, QboItemRec, QboJournalEntryRec, QboTxnRec
from sandbox.qbo import engine, render
from sandbox.qbo.render import JSON
from sandbox.qbo.responses import company_now, company_of, fault, json_response, state_of

CDC_MAX_OBJECTS = 1000
CDC_LOOKBACK = timedelta(days=30)
CDC_ENTITIES = frozenset({"Item", "Account", "JournalEntry", *engine.TXN_ENTITIES})
# Entities CDC serves that the sandbox does not model: always unchanged.
UNMODELLED = frozenset({"Purchase", "VendorCredit", "CreditMemo", "RefundReceipt", "Deposit", "Transfer", "Payment"})


def _updated(company: QboCompanyRec, record: Any) -> datetime:
    if isinstance(record, QboItemRec):
        return render.local_time(company, record.update_time)
    if isinstance(record, QboTxnRec | QboJournalEntryRec):
        return render.local_time(company, render.updated_moment(record))
    start = company.company_start_date
    return render.local_time(company, datetime(start.year, start.month, start.day, 9))


async def cdc(request: web.Request) -> web.Response:
    company = company_of(request)
    state = state_of(request)
    entities = [e.strip() for e in request.query.get("entities", "").split(",") if e.strip()]
    raw_since = request.query.get("changedSince")
    if not entities:
        return fault(
            company,
            "Required param missing",
            "Required parameter entities is missing",
            "2020",
            element="entities",
        )
    if not raw_since:
        return fault(
            company,
            "Required param missing",
            "Required parameter changedSince is missing",
            "2020",
            element="changedSince",
        )
    try:
        since = render.local_time(company, datetime.fromisoformat(raw_since))
    except ValueError:
        return fault(
            company,
            "Invalid Date",
            f"Invalid Date : changedSince [{raw_since}]",
            "2080",
            element="changedSince",
        )
    if since < company_now(company) - CDC_LOOKBACK:
        return fault(
            company,
            "Invalid changedSince",
            "changedSince must be within the last 30 days",
            "2080",
            element="changedSince",
        )
    unknown = [e for e in entities if e not in CDC_ENTITIES | UNMODELLED]
    if unknown:
        return fault(
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
        if entity in UNMODELLED:
            source = []
        elif entity == "Item":
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
    return json_response(render.envelope(company, CDCResponse=[{"QueryResponse": groups}]))
