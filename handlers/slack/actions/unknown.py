"""A Preflight button this version no longer knows (from an old message): answer with help."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.actions.press import press


async def on_unknown_button(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await press(ack, body, client, context)  # the conversation answers an intent it does not know with help
