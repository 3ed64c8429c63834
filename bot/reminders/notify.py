"""Where reminders go: each surface posts a Card into a channel its own way.

Slack posts with `chat.postMessage`, Teams continues a stored conversation reference (a proactive
message), the console writes text. The scheduler only knows this protocol.
"""

from __future__ import annotations

from typing import Protocol

from bot.cards import Card
from bot.checklist.views import ScopeKey


class Notifier(Protocol):
    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        """Post the card into the channel; return a reference to the message (e.g. `C123:1712345678.000100`).

        Raise when it could not be posted: the reminder is then recorded as claimed but never posted.
        """
        ...
