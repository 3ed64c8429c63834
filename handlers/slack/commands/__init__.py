"""Slash commands: `/preflight <sub-command>`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.commands.preflight import COMMAND, preflight_command


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(preflight_command)
