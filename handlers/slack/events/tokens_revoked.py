"""Some of Preflight's tokens in a workspace were revoked: delete them from the installation store."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners

from handlers.slack.surface import SlackSurface

log = logging.getLogger(__name__)


async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    surface = SlackSurface.of(context)
    surface.spawn(_forget(surface, event, context), name="slack:tokens_revoked")


async def _forget(surface: SlackSurface, event: dict[str, Any], context: AsyncBoltContext) -> None:
    if surface.installation_store is not None:
        await AsyncTokenRevocationListeners(surface.installation_store).handle_tokens_revoked_events(event, context)
    surface.forget_team(context.team_id or "")
    log.info("Slack team %s revoked Preflight tokens: %s", context.team_id, sorted(event.get("tokens") or {}))
