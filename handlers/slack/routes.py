"""Slack's routes on the shared server, or its Socket Mode connection instead.

POST /slack/events         slash commands, buttons, modals and events (Bolt checks Slack's signature)
GET  /slack/install        "Add to Slack" (OAuth install, when SLACK_CLIENT_ID/SECRET are set)
GET  /slack/oauth_redirect where Slack sends the installing admin back
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.checklist.inputs import text_problem
from handlers.slack import edge

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def mount(bolt: AsyncApp, app: web.Application, *, app_token: str | None, signing_secret: str = "") -> None:
    if app_token is None:
        verifier = SignatureVerifier(signing_secret) if signing_secret else None
        app.router.add_post(SLACK_EVENTS_PATH, _events(bolt, verifier))
        flow = bolt.oauth_flow
        if flow is not None:
            app.router.add_get(flow.install_path, _install(bolt))
            app.router.add_get(flow.redirect_uri_path, _oauth_redirect(bolt))
    else:
        _connect_socket_mode(bolt, app, app_token)


def _connect_socket_mode(bolt: AsyncApp, app: web.Application, app_token: str) -> None:
    """Connect in the background: the server answers /healthz and the QuickBooks callback meanwhile, and a
    Slack outage at start is logged rather than stopping the server."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)
    tasks: list[asyncio.Task[None]] = []

    async def connect() -> None:
        try:
            await handler.connect_async()
            log.info("Connected to Slack in Socket Mode")
        except Exception as exc:
            log.error("Could not connect to Slack in Socket Mode: %s", type(exc).__name__)

    async def start(_: web.Application) -> None:
        tasks.append(asyncio.create_task(connect(), name="slack:socket_mode"))

    async def stop(_: web.Application) -> None:
        for task in tasks:
            task.cancel()
        await handler.close_async()

    app.on_startup.append(start)
    app.on_shutdown.append(stop)


def _events(bolt: AsyncApp, verifier: SignatureVerifier | None) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        verdict = edge.check(verifier, await request.read(), request.content_type, dict(request.headers))
        if isinstance(verdict, edge.Refusal):
            return web.Response(status=verdict.status, text=verdict.reason)
        problem = unstorable_text(verdict.body)
        if problem is not None:
            return refuse_unstorable(verdict.body, problem)
        # Bolt verifies the signature again; the body it works from is the one parsed above (see edge.py).
        bolt_request = AsyncBoltRequest(body=verdict.raw, query=request.query_string, headers=dict(request.headers))
        bolt_request.body = verdict.body
        bolt_request.context = build_async_context(AsyncBoltContext({}), verdict.body)
        response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    return handle


def unstorable_text(body: Any) -> str | None:
    """The words for a request holding text no database keeps (NUL, an unpaired surrogate); else None."""
    if isinstance(body, str):
        return text_problem(body)
    values = body.values() if isinstance(body, dict) else body if isinstance(body, list) else ()
    for value in values:
        problem = unstorable_text(value)
        if problem is not None:
            return problem
    return None


def refuse_unstorable(body: dict[str, Any], problem: str) -> web.Response:
    """Say so where the person is looking: under a form's fields, or privately after a command."""
    if body.get("type") == "view_submission":
        blocks = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        errors = {block_id: problem for block_id, fields in blocks.items() if unstorable_text(fields)}
        return web.json_response({"response_action": "errors", "errors": errors or {"form": problem}})
    if "command" in body:
        return web.json_response({"response_type": "ephemeral", "text": problem})
    return web.Response(status=200)  # a button or an event: Preflight's own values, nothing to show


def _install(bolt: AsyncApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        flow = bolt.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    return handle


def _oauth_redirect(bolt: AsyncApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        flow = bolt.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return handle
