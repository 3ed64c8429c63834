"""Where reminders go: each surface posts a Card into a channel its own way.

Slack posts with `chat.postMessage`, Teams continues a stored conversation reference (a proactive
message), the console writes text. The scheduler only knows this protocol.
"""

from __future__ import annotations

from typing import Protocol

from bot.cards import Card
from bot.checklist.views import ScopeKey


class ChannelGone(Exception):
    """The channel will refuse every reminder from now on (archived or deleted, Preflight removed from it, its
    token revoked): retrying cannot help, so the checklist's reminders pause until an owner turns them on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # what to tell the owners, in plain words


class RetryLater(Exception):
    """The post failed for now (a 5xx, a 429, a timeout); `retry_after` seconds is what the platform asked."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Notifier(Protocol):
    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        """Post the card into the channel; return a reference to the message (e.g. `C123:1712345678.000100`).

        Raise ChannelGone when the channel will never take a reminder again, RetryLater when it may a little
        later; anything else counts as a failure to retry too.
        """
        ...
