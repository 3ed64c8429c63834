"""Preflight was removed from a workspace: forget its installation (and with it the bot token).

Checklists and their confirmation history stay: they are the audit trail, and a reinstall picks them up.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners

from handlers.slack.surface import SlackSurface

log = logging.getLogger(__name__)


async def on_app_uninstalled(context: AsyncBoltContext) -> None:
    surface = SlackSurface.of(context)
    surface.spawn(_forget(surface, context), name="slack:app_uninstalled")


async def _forget(surface: SlackSurface, context: AsyncBoltContext) -> None:
    team_id = context.team_id or ""
    if surface.installation_store is not None:
        await AsyncTokenRevocationListeners(surface.installation_store).handle_app_uninstalled_events(context)
    surface.forget_team(team_id)
    log.info("Preflight was uninstalled from Slack team %s; its installation was deleted", team_id)
