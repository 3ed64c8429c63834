"""Where reminders go: each surface posts a Card into a channel its own way.

Slack posts with `chat.postMessage`, Teams continues a stored conversation reference (a proactive
message), the console writes text. The scheduler only knows these protocols: `Notifier.post` is required;
a surface may also find a reminder it already posted (`FindsPosted`: Slack looks for the message metadata
in the channel's recent history) and write to one person directly (`DirectMessages`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.cards import Card, Stamp
from bot.checklist.views import ScopeKey

REMINDER_EVENT = "preflight_reminder"


def reminder_stamp(checklist_id: int, slot: datetime) -> Stamp:
    """What each reminder carries (Slack message `metadata`), so that a re-post can first look for it."""
    return Stamp(REMINDER_EVENT, (("checklist_id", str(checklist_id)), ("slot", slot.isoformat())))


class ChannelGone(Exception):
    """The channel will refuse every reminder from now on (archived or deleted, Preflight removed from it, its
    token revoked): retrying cannot help, so the checklist's reminders pause until an owner turns them on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # what to tell the owners, in plain words


class RetryLater(Exception):
    """The post failed for now (a 5xx, a 429, a timeout); `retry_after` seconds is what the platform asked.

    `maybe_posted` is False when the platform surely did not post (a 429 refuses before posting); otherwise
    the message may exist, and the scheduler looks for it before posting again."""

    def __init__(self, reason: str, retry_after: float | None = None, *, maybe_posted: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.maybe_posted = maybe_posted


class Notifier(Protocol):
    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        """Post the card into the channel; return a reference to the message (e.g. `C123:1712345678.000100`).

        Keep `card.stamp` with the message where the platform can. Raise ChannelGone when the channel will
        never take a reminder again, RetryLater when it may a little later; anything else counts as a failure
        to retry too.
        """
        ...


@runtime_checkable
class FindsPosted(Protocol):
    async def find_posted(self, scope: ScopeKey, channel_id: str, stamp: Stamp) -> str | None:
        """The reference of a message with this stamp already in the channel, None when there is none.

        Raise RetryLater when the lookup itself failed (the scheduler then does not post blindly)."""
        ...


@runtime_checkable
class DirectMessages(Protocol):
    async def direct_message(self, scope: ScopeKey, user_id: str, card: Card) -> str | None:
        """Write to one person privately (an owner told that reminders paused); None when it cannot."""
        ...
