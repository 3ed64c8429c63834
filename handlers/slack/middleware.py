"""Bolt middleware: hand listeners the Slack surface, and handle each event delivery once across replicas."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from handlers.slack.requests import event_key

log = logging.getLogger(__name__)

CONTEXT_KEY = "preflight"


def install(app: AsyncApp, surface: object, seen_event: Callable[[str], Awaitable[bool]]) -> None:
    """`seen_event(key)`: True when the event was recorded before (the surface's durable request log)."""

    async def attach_surface(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context[CONTEXT_KEY] = surface
        await next()

    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        key = event_key(body)
        # The event id is kept in the database, so a retry (X-Slack-Retry-Num) reaching another replica is
        # recognised too.
        if key is not None and await seen_event(key):
            log.info("Ignoring a repeated delivery of event %s", body.get("event_id"))
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.middleware(attach_surface)
    app.middleware(once_per_event)
