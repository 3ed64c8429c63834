"""The Finale simulator as an aiohttp application: REST collections, single resources and reports.

Every request is counted, delayed by the configured latency, then may be turned into an injected fault
(429 with Retry-After, 500, or a connection closed without a response), then must carry the account's API
key and secret as HTTP Basic auth (401 otherwise, as Finale answers).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from datetime import date

from aiohttp import web

from sandbox.company import FinaleAccountRec
from sandbox.finale.collections import COLLECTIONS, BadRequest, render_collection, render_resource
from sandbox.finale.reports import STREAM_PAGE, render_report
from sandbox.finale.state import FinaleSimState

STATE_KEY = web.AppKey("finale_state", FinaleSimState)
ACCOUNT_KEY = web.RequestKey("finale_account", FinaleAccountRec)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON = "application/json"


def _credentials_ok(request: web.Request, account: FinaleAccountRec) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        key, sep, secret = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    # Compare both parts even when the first differs, so timing says nothing about which one was wrong.
    key_ok = hmac.compare_digest(key.encode(), account.api_key.encode())
    secret_ok = hmac.compare_digest(secret.encode(), account.api_secret.encode())
    return bool(sep) and key_ok and secret_ok


@web.middleware
async def _front(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    state.count(request.path, request.method, request.headers.get("User-Agent", ""))
    if state.latency > 0:
        await asyncio.sleep(state.latency)
    fault = state.take_fault(request.path)
    if fault is not None:
        if fault.kind == "429":
            return web.Response(status=429, text="Too many requests", headers={"Retry-After": fault.retry_after or "1"})
        if fault.kind == "500":
            return web.Response(status=500, text="Internal server error")
        # "Remote end closed connection without response": drop the socket before any byte is written.
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError
    account = state.accounts.get(request.match_info.get("account", ""))
    if account is None:
        return web.Response(status=404, text="Not found")
    if not _credentials_ok(request, account):
        return web.Response(
            status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Basic realm="Finale Inventory"'}
        )
    request[ACCOUNT_KEY] = account
    try:
        return await handler(request)
    except BadRequest as exc:
        return web.Response(status=400, text=str(exc))


def _limit(request: web.Request) -> int | None:
    raw = request.query.get("limit")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"limit must be a whole number, not {raw!r}") from exc
    if value < 0:
        raise BadRequest("limit must not be negative")
    return value


async def _collection(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    account = request[ACCOUNT_KEY]
    collection = request.match_info["collection"]
    if collection not in COLLECTIONS:
        return web.Response(status=404, text="Not found")
    filter_param = request.query.get("filter")
    limit = _limit(request)
    key = (account.account_path, collection, filter_param, limit, state.entity_cap)
    body = state.cached(key)
    if body is None:
        body = render_collection(
            account,
            collection,
            filter_param=filter_param,
            limit=limit,
            entity_cap=state.entity_cap,
            max_window_days=state.max_updated_window_days,
        )
        state.store(key, body)
    return web.Response(body=body, content_type=JSON, charset="utf-8")


async def _resource(request: web.Request) -> web.StreamResponse:
    account = request[ACCOUNT_KEY]
    collection = request.match_info["collection"]
    body = render_resource(account, collection, request.match_info["resource_id"].rstrip("/"))
    if body is None:
        return web.Response(status=404, text="Not found")
    return web.Response(body=body, content_type=JSON, charset="utf-8")


async def _report(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    account = request[ACCOUNT_KEY]
    report_id = request.match_info["report_id"]
    fmt = request.query.get("format", "")
    filters = request.query.get("filters")
    today = state.today or date.today()
    # Cached like the collections (benchmarks only): a 100,000-product report is costly to render.
    key = ("report", account.account_path, report_id, fmt, filters, today)
    body = state.cached(key)
    if body is None:
        rendered = render_report(account, report_id, fmt=fmt, filters_param=filters, today=today)
        if rendered is None:
            return web.Response(status=404, text="Not found")
        body = rendered[0]
        state.store(key, body)
    content_type = "text/csv" if fmt == "csv" else JSON
    return web.Response(body=body, content_type=content_type, charset="utf-8")


async def _report_stream(request: web.Request) -> web.StreamResponse:
    # The browser form of a report: a page that loads the viewer, never data.
    return web.Response(text=STREAM_PAGE, content_type="text/html")


def create_finale_app(state: FinaleSimState) -> web.Application:
    """The simulator for every account in `state`, under `/{account_path}/...`."""
    app = web.Application(middlewares=[_front], client_max_size=1024**2)
    app[STATE_KEY] = state
    app.router.add_get("/{account}/api/{collection}/", _collection)
    app.router.add_get("/{account}/api/{collection}", _collection)
    app.router.add_get("/{account}/api/{collection}/{resource_id:.+}", _resource)
    app.router.add_get("/{account}/doc/report/pivotTable/{report_id}/{name}", _report)
    app.router.add_get("/{account}/doc/report/pivotTableStream/{report_id}/{name}", _report_stream)
    return app
