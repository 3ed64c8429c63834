"""Where reminders go: each surface posts a Card into a channel its own way.

Slack posts with `chat.postMessage`, Teams continues a stored conversation reference (a proactive
message), the console writes text. The scheduler only knows this protocol.
"""

from __future__ import annotations

import itertools
from typing import Protocol, TextIO

from bot.cards import Card
from bot.checklist.views import ScopeKey
from handlers.console.render import render_card


class Notifier(Protocol):
    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        """Post the card into the channel; return a reference to the message (e.g. `C123:1712345678.000100`).

        Raise when it could not be posted: the reminder is then recorded as claimed but never posted.
        """
        ...


class ConsoleNotifier:
    """Writes reminders to a text stream (the terminal of `preflight demo`)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._numbers = itertools.count(1)

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        number = next(self._numbers)
        rendered = render_card(card)
        self.out.write(f"\n[reminder in #{channel_id}]{rendered.text}\n")
        self.out.flush()
        return f"console:{channel_id}:{number}"
