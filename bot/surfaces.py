"""What a chat surface (Slack, Teams, the console) offers the rest of Preflight, and nothing more.

The domain never imports a surface. Each surface package exposes one `SurfacePlugin`; the composition root
(`preflight/surfaces.py`) lists them, and the server, the CLI and the reminders are built from that list:
- `build` makes the running surface from the settings (None when this deployment does not use it);
- a running `Surface` mounts its routes on the one aiohttp server, posts reminders (`notifier`), and hears
  when a QuickBooks connection it asked for completes;
- `add_commands` adds its own CLI commands (the console's `demo`, Teams' `teams-package`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.cards import Card, Stamp
from bot.checklist.views import ChecklistView, ScopeKey
from bot.reminders.notify import DirectMessages, FindsPosted, Notifier

if TYPE_CHECKING:
    import typer

    from bot.app import Core
    from bot.settings import Settings

log = logging.getLogger(__name__)


class SurfaceConfigurationError(Exception):
    """A surface's settings are missing or contradict each other; the message names the variables to set."""


@dataclass(frozen=True)
class ServeOptions:
    socket_mode: bool = False  # Slack: receive requests over Socket Mode instead of HTTP


class Surface(Protocol):
    platform: str  # the ScopeKey.platform of its checklists: "slack", "teams"

    def mount(self, app: web.Application) -> None:
        """Add its routes, and its start-up and clean-up steps, to the shared server."""
        ...

    def notifier(self) -> Notifier:
        """Where this surface's reminders go."""
        ...

    async def qbo_connected(self, view: ChecklistView, context: Mapping[str, str]) -> None:
        """Someone of this surface finished connecting QuickBooks in a browser: tell the checklist. Returns at
        once (the browser waits for its page); the announcement runs in the surface's own background task."""
        ...


class SurfacePlugin(Protocol):
    name: str

    def build(self, core: Core, settings: Settings, options: ServeOptions) -> Surface | None:
        """The running surface, or None when the settings do not ask for it. Raises
        SurfaceConfigurationError when they ask for it incompletely."""
        ...

    def add_commands(self, cli: typer.Typer) -> None:
        """Add this surface's own `preflight` sub-commands, if any."""
        ...


class RoutingNotifier:
    """Reminders of each checklist go through the surface it lives on."""

    def __init__(self, notifiers: Mapping[str, Notifier]) -> None:
        self.notifiers = dict(notifiers)

    def _for(self, scope: ScopeKey) -> Notifier:
        notifier = self.notifiers.get(scope.platform)
        if notifier is None:
            raise LookupError(f"No {scope.platform} surface is running here to post reminders with.")
        return notifier

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        return await self._for(scope).post(scope, channel_id, card)

    async def find_posted(self, scope: ScopeKey, channel_id: str, stamp: Stamp) -> str | None:
        """The surface's own lookup; a surface without one cannot tell, and a re-post goes ahead."""
        notifier = self._for(scope)
        if isinstance(notifier, FindsPosted):
            return await notifier.find_posted(scope, channel_id, stamp)
        return None

    async def direct_message(self, scope: ScopeKey, user_id: str, card: Card) -> str | None:
        notifier = self._for(scope)
        if isinstance(notifier, DirectMessages):
            return await notifier.direct_message(scope, user_id, card)
        return None


def notifier_for(surfaces: Sequence[Surface]) -> RoutingNotifier:
    return RoutingNotifier({surface.platform: surface.notifier() for surface in surfaces})
