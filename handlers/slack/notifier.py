"""Reminders into Slack: post a Card into a checklist's channel with that workspace's bot token.

Each reminder carries message `metadata` (event type `preflight_reminder`, payload: checklist and slot), so
that before posting again after an uncertain failure the scheduler can find it in the channel's recent
history (`conversations.history` with `include_all_metadata`) instead of posting it twice. Slack's answers
become the scheduler's words: errors after which the channel never takes a message (`channel_not_found`,
`not_in_channel`, `is_archived`, `account_inactive`, `token_revoked`) raise `ChannelGone`; 429s and 5xx raise
`RetryLater` (with Retry-After). The client here retries nothing itself: a blind retry of a 500 can post twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards import Card, Stamp
from bot.checklist.views import ScopeKey
from bot.reminders.notify import ChannelGone, RetryLater
from handlers.slack.render import render_message
from storage.slack_stores import AsyncEncryptedInstallationStore

log = logging.getLogger(__name__)

# Slack's error codes after which the channel will refuse every reminder, in words for the owners.
GONE: dict[str, str] = {
    "channel_not_found": "the channel was deleted, or I can no longer see it",
    "not_in_channel": "I am not a member of the channel any more",
    "is_archived": "the channel is archived",
    "account_inactive": "Preflight's access to this Slack workspace was removed",
    "token_revoked": "Preflight's access to this Slack workspace was revoked",
}
TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"})
POST_INTERVAL = 1.0  # chat.postMessage: about one message per second per channel
HISTORY_PAGES = 3  # conversations.history pages read when looking for a reminder (Tier 3)
HISTORY_PAGE_SIZE = 100


class SlackNotifier:
    """The scheduler's `Notifier` for Slack. One workspace: the app's client; many: each installation's bot."""

    def __init__(self, client: AsyncWebClient, installation_store: AsyncEncryptedInstallationStore | None) -> None:
        # The same endpoint and token, without retry handlers: the scheduler retries, after looking first.
        self.client = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=dict(client.headers),
            retry_handlers=[],
        )
        self.installation_store = installation_store
        self._next_post: dict[str, float] = {}  # channel -> earliest monotonic time of its next post
        self._pace = asyncio.Lock()

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        token = await self._token(scope.workspace_id)
        # Block Kit rendering is CPU work: off the event loop, so that acknowledgements do not wait for a burst.
        args = await asyncio.to_thread(render_message, card)
        if card.stamp is not None:
            args["metadata"] = {"event_type": card.stamp.event_type, "event_payload": card.stamp.as_dict()}
        await self._wait_turn(channel_id)
        response = await self._call("chat_postMessage", scope, channel_id, channel=channel_id, token=token, **args)
        return f"{channel_id}:{response.get('ts')}"

    async def find_posted(self, scope: ScopeKey, channel_id: str, stamp: Stamp) -> str | None:
        """The reminder with this stamp in the channel's recent history, as `channel:ts`; None when absent."""
        token = await self._token(scope.workspace_id)
        wanted = stamp.as_dict()
        oldest = _oldest(wanted.get("slot"))
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            kwargs: dict[str, Any] = {"channel": channel_id, "token": token, "limit": HISTORY_PAGE_SIZE}
            kwargs["include_all_metadata"] = True
            if oldest is not None:
                kwargs["oldest"] = oldest
            if cursor:
                kwargs["cursor"] = cursor
            try:
                response = await self._call("conversations_history", scope, channel_id, **kwargs)
            except SlackApiError as exc:  # e.g. missing_scope: the lookup cannot tell, a re-post goes ahead
                log.warning("Cannot look for an earlier reminder in %s: %s", channel_id, exc.response.get("error"))
                return None
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == stamp.event_type and _matches(metadata.get("event_payload"), wanted):
                    return f"{channel_id}:{message.get('ts')}"
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or not cursor:
                return None
        return None

    async def direct_message(self, scope: ScopeKey, user_id: str, card: Card) -> str | None:
        """A DM from the app (chat.postMessage to the user id opens it); None when Slack refuses it for good,
        RetryLater when it may work a little later."""
        try:
            token = await self._token(scope.workspace_id)
            await self._wait_turn(user_id)
            response = await self._call(
                "chat_postMessage", scope, user_id, channel=user_id, token=token, **render_message(card)
            )
        except (ChannelGone, SlackApiError) as exc:
            log.warning("Could not write to %s in %s: %s", user_id, scope.workspace_id, exc)
            return None
        return f"{response.get('channel')}:{response.get('ts')}"

    async def _call(self, method: str, scope: ScopeKey, channel_id: str, **kwargs: Any) -> Any:
        """One Web API call, its failures in the scheduler's words."""
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            status = exc.response.status_code
            if error in GONE:
                log.warning("Slack refuses reminders in %s/%s: %s", scope.workspace_id, channel_id, error)
                raise ChannelGone(GONE[error]) from exc
            if status == 429 or error == "ratelimited":
                retry_after = _seconds(exc.response.headers.get("Retry-After"))
                raise RetryLater("rate limited", retry_after, maybe_posted=False) from exc
            if status >= 500 or error in TRANSIENT:
                raise RetryLater(
                    f"Slack answered {status} {error}".strip(), _seconds(exc.response.headers.get("Retry-After"))
                ) from exc
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc

    async def _wait_turn(self, channel_id: str) -> None:
        """At most one post per second per channel, as Slack asks; other channels do not wait."""
        async with self._pace:
            now = time.monotonic()
            at = max(now, self._next_post.get(channel_id, 0.0))
            self._next_post[channel_id] = at + POST_INTERVAL
            if len(self._next_post) > 10_000:  # forget channels whose turn is long past
                self._next_post = {c: t for c, t in self._next_post.items() if t > now}
        if at > now:
            await asyncio.sleep(at - now)

    async def _token(self, team_id: str) -> str | None:
        if self.installation_store is None:
            return None  # single workspace: the client carries SLACK_BOT_TOKEN
        bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None:
            raise ChannelGone("Preflight is no longer installed in this Slack workspace")
        return bot.bot_token


def _seconds(value: Any) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


def _oldest(slot: str | None) -> str | None:
    """Look from a minute before the slot: a reminder is never posted before its slot."""
    if not slot:
        return None
    try:
        at = datetime.fromisoformat(slot)
    except ValueError:
        return None
    return f"{(at - timedelta(minutes=1)).timestamp():.6f}"


def _matches(payload: Any, wanted: dict[str, str]) -> bool:
    return isinstance(payload, dict) and all(str(payload.get(k)) == v for k, v in wanted.items())
