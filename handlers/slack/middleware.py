"""Bolt middleware: hand listeners the Slack surface, and handle each event delivery once."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

CONTEXT_KEY = "preflight"
EVENT_TTL_SECONDS = 3600.0  # Slack's last retry comes about 5 minutes after the first delivery


class SeenEvents:
    """Event ids already handled, remembered for an hour.

    In memory, so it holds for one process. With several replicas behind a load balancer a retry can reach
    another replica; move this to a table with a unique event_id before scaling out.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: dict[str, float] = {}

    def first_time(self, event_id: str) -> bool:
        now = self._clock()
        if len(self._seen) > 10_000:
            self._seen = {k: t for k, t in self._seen.items() if now - t < EVENT_TTL_SECONDS}
        seen_at = self._seen.get(event_id)
        if seen_at is not None and now - seen_at < EVENT_TTL_SECONDS:
            return False
        self._seen[event_id] = now
        return True


def install(app: AsyncApp, surface: object, seen: SeenEvents) -> None:
    async def attach_surface(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context[CONTEXT_KEY] = surface
        await next()

    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not seen.first_time(event_id):
            # A retry (X-Slack-Retry-Num) of a delivery already handled: acknowledge it and do nothing.
            log.info("Ignoring a repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.middleware(attach_surface)
    app.middleware(once_per_event)
