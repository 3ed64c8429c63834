"""The QBO simulator as an aiohttp application: Accounting API v3 under /v3/company/{realmId}/ plus Intuit's
OAuth 2.0 endpoints, so python-quickbooks and intuit-oauth talk to it unchanged."""

from __future__ import annotations

from aiohttp import web

from sandbox.qbo.cdc import cdc
from sandbox.qbo.gate import v3_gate
from sandbox.qbo.oauth import authorize, discovery, jwks, revoke, token, userinfo
from sandbox.qbo.reads import (
    company_info,
    preferences,
    query,
    read_account,
    read_adjustment,
    read_item,
    read_journal_entry,
    report,
)
from sandbox.qbo.responses import STATE_KEY
from sandbox.qbo.state import QboSandboxState
from sandbox.qbo.writes import create_journal_entry, write_item, writes


def make_qbo_app(state: QboSandboxState) -> web.Application:
    app = web.Application(middlewares=[v3_gate(state)], client_max_size=16 * 1024 * 1024)
    app[STATE_KEY] = state
    base = "/v3/company/{realm}"
    app.router.add_route("GET", base + "/query", query)
    app.router.add_route("POST", base + "/query", query)
    app.router.add_get(base + "/companyinfo/{id}", company_info)
    app.router.add_get(base + "/preferences", preferences)
    app.router.add_get(base + "/item/{id}", read_item)
    app.router.add_post(base + "/item", writes(write_item))
    app.router.add_get(base + "/account/{id}", read_account)
    app.router.add_get(base + "/journalentry/{id}", read_journal_entry)
    app.router.add_post(base + "/journalentry", writes(create_journal_entry))
    app.router.add_get(base + "/inventoryadjustment/{id}", read_adjustment)
    app.router.add_get(base + "/reports/{name}", report)
    app.router.add_get(base + "/cdc", cdc)
    for path in ("/.well-known/openid_configuration", "/.well-known/openid_configuration/"):
        app.router.add_get(path, discovery)
    app.router.add_get("/authorize", authorize)
    app.router.add_get("/connect/oauth2", authorize)
    app.router.add_post("/oauth2/v1/tokens/bearer", token)
    app.router.add_post("/oauth2/v1/tokens/revoke", revoke)
    app.router.add_get("/oauth2/v1/keys", jwks)
    app.router.add_get("/v1/openid_connect/userinfo", userinfo)
    return app
