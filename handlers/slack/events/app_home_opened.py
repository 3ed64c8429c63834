"""Publish the Home tab when someone opens it (the event also fires for the Messages tab: skipped)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.surface import SlackSurface


async def on_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab") != "home" or not event.get("user"):
        return
    surface = SlackSurface.of(context)
    team_id = str(body.get("team_id") or context.team_id or "")
    surface.spawn(surface.publish_home(client, team_id, str(event["user"])), name="slack:app_home")
