"""`/preflight start|status|check|next|explain|enable-date|backup|connect|report|help|…`

Unknown sub-commands get the help card; the conversation parses the text, exactly as on other surfaces.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.origin import from_command
from handlers.slack.requests import Pending, command_key
from handlers.slack.surface import SlackSurface

COMMAND = "/preflight"


async def preflight_command(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    request: AsyncBoltRequest,
) -> None:
    surface = SlackSurface.of(context)
    origin = from_command(command)
    text = str(command.get("text") or "")
    intent = surface.conversation.from_text(text, origin.actor(), origin.scope)
    pending = Pending("command", intent.name, origin, text=text)
    # Kept before the ack: a retry or replay of this very request is recognised, and a crash loses nothing.
    key = command_key(request.raw_body, command)
    first = await surface.durable.admit(key, pending)
    if first:
        pending = await surface.durable.show_progress(client, key, pending, intent)
    # An empty ack shows nothing; the answer follows as real messages, which can be updated in place.
    await ack()
    if first:
        surface.durable.run(client, key, pending)
