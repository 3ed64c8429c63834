"""The Slack surface: turns slash commands, button presses and form submissions into intents, runs them
through the conversation, and shows the replies in Slack.

Listeners acknowledge Slack first and hand the work here (as background tasks), so the 3-second rule holds
however long QuickBooks and Finale take. Slow intents first show "checking…", in place of the message
whose button was pressed or as a new message, and the result then replaces it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Core
from bot.cards import Actions, Button, Card, Form, Reply, Style, Text
from bot.checklist.views import Actor, ChecklistView
from bot.conversation import messages as m
from bot.conversation.intents import Intent
from handlers.slack import texts
from handlers.slack.delivery import Delivery
from handlers.slack.directory import ChannelDirectory, UserDirectory
from handlers.slack.home import build_home
from handlers.slack.middleware import CONTEXT_KEY, SeenEvents
from handlers.slack.origin import PLATFORM, FormMetadata, Origin
from handlers.slack.render import render_modal
from handlers.slack.tasks import BackgroundTasks

log = logging.getLogger(__name__)

# `owners add` with a Slack mention, as Slack sends it when the command escapes mentions.
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


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
        # The app-wide client: Slack's base URL and retry handlers; a token only in single-workspace mode.
        self.client = client
        self.installation_store = installation_store
        self.install_url = install_url
        self.tasks = BackgroundTasks()
        self.users = UserDirectory()
        self.channels = ChannelDirectory()
        self.seen_events = SeenEvents()

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

    async def command(self, client: AsyncWebClient, origin: Origin, text: str) -> None:
        intent = self.conversation.from_text(text, self._actor(origin), origin.scope)
        await self.perform(client, origin, intent)

    async def press(self, client: AsyncWebClient, origin: Origin, action: str, value: str) -> None:
        intent = Intent(action, self._actor(origin), origin.scope, arg=value)
        await self.perform(client, origin, intent)

    async def submit(
        self, client: AsyncWebClient, origin: Origin, action: str, context: str, values: Mapping[str, str | None]
    ) -> None:
        intent = Intent(action, self._actor(origin), origin.scope, arg=context, values=dict(values))
        await self.perform(client, origin, intent)

    def _actor(self, origin: Origin) -> Actor:
        return origin.actor(self.users.cached(origin.team_id, origin.user_id))

    # ------------------------------------------------------------------ the walk

    async def perform(self, client: AsyncWebClient, origin: Origin, intent: Intent) -> None:
        """Run one intent and show its reply; every failure ends in a message that says what happened."""
        delivery = Delivery(client, origin, install_url=self.install_url)
        placeholder: str | None = None
        try:
            prepared = await self._prepare(client, origin, replace(intent, origin=origin.as_context()), delivery)
            if prepared is None:
                return
            intent = prepared
            if self.conversation.is_slow(intent):
                # Recorded answers carry the name people know; fetched now, while Slack already has its ack.
                name = await self.users.name(client, origin.team_id, origin.user_id, origin.user_name)
                intent = replace(intent, actor=origin.actor(name))
                placeholder = await delivery.progress(self.conversation.progress(intent))
            reply = await self.conversation.handle(intent)
            cards = list(reply.cards)
            if reply.form_errors:
                cards.append(_form_errors_card(intent, reply))
            if intent.name == "owners" and not intent.arg:
                cards.append(_add_owner_card())
            if reply.form is not None:
                await self.open_form(client, origin, reply.form, delivery)
            await delivery.reply(cards, placeholder)
        except Exception:
            # Never the intent's values in the log: a Finale secret may be among them.
            log.exception("Preflight could not finish %r in %s/%s", intent.name, origin.team_id, origin.channel_id)
            if placeholder is not None:
                await delivery.release(placeholder)
            await delivery.ephemeral(m.notice(texts.UNEXPECTED))
        if origin.from_home:
            await self.publish_home(client, origin.team_id, origin.user_id)

    async def _prepare(
        self, client: AsyncWebClient, origin: Origin, intent: Intent, delivery: Delivery
    ) -> Intent | None:
        """Slack's part of an intent: whom `owners add` names. None when already answered."""
        words = intent.arg.split(maxsplit=1)
        if intent.name != "owners" or len(words) != 2 or words[0].lower() != "add":
            return intent
        mention = MENTION.fullmatch(words[1].strip())
        if mention is None:
            # A plain "@dana" names nobody in particular: Slack's user picker gives the exact person.
            await delivery.ephemeral(_add_owner_card(texts.PICK_A_PERSON))
            return None
        user_id = mention.group(1)
        name = await self.users.name(client, origin.team_id, user_id, user_id)
        safe = re.sub(r"[<>|]", "", name) or user_id
        return replace(intent, arg=f"add <@{user_id}|{safe}>")

    async def open_form(self, client: AsyncWebClient, origin: Origin, form: Form, delivery: Delivery) -> None:
        """Open a modal for `form`; it remembers its channel, so the submission lands in the right checklist."""
        view = render_modal(form, private_metadata=FormMetadata(origin.channel_id, form.context).encode())
        await self.open_view(client, origin, view, delivery)

    async def open_view(self, client: AsyncWebClient, origin: Origin, view: dict[str, Any], delivery: Delivery) -> None:
        if origin.trigger_id is None:
            await delivery.ephemeral(m.notice(texts.TRIGGER_EXPIRED))
            return
        try:
            await client.views_open(trigger_id=origin.trigger_id, view=view)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.info("views.open failed: %s", error)
            text = texts.TRIGGER_EXPIRED if error in ("expired_trigger_id", "invalid_trigger_id") else texts.UNEXPECTED
            await delivery.ephemeral(m.notice(text))

    # ------------------------------------------------------------------ App Home

    async def publish_home(self, client: AsyncWebClient, team_id: str, user_id: str) -> None:
        try:
            view = await build_home(self, client, team_id, user_id)
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
        delivery = Delivery(client, origin, install_url=self.install_url)
        await delivery.post(m.notice(texts.qbo_connected(view.qbo_company or view.company_label, name), private=False))
        await self.perform(client, origin, Intent("check", origin.actor(name), origin.scope, arg="admin-access"))

    def forget_team(self, team_id: str) -> None:
        self.users.forget_team(team_id)
        self.channels.forget_team(team_id)


def _form_errors_card(intent: Intent, reply: Reply) -> Card:
    """Errors found after the form closed (e.g. by QuickBooks itself): say what, and offer the form again."""
    lines = "\n".join(f"- {message}" for message in reply.form_errors.values())
    form_id = intent.name.removeprefix("submit_")
    value = f"{form_id}:{intent.arg}" if intent.arg else form_id
    return Card(
        blocks=(
            Text(f"**Nothing was changed.**\n{lines}"),
            Actions((Button(texts.FORM_AGAIN, "open_form", value, Style.PRIMARY),)),
        ),
        fallback="Nothing was changed: " + "; ".join(reply.form_errors.values()),
        private=True,
    )


def _add_owner_card(text: str = "Owners can confirm, acknowledge and change answers.") -> Card:
    return Card(
        blocks=(Text(text), Actions((Button(texts.ADD_OWNER, "add_owner"),))),
        fallback=text,
        private=True,
    )
