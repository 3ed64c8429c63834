"""What every Preflight button does after Slack has its ack: the press becomes an intent."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.origin import from_action
from handlers.slack.render import parse_action_id
from handlers.slack.requests import Pending, action_key
from handlers.slack.surface import SlackSurface


async def press(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Keep the press (a retry, a replay or a double click is recognised by its action_ts), ack, then run it."""
    surface = SlackSurface.of(context)
    action = (body.get("actions") or [{}])[0]
    name = parse_action_id(str(action.get("action_id") or "")) or "unknown"
    origin, value = from_action(body, str(action.get("value") or ""))
    pending = Pending("press", name, origin, value=value)
    key = action_key(body)
    first = await surface.durable.admit(key, pending)
    await ack()
    if first:
        surface.durable.run(client, key, pending)
