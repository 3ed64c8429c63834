"""Reminder fixtures: the production scheduler over the real service, posting into a recorded channel.

The `harness` fixture (tests/bot/conftest.py) runs on SQLite and, when reachable, PostgreSQL, with both
simulators behind the real QBO and Finale clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.cards import Card
from bot.checklist.views import ScopeKey
from bot.reminders.scheduler import Reminders
from tests.bot.harness import Harness


@dataclass
class Channel:
    """Stands in for a chat platform's channel (an external delivery service): keeps what was posted."""

    name: str = "slack"
    posts: list[tuple[ScopeKey, str, Card]] = field(default_factory=list)

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        self.posts.append((scope, channel_id, card))
        return f"{self.name}:{channel_id}:{len(self.posts)}"

    @property
    def cards(self) -> list[Card]:
        return [card for _scope, _channel, card in self.posts]


@pytest.fixture
def channel() -> Channel:
    return Channel()


@pytest.fixture
async def reminders(harness: Harness, channel: Channel) -> AsyncIterator[Reminders]:
    """Started on the test's event loop; no periodic refresh, so that only what a test does changes jobs."""
    r = Reminders(harness.service, channel, refresh_every=None)
    await r.start()
    yield r
    await r.shutdown()
