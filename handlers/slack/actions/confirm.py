"""Confirm and acknowledge buttons.

Slack shows their confirm dialog (what exactly is confirmed, amounts and accounts included) before the
press reaches Preflight. The service records the answer only for owners; others get a private note.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.actions.press import press

ACTIONS = ("confirm", "acknowledge")


async def on_confirm_button(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await press(ack, body, client, context)
