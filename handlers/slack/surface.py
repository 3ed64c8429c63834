"""The Slack surface: turns slash commands, button presses and form submissions into intents and hands each
to the conversation's turn (bot/conversation/turn.py) with a SlackDelivery.

Listeners acknowledge Slack first and hand the work here (as background tasks), so the 3-second rule holds
however long QuickBooks and Finale take. What is Slack's own stays here: Slack mentions become people, App
Home is published again after a press there, and QuickBooks connections are announced in the channel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Core
from bot.checklist.views import Actor, ChecklistView
from bot.conversation import messages as m
from bot.conversation.intents import Intent
from bot.conversation.turn import Turn
from bot.requests import RequestLog
from bot.tasks import BackgroundTasks
from handlers.slack import texts
from handlers.slack.delivery import SlackDelivery
from handlers.slack.directory import ChannelDirectory, UserDirectory
from handlers.slack.durable import DurableRequests
from handlers.slack.home import build_home
from handlers.slack.middleware import CONTEXT_KEY
from handlers.slack.origin import PLATFORM, Origin

log = logging.getLogger(__name__)

# A Slack mention, as Slack sends it when the command escapes mentions: `<@U123>` or `<@U123|dana>`.
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def replica_name() -> str:
    """Who holds a request's lease: this process, unique even when a host runs several."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SlackSurface:
    def __init__(
        self,
        core: Core,
        *,
        client: AsyncWebClient,
        installation_store: AsyncInstallationStore | None = None,
        install_url: str = "",
    ) -> None:
        self.core = core
        self.service = core.service
        self.conversation = core.conversation
        self.turn = Turn(core.conversation)
        # The app-wide client: Slack's base URL and retry handlers; a token only in single-workspace mode.
        self.client = client
        self.installation_store = installation_store
        self.install_url = install_url
        self.tasks = BackgroundTasks()
        self.users = UserDirectory()
        self.channels = ChannelDirectory()
        lease = timedelta(seconds=core.settings.request_lease_seconds)
        self.requests = RequestLog(core.sessions, owner=replica_name(), lease=lease)
        self.durable = DurableRequests(self)

    @staticmethod
    def of(context: Mapping[str, Any]) -> SlackSurface:
        surface = context[CONTEXT_KEY]
        assert isinstance(surface, SlackSurface)
        return surface

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        self.tasks.spawn(work, name=name)

    async def close(self) -> None:
        await self.tasks.close()

    # ------------------------------------------------------------------ entry points (after ack)

    async def command(self, client: AsyncWebClient, origin: Origin, text: str, key: str | None = None) -> None:
        intent = self.conversation.from_text(text, self._actor(origin), origin.scope)
        await self.perform(client, origin, await self._with_mentions(client, origin, intent), key)

    async def press(
        self, client: AsyncWebClient, origin: Origin, action: str, value: str, key: str | None = None
    ) -> None:
        await self.perform(client, origin, Intent(action, self._actor(origin), origin.scope, arg=value), key)

    async def submit(
        self,
        client: AsyncWebClient,
        origin: Origin,
        action: str,
        context: str,
        values: Mapping[str, str | None],
        picked: Mapping[str, str],
        key: str | None = None,
    ) -> None:
        people = {name: await self._person(client, origin, user_id) for name, user_id in picked.items()}
        intent = Intent(action, self._actor(origin), origin.scope, arg=context, values=dict(values), people=people)
        await self.perform(client, origin, intent, key)

    def _actor(self, origin: Origin) -> Actor:
        return origin.actor(self.users.cached(origin.team_id, origin.user_id))

    async def _person(self, client: AsyncWebClient, origin: Origin, user_id: str) -> Actor:
        return Actor(user_id, await self.users.name(client, origin.team_id, user_id, user_id))

    async def _with_mentions(self, client: AsyncWebClient, origin: Origin, intent: Intent) -> Intent:
        """`owners add <@U123>`: the mentioned person, by user id, becomes the intent's new owner."""
        words = intent.arg.split(maxsplit=1)
        if intent.name != "owners" or len(words) != 2 or words[0].lower() != "add":
            return intent
        mention = MENTION.fullmatch(words[1].strip())
        if mention is None:
            return intent  # a plain "@dana" names nobody in particular: the conversation offers the picker
        return replace(intent, arg="add", people={"owner": await self._person(client, origin, mention.group(1))})

    # ------------------------------------------------------------------ the walk

    def delivery(self, client: AsyncWebClient, origin: Origin, key: str | None = None) -> SlackDelivery:
        async def placed(ref: str) -> None:
            if key is not None:
                await asyncio.to_thread(self.requests.placeholder, key, ref)

        return SlackDelivery(client, origin, install_url=self.install_url, users=self.users, placed=placed)

    async def perform(self, client: AsyncWebClient, origin: Origin, intent: Intent, key: str | None = None) -> None:
        """Run one intent through the turn; a press in App Home shows the new state there too."""
        await self.turn.run(replace(intent, origin=origin.as_context()), self.delivery(client, origin, key))
        if origin.from_home:
            await self.publish_home(client, origin.team_id, origin.user_id)

    # ------------------------------------------------------------------ App Home

    async def publish_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> None:
        try:
            view = await build_home(self.service, self.channels, client, team_id, user_id)
            await client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            log.warning("App Home for %s not published: %s", user_id, exc.response.get("error"))

    # ------------------------------------------------------------------ outside a Slack request

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        """A client with the team's bot token (from the installation store), or None if not installed."""
        if self.installation_store is None:
            return self.client
        bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        return AsyncWebClient(
            token=bot.bot_token,
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            retry_handlers=list(self.client.retry_handlers),
        )

    async def qbo_connected(self, view: ChecklistView, context: Mapping[str, str]) -> None:
        """After the Intuit callback: say so in the checklist's channel and check admin access at once."""
        if view.scope.platform != PLATFORM:
            return
        team_id, channel_id = view.scope.workspace_id, view.scope.channel_id
        client = await self.client_for(team_id)
        if client is None:
            log.warning("QuickBooks connected for team %s, but Preflight is no longer installed there", team_id)
            return
        user_id = context.get("user_id") or ""
        name = await self.users.name(client, team_id, user_id, user_id) if user_id else "Someone"
        origin = Origin(team_id=team_id, channel_id=channel_id, user_id=user_id, user_name=name)
        delivery = self.delivery(client, origin)
        await delivery.post(m.notice(texts.qbo_connected(view.qbo_company or view.company_label, name), private=False))
        await self.perform(client, origin, Intent("check", origin.actor(name), origin.scope, arg="admin-access"))

    def forget_team(self, team_id: str) -> None:
        self.users.forget_team(team_id)
        self.channels.forget_team(team_id)
