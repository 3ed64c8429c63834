"""Reminder fixtures: the production scheduler over the real service, posting into a recorded channel.

The `harness` fixture (tests/bot/conftest.py) runs on SQLite and, when reachable, PostgreSQL, with both
simulators behind the real QBO and Finale clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.cards import Card, Stamp
from bot.checklist.views import ScopeKey
from bot.reminders.scheduler import Reminders
from tests.bot.harness import Harness


@dataclass
class Channel:
    """Stands in for a chat platform's channel (an external delivery service): keeps what was posted.

    `failures` are raised by the next posts, in order; a failure in `after` is raised once the card is
    posted (the platform posted, yet answered an error). Messages keep their stamp, so that `find_posted`
    finds them as Slack's history look-up would; `direct_messages` keeps what owners were told privately."""

    name: str = "slack"
    posts: list[tuple[ScopeKey, str, Card]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    after: set[int] = field(default_factory=set)  # ids of failures raised after posting
    lookups: int = 0
    direct_messages: list[tuple[str, Card]] = field(default_factory=list)

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None and id(failure) not in self.after:
            raise failure
        self.posts.append((scope, channel_id, card))
        if failure is not None:
            raise failure
        return f"{self.name}:{channel_id}:{len(self.posts)}"

    async def find_posted(self, scope: ScopeKey, channel_id: str, stamp: Stamp) -> str | None:
        self.lookups += 1
        for number, (_scope, posted_in, card) in enumerate(self.posts, start=1):
            if posted_in == channel_id and card.stamp == stamp:
                return f"{self.name}:{channel_id}:{number}"
        return None

    async def direct_message(self, scope: ScopeKey, user_id: str, card: Card) -> str | None:
        self.direct_messages.append((user_id, card))
        return f"{self.name}:D{user_id}:{len(self.direct_messages)}"

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
