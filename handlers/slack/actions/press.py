"""What every Preflight button does after Slack has its ack: the press becomes an intent."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.origin import from_action
from handlers.slack.render import parse_action_id
from handlers.slack.surface import SlackSurface


def press(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
    surface = SlackSurface.of(context)
    action = (body.get("actions") or [{}])[0]
    name = parse_action_id(str(action.get("action_id") or "")) or "unknown"
    origin, value = from_action(body, str(action.get("value") or ""))
    surface.spawn(surface.press(client, origin, name, value), name=f"slack:button:{name}")
