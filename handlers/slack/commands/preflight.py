"""`/preflight start|status|check|next|explain|enable-date|backup|connect|report|help|…`

Unknown sub-commands get the help card; the conversation parses the text, exactly as on other surfaces.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.origin import from_command
from handlers.slack.surface import SlackSurface

COMMAND = "/preflight"


async def preflight_command(
    ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # An empty ack shows nothing; the answer follows as real messages, which can be updated in place.
    await ack()
    surface = SlackSurface.of(context)
    origin = from_command(command)
    surface.spawn(surface.command(client, origin, str(command.get("text") or "")), name="slack:/preflight")
