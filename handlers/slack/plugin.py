"""The Slack surface as the composition root sees it: built when any Slack setting is present."""

from __future__ import annotations

import typer

from bot.app import Core
from bot.settings import Settings
from bot.surfaces import ServeOptions, Surface


class SlackPlugin:
    name = "slack"

    def build(self, core: Core, settings: Settings, options: ServeOptions) -> Surface | None:
        from handlers.slack.app import build_slack_app

        wanted = (
            settings.slack_signing_secret,
            settings.slack_bot_token,
            settings.slack_client_id,
            settings.slack_app_token,
        )
        if not options.socket_mode and not any(wanted):
            return None  # this deployment does not use Slack
        return build_slack_app(core, settings, socket_mode=options.socket_mode)

    def add_commands(self, cli: typer.Typer) -> None:
        return None  # Slack's settings are all environment variables; it adds no command
