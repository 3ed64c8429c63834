"""The Slack stand-in's state: its workspace, what it was told to do, and every call it answered.

The aiohttp handlers run on the server's thread while tests configure and query from theirs, so everything
both sides touch is guarded by one lock. The Web API method modules (chat, views, files, directory, oauth)
work on the attributes set in `__init__`; tests use the methods.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web

from sandbox.slack.faults import Chance, FaultQueue
from sandbox.slack.model import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_TOKEN,
    Channel,
    RecordedCall,
    ResponseUrl,
    SlackApiError,
    TokenInfo,
    UploadedFile,
    User,
)


class SlackState:
    """What the stand-in knows and has answered; `SlackApiSandbox` serves it over HTTP.

    Lenient by default: channels and users it has not been told about exist (public channel with the bot
    in it; an ordinary user). Configure what a test needs: `set_channel(...)`, `add_user(...)`,
    `add_token(...)`, `fail(...)`, `rate_limit(...)`, `expire_response_url(...)`, `expire_trigger(...)`.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        team_id: str = "T0PREFLIGHT",
        team_name: str = "Preflight Sandbox",
        team_domain: str = "preflight-sandbox",
        bot_user_id: str = "U0PREFLIGHT",
        bot_id: str = "B0PREFLIGHT",
        app_id: str = "A0PREFLIGHT",
        client_id: str = "1111.2222",
        client_secret: str = "sandbox-client-secret",
        scopes: Sequence[str] = DEFAULT_BOT_SCOPES,
        strict: bool = False,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = tuple(scopes)
        # strict: unknown channels are channel_not_found and unknown users user_not_found, as in Slack.
        self.strict = strict

        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.recorded: list[RecordedCall] = []
        self.tokens: dict[str, TokenInfo] = {}
        self.channels: dict[str, Channel] = {}
        self.missing_channels: set[str] = set()
        self.users: dict[str, User] = {}
        self.posted: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}  # root view id -> ids in the stack
        self.home: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, UploadedFile] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.expired_triggers: set[str] = set()
        self.used_codes: set[str] = set()
        self.faults = FaultQueue(self.lock)
        self.post_rate: tuple[float, int] | None = None  # chat.postMessage per channel: (per second, burst)
        self.post_buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, monotonic time)
        self.ids = itertools.count(1)
        self._last_ts = 0.0
        for token in tokens:
            self.add_token(token)
        self.users[bot_user_id] = User(bot_user_id, "preflight", "Preflight", "Preflight", is_bot=True)

    # -------------------------------------------------------------------------------- configuration

    def add_token(
        self,
        token: str,
        *,
        team_id: str | None = None,
        team_name: str | None = None,
        scopes: Sequence[str] | None = None,
    ) -> TokenInfo:
        """Make `token` valid (for the sandbox team unless `team_id` is given)."""
        info = TokenInfo(
            token=token,
            team_id=team_id or self.team_id,
            team_name=team_name or self.team_name,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            scopes=tuple(scopes) if scopes is not None else self.scopes,
        )
        with self.lock:
            self.tokens[token] = info
        return info

    def revoke_token(self, token: str) -> None:
        """Later calls with `token` get `token_revoked`, as after an uninstall."""
        with self.lock:
            self.tokens[token] = replace(self.tokens[token], revoked=True)

    def set_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
        exists: bool = True,
        not_in_channel: bool = False,
    ) -> None:
        """Configure a channel. `exists=False` makes every call on it `channel_not_found`;
        `not_in_channel=True` makes the bot a non-member whose posts Slack refuses with `not_in_channel`
        whatever its scopes; `is_member=False` alone does so only for tokens without chat:write.public."""
        with self.lock:
            if not exists:
                self.channels.pop(channel_id, None)
                self.missing_channels.add(channel_id)
                return
            self.missing_channels.discard(channel_id)
            self.channels[channel_id] = Channel(
                id=channel_id,
                name=name or channel_id.lower(),
                is_private=is_private,
                is_archived=is_archived,
                is_member=is_member and not not_in_channel,
                members_only=not_in_channel,
            )

    def archive_channel(self, channel_id: str) -> None:
        with self.lock:
            self.channels[channel_id] = replace(self.channel_or_default(channel_id), is_archived=True)

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        display_name: str = "",
        tz: str = "America/New_York",
        deleted: bool = False,
    ) -> None:
        with self.lock:
            self.users[user_id] = User(user_id, name, real_name or name, display_name, tz, deleted=deleted)

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200, after: bool = False) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}` with HTTP `status`; with
        `after`, the method does its work first (a message is posted, yet the answer is an error)."""
        self.faults.fail(method, error, times=times, status=status, after=after)

    def outage(self, method: str, seconds: float, *, error: str = "service_unavailable", status: int = 503) -> None:
        """Every call of `method` fails for the next `seconds`."""
        self.faults.outage(method, seconds, error=error, status=status)

    def chaos(self, method: str, chances: list[Chance], *, seed: int = 0) -> None:
        """Each call of `method` fails at random, e.g. `[Chance(0.3, "internal_error", 500)]`."""
        self.faults.chaos(method, chances, seed=seed)

    def limit_posts(self, per_second: float = 1.0, burst: int = 1) -> None:
        """chat.postMessage at most `per_second` per channel (after a burst): beyond it, 429 with Retry-After,
        as Slack answers an app posting faster than about one message per second into a channel."""
        with self.lock:
            self.post_rate = (per_second, burst)

    def post_wait(self, channel_id: str) -> float:
        """0 when a post into the channel may go now (and it is counted), else the seconds to wait."""
        with self.lock:
            if self.post_rate is None:
                return 0.0
            rate, burst = self.post_rate
            now = time.monotonic()
            tokens, at = self.post_buckets.get(channel_id, (float(burst), now))
            tokens = min(float(burst), tokens + (now - at) * rate)
            if tokens < 1.0:
                self.post_buckets[channel_id] = (tokens, now)
                return (1.0 - tokens) / rate
            self.post_buckets[channel_id] = (tokens - 1.0, now)
            return 0.0

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 `ratelimited` with `Retry-After: retry_after`."""
        self.faults.rate_limit(method, times=times, retry_after=retry_after)

    def new_response_url(self, base_url: str, response_id: str | None = None) -> str:
        """A response_url on this stand-in (`base_url` is the server's URL), as Slack puts in payloads."""
        with self.lock:
            rid = response_id or f"R{next(self.ids):08d}"
            self.response_urls.setdefault(rid, ResponseUrl(rid, time.time()))
        return f"{base_url.rstrip('/')}/response/{rid}"

    def expire_response_url(self, response_id_or_url: str) -> None:
        """Posts to this response_url now get 404 `expired_url` (Slack's 30 minutes have passed)."""
        rid = response_id_or_url.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            self.response_urls.setdefault(rid, ResponseUrl(rid, time.time())).expired = True

    def new_trigger_id(self) -> str:
        with self.lock:
            return f"{next(self.ids)}.{self.team_id}.{time.time_ns():x}"

    def expire_trigger(self, trigger_id: str) -> None:
        """views.open/push with this trigger_id get `expired_trigger_id` (Slack allows 3 seconds)."""
        with self.lock:
            self.expired_triggers.add(trigger_id)

    # ------------------------------------------------------------------------------------- queries

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every recorded call (of `method`), oldest first."""
        with self.lock:
            return [c for c in self.recorded if method is None or c.method == method]

    def last(self, method: str | None = None) -> RecordedCall:
        found = self.calls(method)
        if not found:
            raise LookupError(f"no {method or 'call'} recorded")
        return found[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` calls of `method` are recorded; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [c for c in self.recorded if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {method} calls after {timeout}s")
                self.changed.wait(remaining)

    async def wait_for_async(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """`wait_for` for code that runs on the caller's event loop (it must keep running meanwhile)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(found)} of {count} {method} calls after {timeout}s")
            await asyncio.sleep(0.01)

    def clear_calls(self) -> None:
        with self.lock:
            self.recorded.clear()

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as it stands now (after chat.update), or None if never posted or deleted."""
        with self.lock:
            found = self.posted.get((channel, ts))
            return dict(found) if found is not None else None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for (c, _), m in sorted(self.posted.items()) if c == channel]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self.views.get(view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for `user_id`."""
        with self.lock:
            return self.home.get(user_id)

    def file(self, file_id: str) -> UploadedFile:
        with self.lock:
            return self.uploads[file_id]

    def files(self) -> list[UploadedFile]:
        with self.lock:
            return [f for f in self.uploads.values() if f.completed]

    def response_posts(self, response_id_or_url: str) -> list[dict[str, Any]]:
        rid = response_id_or_url.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            found = self.response_urls.get(rid)
            return list(found.posts) if found else []

    # ------------------------------------------------------------------------------------ internals

    def record(
        self,
        method: str,
        args: dict[str, Any],
        request: web.Request,
        token: str | None,
        status: int,
        response: Any,
    ) -> None:
        with self.changed:
            self.recorded.append(
                RecordedCall(method, args, dict(request.headers), time.time(), token, status, response)
            )
            self.changed.notify_all()

    def next_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}{next(self.ids):08X}"

    def next_ts(self) -> str:
        # Slack's ts is seconds.microseconds and unique per channel; keep it strictly increasing.
        with self.lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
        return f"{now:.6f}"

    def channel_or_default(self, channel_id: str) -> Channel:
        with self.lock:
            found = self.channels.get(channel_id)
            if found is not None:
                return found
            if channel_id in self.missing_channels or self.strict:
                raise SlackApiError("channel_not_found")
            if channel_id[:1] in ("U", "W"):
                return self._dm_for(channel_id)
            if channel_id[:1] not in ("C", "G", "D"):
                raise SlackApiError("channel_not_found")
            channel = Channel(channel_id, channel_id.lower(), is_private=channel_id.startswith("G"))
            self.channels[channel_id] = channel
            return channel

    def _dm_for(self, user_id: str) -> Channel:
        # chat.postMessage(channel=<user id>) posts into the app's DM with that user.
        dm_id = "D" + user_id[1:]
        with self.lock:
            channel = self.channels.get(dm_id)
            if channel is None:
                channel = Channel(dm_id, dm_id.lower(), is_private=True, is_im=True, user=user_id)
                self.channels[dm_id] = channel
            return channel

    def channel_for_post(self, channel_id: Any, auth: TokenInfo, *, members_only: bool = False) -> Channel:
        if not isinstance(channel_id, str) or not channel_id:
            raise SlackApiError("channel_not_found")
        channel = self.channel_or_default(channel_id)
        if channel.is_private and not channel.is_member and not channel.is_im:
            raise SlackApiError("channel_not_found")  # a private channel the bot is not in is invisible
        if channel.is_archived:
            raise SlackApiError("is_archived")
        outsider = not channel.is_member and not channel.is_im
        if outsider and (members_only or channel.members_only or "chat:write.public" not in auth.scopes):
            raise SlackApiError("not_in_channel")
        return channel

    def find_user(self, user_id: Any) -> User:
        if not isinstance(user_id, str) or not user_id:
            raise SlackApiError("user_not_found")
        with self.lock:
            found = self.users.get(user_id)
            if found is not None:
                return found
            if self.strict or user_id[:1] not in ("U", "W"):
                raise SlackApiError("user_not_found")
            return User(user_id, user_id.lower(), f"User {user_id}", "")
