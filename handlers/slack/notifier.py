"""Reminders into Slack: post a Card into a checklist's channel with that workspace's bot token."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import Card
from bot.checklist.views import ScopeKey
from handlers.slack.render import render_message
from storage.slack_stores import AsyncEncryptedInstallationStore

log = logging.getLogger(__name__)


class SlackNotifier:
    """The scheduler's `Notifier` for Slack. One workspace: the app's client; many: each installation's bot."""

    def __init__(self, client: AsyncWebClient, installation_store: AsyncEncryptedInstallationStore | None) -> None:
        self.client = client
        self.installation_store = installation_store

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        token = await self._token(scope.workspace_id)
        try:
            response = await self.client.chat_postMessage(channel=channel_id, token=token, **render_message(card))
        except SlackApiError as exc:
            # Archived channel, removed bot, revoked token: the slot stays claimed, the reason is logged.
            log.warning("Reminder for %s/%s not posted: %s", scope.workspace_id, channel_id, exc.response.get("error"))
            raise
        return f"{channel_id}:{response.get('ts')}"

    async def _token(self, team_id: str) -> str | None:
        if self.installation_store is None:
            return None  # single workspace: the client carries SLACK_BOT_TOKEN
        bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            raise LookupError(f"Preflight is no longer installed in Slack workspace {team_id}.")
        return bot.bot_token
