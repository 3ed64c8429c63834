"""Builds Preflight's Bolt app: one workspace with a bot token, or many through OAuth install.

- One workspace (`SLACK_BOT_TOKEN`): what Socket Mode development uses.
- Many workspaces (`SLACK_CLIENT_ID` + `SLACK_CLIENT_SECRET`): "Add to Slack" at `/slack/install`; each
  install is kept by slack_sdk's SQLAlchemy stores on Preflight's database, bot tokens encrypted.

Every Web API call goes through a client with Slack's base URL (overridable for the local stand-in) and
retry handlers: connection errors, 429s (waiting as long as Slack's Retry-After says), 5xx once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Core
from bot.checklist.views import ChecklistView
from bot.settings import Settings
from bot.surfaces import SurfaceConfigurationError
from handlers.slack import actions, commands, events, middleware, views
from handlers.slack.notifier import SlackNotifier
from handlers.slack.origin import PLATFORM
from handlers.slack.routes import mount
from handlers.slack.scopes import BOT_SCOPES
from handlers.slack.surface import SlackSurface
from storage.db import make_async_engine
from storage.slack_stores import SLACK_OAUTH_STATES_TABLE, AsyncEncryptedInstallationStore

log = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"
OAUTH_STATE_SECONDS = 600


class SlackConfigurationError(SurfaceConfigurationError):
    """Slack settings are missing or contradict each other; the message names the variables to set."""


@dataclass
class SlackApp:
    """The running Slack surface (bot/surfaces.py `Surface`)."""

    bolt: AsyncApp
    surface: SlackSurface
    engine: AsyncEngine | None = None  # the async engine of the OAuth stores, if any
    installation_store: AsyncEncryptedInstallationStore | None = None
    app_token: str | None = None  # Socket Mode: Slack's requests arrive over a WebSocket, not HTTP
    signing_secret: str = ""
    platform: str = PLATFORM

    @property
    def oauth(self) -> bool:
        return self.bolt.oauth_flow is not None

    def mount(self, app: web.Application) -> None:
        mount(self.bolt, app, app_token=self.app_token, signing_secret=self.signing_secret)
        sweeper: list[asyncio.Task[None]] = []

        async def start(_: web.Application) -> None:
            # Requests a killed replica acknowledged but never finished are taken over from here.
            every = max(0.5, min(15.0, self.surface.requests.lease.total_seconds() / 2))
            sweeper.append(asyncio.create_task(self.surface.durable.keep_sweeping(every), name="slack:sweep"))

        async def stop(_: web.Application) -> None:
            for task in sweeper:
                task.cancel()
            await asyncio.gather(*sweeper, return_exceptions=True)

        async def close(_: web.Application) -> None:
            await self.close()

        app.on_startup.append(start)
        app.on_shutdown.append(stop)
        app.on_cleanup.append(close)

    async def qbo_connected(self, view: ChecklistView, context: Mapping[str, str]) -> None:
        self.surface.spawn(self.surface.qbo_connected(view, context), name="slack:qbo_connected")

    def notifier(self) -> SlackNotifier:
        """Where reminders go: the channel, with the app's client (and each workspace's bot token)."""
        return SlackNotifier(self.bolt.client, self.installation_store)

    async def close(self) -> None:
        await self.surface.close()
        if self.engine is not None:
            await self.engine.dispose()


def slack_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    base_url = (settings.slack_api_url or SLACK_API_URL).rstrip("/") + "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def build_slack_app(core: Core, settings: Settings, *, socket_mode: bool = False) -> SlackApp:
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    signing = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if socket_mode:
        if not token or settings.slack_app_token is None:
            raise SlackConfigurationError(
                "Socket Mode needs SLACK_BOT_TOKEN (xoxb-…, from Install App) and SLACK_APP_TOKEN (xapp-…, an "
                "app-level token with connections:write)."
            )
        oauth = False  # Socket Mode is for a development app installed in one workspace
    elif not signing:
        raise SlackConfigurationError(
            "SLACK_SIGNING_SECRET is not set: without it Preflight cannot tell Slack's requests from forgeries. "
            "Copy it from the app's Basic Information page."
        )
    elif not oauth and not token:
        raise SlackConfigurationError(
            "Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (install into many)."
        )

    # Bolt logs a rejected request's whole body at INFO; a modal submission's body may hold a Finale secret.
    for name in ("slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification"):
        logging.getLogger(name).setLevel(logging.WARNING)

    engine: AsyncEngine | None = None
    kwargs: dict[str, Any] = {}
    installation_store: AsyncEncryptedInstallationStore | None = None
    public = settings.public_url.rstrip("/")
    if oauth:
        assert settings.slack_client_id and settings.slack_client_secret
        engine = make_async_engine(settings.resolved_database_url)
        installation_store = AsyncEncryptedInstallationStore(client_id=settings.slack_client_id, engine=engine)
        state_store = AsyncSQLAlchemyOAuthStateStore(
            expiration_seconds=OAUTH_STATE_SECONDS, engine=engine, table_name=SLACK_OAUTH_STATES_TABLE
        )
        kwargs["installation_store"] = installation_store
        kwargs["oauth_settings"] = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            redirect_uri=f"{public}/slack/oauth_redirect",
            installation_store=installation_store,
            state_store=state_store,
        )
        client = slack_client(settings)
    else:
        client = slack_client(settings, token)

    app = AsyncApp(
        signing_secret=signing,
        client=client,
        # Every listener acks, hands its work to a tracked background task and returns, so Bolt can answer
        # as soon as the listener returns (with False it polls for the ack every 10 ms).
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        **kwargs,
    )
    surface = SlackSurface(
        core, client=client, installation_store=installation_store, install_url=f"{public}/slack/install"
    )
    middleware.install(app, surface, surface.durable.seen_event)
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)

    @app.error
    async def on_error(error: Exception) -> None:
        # Not the request body: a modal submission may carry a Finale secret.
        log.error("A Slack listener failed: %s", type(error).__name__, exc_info=error)

    app_token = settings.slack_app_token.get_secret_value() if socket_mode and settings.slack_app_token else None
    return SlackApp(app, surface, engine, installation_store, app_token, signing_secret=signing)
