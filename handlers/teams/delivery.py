"""Answering one Teams request: the turn's `Delivery` over the Bot Framework connector.

Every post goes through `continue_conversation` with the conversation reference of the request, so the
answer reaches the same chat (or the same channel thread) whether the request is still open or long
answered: checks take longer than Teams waits for an HTTP reply.

- Public and private cards alike are posted in the conversation: Teams has no messages only one person sees
  in a channel. Cards carry no secret, so nothing private is exposed.
- "Checking…" replaces the card whose button was pressed, and the result replaces "Checking…".
- Files go out as a short-lived signed link (Teams lets a bot attach files only through the file consent flow
  of personal chats).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ConversationReference

from bot.cards import Actions, Button, Card, Form, PersonField, Text
from bot.checklist.views import Actor
from handlers.teams.files import Downloads
from handlers.teams.forms import render_form
from handlers.teams.origin import TeamsOrigin
from handlers.teams.render import fallback_text, render_card

log = logging.getLogger(__name__)
T = TypeVar("T")
Restore = Callable[[TeamsOrigin], Awaitable[Card | None]]


class Connector:
    """Runs work inside a conversation, during a request or long after it (proactively)."""

    def __init__(self, adapter: CloudAdapter, app_id: str) -> None:
        self.adapter = adapter
        self.app_id = app_id

    async def run(self, reference: ConversationReference, work: Callable[[TurnContext], Awaitable[T]]) -> T | None:
        result: list[T] = []

        async def callback(context: TurnContext) -> None:
            result.append(await work(context))

        await self.adapter.continue_conversation(reference, callback, bot_app_id=self.app_id or None)
        return result[0] if result else None


def card_activity(card: dict[str, Any], summary: str) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = summary  # what a notification shows
    return activity


class TeamsDelivery:
    def __init__(self, connector: Connector, files: Downloads, origin: TeamsOrigin, restore: Restore) -> None:
        self.connector = connector
        self.files = files
        self.origin = origin
        self.restore = restore

    async def _in_conversation(self, work: Callable[[TurnContext], Awaitable[T]]) -> T | None:
        return await self.connector.run(self.origin.reference, work)

    async def identify(self, actor: Actor) -> Actor:
        return actor  # Teams sends the person's display name with every activity

    async def progress(self, card: Card) -> str | None:
        pressed = self.origin.pressed_id
        if pressed is not None and await self.update(pressed, card):
            return pressed
        return await self.post(card)

    async def post(self, card: Card) -> str | None:
        return await self.send_card(render_card(card), fallback_text(card))

    async def send_card(self, card: dict[str, Any], summary: str) -> str | None:
        async def send(context: TurnContext) -> str | None:
            response = await context.send_activity(card_activity(card, summary))
            return response.id if response is not None else None

        try:
            return await self._in_conversation(send)
        except Exception as exc:
            # The conversation refused (bot removed, chat deleted): logged, never a crash of the turn.
            log.warning("Teams refused a Preflight message in %s: %s", self.origin.conversation_key, _reason(exc))
            return None

    async def update(self, ref: str, card: Card) -> bool:
        return await self.replace_card(ref, render_card(card), fallback_text(card))

    async def replace_card(self, ref: str, card: dict[str, Any], summary: str) -> bool:
        """Replace message `ref`; False when Teams will not (the message is gone): the turn posts anew."""

        async def update(context: TurnContext) -> bool:
            activity = card_activity(card, summary)
            activity.id = ref
            await context.update_activity(activity)
            return True

        try:
            return bool(await self._in_conversation(update))
        except Exception as exc:
            log.info("Could not update Teams message %s: %s", ref, _reason(exc))
            return False

    async def private(self, card: Card) -> None:
        await self.post(card)

    async def attach(self, card: Card) -> None:
        for attachment in card.attachments:
            url = await self.files.link(attachment)
            label = attachment.title or attachment.filename
            notice = Card(
                blocks=(
                    Text(f"**{label}**: the complete list as CSV. The link works for an hour."),
                    Actions((Button(f"Download {attachment.filename}", "download", url=url),)),
                ),
                fallback=f"Download {attachment.filename}",
            )
            await self.post(notice)

    async def open_form(self, form: Form) -> None:
        people = await self.members() if any(isinstance(f, PersonField) for f in form.fields) else None
        await self.send_card(render_form(form, people=people), form.title)

    async def release(self, ref: str) -> None:
        """Nothing replaced "checking…": show the pressed card's step as it stands now, else remove it."""
        restored = await self.restore(self.origin)
        if ref == self.origin.pressed_id and restored is not None and await self.update(ref, restored):
            return

        async def delete(context: TurnContext) -> None:
            await context.delete_activity(ref)

        try:
            await self._in_conversation(delete)
        except Exception as exc:
            log.info("Could not tidy up Teams message %s: %s", ref, _reason(exc))

    async def members(self) -> list[tuple[str, str]]:
        """The conversation's people as (AAD object id, name), for the people picker."""
        from botbuilder.core.teams import TeamsInfo

        async def fetch(context: TurnContext) -> list[tuple[str, str]]:
            # A proactive turn's activity carries no channel data; the conversation's members are the people.
            context.activity.channel_data = context.activity.channel_data or {}
            people: list[tuple[str, str]] = []
            token: str | None = None
            while True:
                page = await TeamsInfo.get_paged_members(context, token, 100)
                for member in page.members or []:
                    user_id = member.aad_object_id or member.id
                    if user_id and user_id != self.origin.reference.bot.id:
                        people.append((str(user_id), str(member.name or user_id)))
                token = page.continuation_token
                if not token or len(people) >= 100:
                    return people

        try:
            return await self._in_conversation(fetch) or []
        except Exception as exc:
            log.info("Could not list the members of %s: %s", self.origin.conversation_key, _reason(exc))
            return []


def _reason(exc: Exception) -> str:
    """What the connector said, without the request (its headers carry the bot's token)."""
    error = getattr(exc, "error", None)
    code = getattr(getattr(error, "error", None), "code", None)
    return f"{type(exc).__name__}{f' ({code})' if code else ''}"
