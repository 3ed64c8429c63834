"""Buttons that move the walk on: check, re-check, next step, the revenue answer, the journal, the CSV."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.actions.press import press

ACTIONS = ("check", "recheck", "next", "step", "revenue", "journal", "export")


async def on_step_button(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await press(ack, body, client, context)
