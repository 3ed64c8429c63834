"""Reminders into Teams: a proactive message through the conversation reference stored when Preflight last
heard from that chat or channel. A removed bot or a deleted chat (403/404) pauses the checklist's reminders."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from botbuilder.schema import ConversationParameters

from bot.cards import Card
from bot.checklist.views import ScopeKey
from bot.reminders.notify import ChannelGone, RetryLater
from handlers.teams.delivery import Connector, card_activity
from handlers.teams.origin import TeamsOrigin
from handlers.teams.render import fallback_text, render_card

if TYPE_CHECKING:
    from botbuilder.core import TurnContext

FindOrigin = Callable[[str, str], Awaitable[TeamsOrigin | None]]

log = logging.getLogger(__name__)
GONE = {403: "Preflight was removed from this conversation, or may no longer post in it", 404: "the chat is gone"}


class TeamsNotifier:
    def __init__(self, connector: Connector, find_origin: FindOrigin) -> None:
        self.connector = connector
        self.find_origin = find_origin

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        origin = await self.find_origin(scope.workspace_id, channel_id)
        if origin is None:
            raise ChannelGone("Preflight has no way to reach this Teams conversation (it was never added there).")
        sent: list[str] = []
        activity = card_activity(render_card(card), fallback_text(card))

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            if response is not None and response.id:
                sent.append(response.id)

        async def created(context: TurnContext) -> None:
            # The new thread's first message is the reminder itself; its id is the thread's.
            conversation_id = str(context.activity.conversation.id or "")
            sent.append(conversation_id.partition(";messageid=")[2] or conversation_id)

        try:
            if origin.channel_id is not None:
                # A new top-level post: continuing the stored reference would answer inside an old thread.
                parameters = ConversationParameters(
                    is_group=True,
                    channel_data={"channel": {"id": origin.channel_id}},
                    activity=activity,
                    tenant_id=origin.tenant_id or None,
                )
                await self.connector.adapter.create_conversation(
                    self.connector.app_id or None,
                    created,
                    parameters,
                    "msteams",
                    origin.reference.service_url,
                )
            else:
                await self.connector.run(origin.reference, send)
        except Exception as exc:
            status = _status(exc)
            if status in GONE:
                log.warning("Teams reminder for %s/%s not posted (%s): pausing", scope.workspace_id, channel_id, status)
                raise ChannelGone(GONE[status]) from None
            log.warning("Teams reminder for %s/%s not posted: %s", scope.workspace_id, channel_id, type(exc).__name__)
            raise RetryLater(f"Teams answered {status or type(exc).__name__}") from None
        return f"{channel_id}:{sent[0]}" if sent else None


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return int(code) if isinstance(code, int) else None
