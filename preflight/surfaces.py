"""Every chat surface Preflight runs. A new surface is a folder under handlers/ and one line here."""

from __future__ import annotations

from bot.surfaces import SurfacePlugin
from handlers.console.plugin import ConsolePlugin
from handlers.slack.plugin import SlackPlugin
from handlers.teams.plugin import TeamsPlugin

SURFACES: tuple[SurfacePlugin, ...] = (
    SlackPlugin(),
    TeamsPlugin(),
    ConsolePlugin(),
)
