"""Slack's routes on the shared server, or its Socket Mode connection instead.

POST /slack/events         slash commands, buttons, modals and events (Bolt checks Slack's signature)
GET  /slack/install        "Add to Slack" (OAuth install, when SLACK_CLIENT_ID/SECRET are set)
GET  /slack/oauth_redirect where Slack sends the installing admin back
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def mount(bolt: AsyncApp, app: web.Application, *, app_token: str | None) -> None:
    if app_token is None:
        app.router.add_post(SLACK_EVENTS_PATH, _events(bolt))
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


def _events(bolt: AsyncApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        # Bolt verifies X-Slack-Signature over the raw body and rejects timestamps older than 5 minutes.
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    return handle


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
