"""The one aiohttp application every surface shares.

    POST /slack/events         slash commands, buttons, modals and events (Bolt checks Slack's signature)
    GET  /slack/install        "Add to Slack" (OAuth install, when SLACK_CLIENT_ID/SECRET are set)
    GET  /slack/oauth_redirect where Slack sends the installing admin back
    GET  /qbo/callback         where Intuit sends someone back after connecting QuickBooks Online
    GET  /healthz              liveness and database reachability, for load balancers

`preflight serve` runs it (HTTP mode); `preflight serve --socket` receives Slack's requests over Socket
Mode instead and serves only the other routes.
"""

from __future__ import annotations

import asyncio
import html
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger, BaseRequest, StreamResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.app import Core, freeze_startup_objects
from bot.checklist.errors import ChecklistError
from bot.settings import Settings
from checks.sources.errors import SourceError
from handlers.slack.app import SlackApp
from storage.db import ping

log = logging.getLogger(__name__)

CORE = web.AppKey("core", Core)
SLACK = web.AppKey("slack", SlackApp)
SLACK_EVENTS_PATH = "/slack/events"
QBO_CALLBACK_PATH = "/qbo/callback"

EVENT_LOOP_SWITCH_INTERVAL = 0.0005  # seconds
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(core: Core, *, slack: SlackApp | None = None, slack_over_http: bool = True) -> web.Application:
    """The server's routes. `slack_over_http=False` (Socket Mode) leaves Slack's HTTP endpoints out."""
    app = web.Application(client_max_size=1024 * 1024)
    app[CORE] = core
    app.on_startup.append(_favour_the_event_loop)
    app.on_startup.append(_start_check_workers)
    app.on_cleanup.append(_stop_check_workers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(QBO_CALLBACK_PATH, qbo_callback)
    if slack is not None:
        app[SLACK] = slack
        if slack_over_http:
            app.router.add_post(SLACK_EVENTS_PATH, _slack_events(slack))
            flow = slack.bolt.oauth_flow
            if flow is not None:
                app.router.add_get(flow.install_path, _slack_install(slack))
                app.router.add_get(flow.redirect_uri_path, _slack_oauth_redirect(slack))

        async def close_slack(_: web.Application) -> None:
            await slack.close()

        app.on_cleanup.append(close_slack)
    return app


# ---------------------------------------------------------------------------------------------- Slack


def _slack_events(slack: SlackApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        # Bolt verifies X-Slack-Signature over the raw body and rejects timestamps older than 5 minutes.
        response = await slack.bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    return handle


def _slack_install(slack: SlackApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        flow = slack.bolt.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    return handle


def _slack_oauth_redirect(slack: SlackApp) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        flow = slack.bolt.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return handle


# ---------------------------------------------------------------------------------------- QuickBooks


async def qbo_callback(request: web.Request) -> web.StreamResponse:
    """Intuit's redirect after someone authorised (or refused) Preflight. Always a page that says what
    happened and what to do; never a stack trace."""
    query = request.query
    again = "Ask for a new link with <code>/preflight connect qbo</code> in the checklist's channel."
    if query.get("error"):
        reason = "You cancelled in QuickBooks" if query.get("error") == "access_denied" else "QuickBooks refused"
        return page(400, "QuickBooks is not connected", f"{reason}, so nothing changed. {again}")
    state, code = query.get("state", ""), query.get("code", "")
    if not state or not code:
        return page(400, "QuickBooks is not connected", f"This link is incomplete, so nothing changed. {again}")
    core = request.app[CORE]
    try:
        view, context = await core.service.complete_qbo_connect(state, code, query.get("realmId", ""))
    except ChecklistError as exc:
        return page(400, "QuickBooks is not connected", html.escape(exc.message))
    except SourceError as exc:
        log.warning("QuickBooks connection failed at the code exchange: %s", exc.detail or exc.message)
        return page(502, "QuickBooks is not connected", f"{html.escape(exc.message)} Nothing was saved. {again}")
    except Exception:
        log.exception("QuickBooks callback failed")
        return page(500, "QuickBooks is not connected", f"Something went wrong on Preflight's side. {again}")
    slack = request.app.get(SLACK)
    if slack is not None and context.get("surface") == "slack":
        slack.surface.spawn(slack.surface.qbo_connected(view, context), name="slack:qbo_connected")
    company = html.escape(view.qbo_company or view.company_label)
    return page(
        200,
        "QuickBooks Online is connected",
        f"Preflight is connected to <strong>{company}</strong>. You can close this tab; the checklist's "
        "channel shows the next step.",
    )


async def _favour_the_event_loop(_: web.Application) -> None:
    """Status reads and stored results are decoded in worker threads; a shorter GIL switch interval (5 ms by
    default) lets the event loop answer Slack within its 3 seconds, and quickly, meanwhile. What was built at
    start stays out of the garbage collector's way."""
    sys.setswitchinterval(EVENT_LOOP_SWITCH_INTERVAL)
    freeze_startup_objects()


async def _start_check_workers(app: web.Application) -> None:
    """Checks run in worker processes (bot/checklist/workers.py): their fork server starts now, not with the
    first check someone asks for."""
    await asyncio.to_thread(app[CORE].service.workers.start)


async def _stop_check_workers(app: web.Application) -> None:
    app[CORE].service.workers.close()


def page(status: int, title: str, body_html: str) -> web.Response:
    """A small self-contained HTML page. `body_html` must already be escaped."""
    document = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · Preflight</title>"
        '<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">'
        f"<h1>{html.escape(title)}</h1><p>{body_html}</p></body></html>"
    )
    return web.Response(
        status=status,
        text=document,
        content_type="text/html",
        # The URL carried a one-time code: keep it out of caches and out of any page this one links to.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


# ------------------------------------------------------------------------------------------- health


async def healthz(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]

    try:
        await asyncio.wait_for(asyncio.to_thread(ping, core.sessions), timeout=5)
    except Exception as exc:  # any database failure means "not healthy"
        log.warning("Health check: database unreachable (%s)", type(exc).__name__)
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    body: dict[str, Any] = {"status": "ok", "database": "ok", "time": datetime.now().astimezone().isoformat()}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------------------------- run


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log without query strings: the QuickBooks callback's carries a one-time code and state."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s" %s %.3fs', request.remote, request.method, request.path, response.status, time)


def run_server(settings: Settings, *, host: str = "0.0.0.0", port: int = 3000, socket_mode: bool = False) -> None:
    """Build everything from the settings and serve until interrupted."""
    from bot.app import build_core
    from bot.reminders.scheduler import Reminders
    from bot.sources import LiveSources
    from handlers.slack.app import build_slack_app

    core = build_core(settings, LiveSources(settings))
    slack = build_slack_app(core, settings, socket_mode=socket_mode)
    app = create_app(core, slack=slack, slack_over_http=not socket_mode)
    reminders = Reminders(core.service, slack.notifier())

    async def start_reminders(_: web.Application) -> None:
        await reminders.start()  # rebuilds every checklist's job from the database

    async def stop_reminders(_: web.Application) -> None:
        await reminders.shutdown()

    app.on_startup.append(start_reminders)
    app.on_cleanup.append(stop_reminders)
    if socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(slack.bolt, settings.slack_app_token.get_secret_value())

        async def connect(_: web.Application) -> None:
            await handler.connect_async()
            log.info("Connected to Slack in Socket Mode")

        async def disconnect(_: web.Application) -> None:
            await handler.close_async()

        app.on_startup.append(connect)
        app.on_shutdown.append(disconnect)
    mode = "Socket Mode" if socket_mode else ("HTTP, OAuth install" if slack.oauth else "HTTP, one workspace")
    log.info("Preflight serving on %s:%s (Slack: %s)", host, port, mode)
    web.run_app(app, host=host, port=port, access_log_class=PathOnlyAccessLogger, print=None)
