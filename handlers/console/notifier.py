"""Reminders in the terminal of `preflight demo`."""

from __future__ import annotations

import itertools
from typing import TextIO

from bot.cards import Card
from bot.checklist.views import ScopeKey
from handlers.console.render import render_card


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
