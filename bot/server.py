"""The one aiohttp application every surface shares.

    GET  /qbo/callback         where Intuit sends someone back after connecting QuickBooks Online
    GET  /healthz              liveness and database reachability, for load balancers

and whatever each running surface mounts (bot/surfaces.py): Slack's `/slack/events`, `/slack/install` and
`/slack/oauth_redirect`, Teams' `/api/messages`. `preflight serve` runs it.
"""

from __future__ import annotations

import asyncio
import html
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger, BaseRequest, StreamResponse

from bot.app import Core, freeze_startup_objects
from bot.checklist.errors import ChecklistError
from bot.settings import Settings
from bot.surfaces import ServeOptions, Surface, SurfacePlugin, notifier_for
from checks.sources.errors import SourceError
from storage.db import ping

if TYPE_CHECKING:
    from bot.reminders.delivery import Timing

log = logging.getLogger(__name__)

CORE = web.AppKey("core", Core)
SURFACES = web.AppKey("surfaces", dict[str, Surface])
QBO_CALLBACK_PATH = "/qbo/callback"

EVENT_LOOP_SWITCH_INTERVAL = 0.0005  # seconds
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(core: Core, surfaces: Sequence[Surface] = ()) -> web.Application:
    """The server's own routes, plus those each surface mounts."""
    app = web.Application(client_max_size=1024 * 1024)
    app[CORE] = core
    app[SURFACES] = {surface.platform: surface for surface in surfaces}
    app.on_startup.append(_favour_the_event_loop)
    app.on_startup.append(_start_check_workers)
    app.on_cleanup.append(_stop_check_workers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(QBO_CALLBACK_PATH, qbo_callback)
    for surface in surfaces:
        surface.mount(app)
    return app


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
    surface = request.app[SURFACES].get(context.get("surface", ""))
    if surface is not None:
        await surface.qbo_connected(view, context)
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


def reminder_timing(settings: Settings) -> Timing:
    from bot.reminders.delivery import Timing
    from bot.reminders.scheduler import MISFIRE_GRACE

    return Timing(
        lease=timedelta(seconds=settings.reminder_lease_seconds),
        sweep_every=timedelta(seconds=settings.reminder_sweep_seconds),
        grace=MISFIRE_GRACE,
        concurrency=settings.reminder_concurrency,
    )


def run_server(
    settings: Settings,
    plugins: Sequence[SurfacePlugin],
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    options: ServeOptions | None = None,
) -> None:
    """Build everything from the settings and serve until interrupted."""
    options = options or ServeOptions()
    from bot.app import build_core
    from bot.reminders.scheduler import Reminders
    from bot.sources import LiveSources
    from bot.surfaces import SurfaceConfigurationError

    core = build_core(settings, LiveSources(settings))
    surfaces = [s for s in (plugin.build(core, settings, options) for plugin in plugins) if s is not None]
    if not surfaces:
        names = ", ".join(plugin.name for plugin in plugins)
        raise SurfaceConfigurationError(f"No chat surface is configured ({names}): set the variables of one.")
    app = create_app(core, surfaces)
    reminders = Reminders(core.service, notifier_for(surfaces), timing=reminder_timing(settings))

    async def start_reminders(_: web.Application) -> None:
        await reminders.start()  # rebuilds every checklist's job from the database

    async def stop_reminders(_: web.Application) -> None:
        await reminders.shutdown()

    app.on_startup.append(start_reminders)
    app.on_cleanup.append(stop_reminders)
    log.info("Preflight serving on %s:%s (%s)", host, port, ", ".join(s.platform for s in surfaces))
    web.run_app(app, host=host, port=port, access_log_class=PathOnlyAccessLogger, print=None)
