"""Buttons that open a form (enable date, backup, Finale balance, not applicable, a new owner) or connect a
source."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.actions.press import press

ACTIONS = ("open_form", "connect", "add_owner")


async def on_open_form_button(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # The trigger_id is good for 3 seconds: the form opens right after the ack, before any slow work.
    await press(ack, body, client, context)
