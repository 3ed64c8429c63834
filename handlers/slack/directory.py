"""People's display names and channels' names and privacy, from Slack, cached for a while.

Confirmations record the name people know each other by (users.info), and the App Home shows a checklist
only to people who may see its channel (conversations.info).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

NAME_TTL_SECONDS = 3600.0
CHANNEL_TTL_SECONDS = 600.0
# Bounded: a process serving many workspaces for months keeps the most recent entries only.
MAX_ENTRIES = 20_000


class UserDirectory:
    def __init__(self, clock: Callable[[], float] = time.monotonic, maxsize: int = MAX_ENTRIES) -> None:
        self._names: TTLCache[tuple[str, str], str] = TTLCache(maxsize=maxsize, ttl=NAME_TTL_SECONDS, timer=clock)

    def cached(self, team_id: str, user_id: str) -> str | None:
        return self._names.get((team_id, user_id))

    async def name(self, client: AsyncWebClient, team_id: str, user_id: str, fallback: str = "") -> str:
        """The person's display name (else real name, else username); `fallback` if Slack cannot say."""
        cached = self.cached(team_id, user_id)
        if cached is not None:
            return cached
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.info("users.info %s failed: %s", user_id, exc.response.get("error"))
            return fallback or user_id
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = str(
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or fallback
            or user_id
        )
        self._names[(team_id, user_id)] = name
        return name

    def forget_team(self, team_id: str) -> None:
        for key in [k for k in list(self._names.keys()) if k[0] == team_id]:
            self._names.pop(key, None)


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    is_private: bool
    visible: bool  # False when Slack would not tell us about it (a private channel we are not in)


class ChannelDirectory:
    def __init__(self, clock: Callable[[], float] = time.monotonic, maxsize: int = MAX_ENTRIES) -> None:
        self._channels: TTLCache[tuple[str, str], ChannelInfo] = TTLCache(
            maxsize=maxsize, ttl=CHANNEL_TTL_SECONDS, timer=clock
        )

    async def info(self, client: AsyncWebClient, team_id: str, channel_id: str) -> ChannelInfo:
        hit = self._channels.get((team_id, channel_id))
        if hit is not None:
            return hit
        try:
            response = await client.conversations_info(channel=channel_id)
            channel = response.get("channel") or {}
            info = ChannelInfo(
                id=channel_id,
                name=str(channel.get("name") or channel_id),
                is_private=bool(channel.get("is_private") or channel.get("is_im") or channel.get("is_mpim")),
                visible=True,
            )
        except SlackApiError as exc:
            # Unknown means private: a checklist is never shown to people who might not see its channel.
            log.info("conversations.info %s failed: %s", channel_id, exc.response.get("error"))
            info = ChannelInfo(channel_id, channel_id, is_private=True, visible=False)
        self._channels[(team_id, channel_id)] = info
        return info

    def forget_team(self, team_id: str) -> None:
        for key in [k for k in list(self._channels.keys()) if k[0] == team_id]:
            self._channels.pop(key, None)
