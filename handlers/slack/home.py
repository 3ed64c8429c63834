"""The App Home tab: the checklists of this workspace that the person may see, with statuses and actions.

A checklist shows when the person owns it or its channel is public; a private channel's checklist stays
out of everyone else's Home. Buttons act on the checklist's channel: their values carry the channel id.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import Actions, Card, Context
from bot.checklist.service import ChecklistService
from bot.conversation import messages as m
from handlers.slack import texts
from handlers.slack.directory import ChannelDirectory
from handlers.slack.modals import render_home
from handlers.slack.origin import HOME_VALUE_SEPARATOR, PLATFORM


def for_channel(card: Card, channel_id: str) -> Card:
    """The card with every button bound to `channel_id` (Home buttons have no channel of their own)."""
    blocks = tuple(
        Actions(
            tuple(
                replace(b, value=f"{channel_id}{HOME_VALUE_SEPARATOR}{b.value}") if b.url is None else b
                for b in block.buttons
            )
        )
        if isinstance(block, Actions)
        else block
        for block in card.blocks
    )
    return replace(card, blocks=blocks)


async def build_home(
    service: ChecklistService, channels: ChannelDirectory, client: AsyncWebClient, team_id: str, user_id: str
) -> dict[str, Any]:
    cards: list[Card] = []
    for view in await asyncio.to_thread(service.checklists_in, PLATFORM, team_id):
        channel = await channels.info(client, team_id, view.scope.channel_id)
        owner = view.is_owner(user_id)
        if not owner and channel.is_private:
            continue
        status = await asyncio.to_thread(service.status, view.id)
        where = f"#{channel.name}" if channel.visible else "a private channel"
        role = "You are an owner." if owner else "Owners: " + ", ".join(o.name for o in view.owners) + "."
        card = for_channel(m.checklist_card(status), view.scope.channel_id)
        cards.append(replace(card, blocks=(Context(f"In {where}. {role}"), *card.blocks)))
    if not cards:
        cards.append(Card(blocks=(Context(texts.HOME_EMPTY),), fallback=texts.HOME_EMPTY))
    return render_home(cards, title="Preflight")
