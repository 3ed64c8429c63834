"""The "Add an owner…" button: a modal with Slack's user picker, so the new owner is exactly that person."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.delivery import Delivery
from handlers.slack.origin import Origin, from_action
from handlers.slack.surface import SlackSurface
from handlers.slack.views.add_owner import add_owner_modal

ACTION = "add_owner"


async def on_add_owner_button(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    surface = SlackSurface.of(context)
    origin, _ = from_action(body, "")
    surface.spawn(_open(surface, client, origin), name="slack:add_owner")


async def _open(surface: SlackSurface, client: AsyncWebClient, origin: Origin) -> None:
    delivery = Delivery(client, origin, install_url=surface.install_url)
    await surface.open_view(client, origin, add_owner_modal(origin.channel_id), delivery)
