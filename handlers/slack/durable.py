"""Acknowledged Slack requests: admitted before the ack, run under a lease, run again if a replica died.

`admit` (before the listener acks) stores the request under its key; False means Slack sent it before (a
retry, a replay, a double submission) and it is acknowledged without doing anything. `run` hands it to the
surface as a background task that renews the lease while it works and marks the request done at the end. A
SIGTERM that cancels the task hands the lease back at once. `sweep`, run by every replica every few seconds,
takes over the requests whose lease lapsed (the replica was killed) and runs them again: where "checking…"
was shown it is replaced, and a state change the dead replica had already committed (`applied`) is not
recorded twice: the person sees the checklist as it now stands instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation.intents import Intent
from bot.requests import Unfinished, current_request
from handlers.slack.requests import PLATFORM, Pending

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 1.5  # of Slack's 3 seconds for the ack
MAX_ATTEMPTS = 3  # a request that failed the same way three times is given up (and logged)


class DurableRequests:
    def __init__(self, surface: Any) -> None:
        # The SlackSurface that owns this (typed loosely: the surface module imports this one).
        self.surface = surface
        self.log = surface.requests

    async def seen_event(self, key: str) -> bool:
        return await asyncio.to_thread(self.log.seen, key, PLATFORM)

    async def admit(self, key: str, pending: Pending) -> bool:
        return await asyncio.to_thread(self.log.admit, key, PLATFORM, pending.intent, pending.encode())

    async def show_progress(self, client: AsyncWebClient, key: str, pending: Pending, intent: Intent) -> Pending:
        """Before the ack, for a slow command or form: post "checking…" and keep its ts with the request, so
        that a replica killed right after the ack leaves no "checking…" nobody will replace. A pressed
        message needs none of this: its ts is in the request already. Bounded: the ack waits at most
        PROGRESS_SECONDS for Slack (after that the turn posts its own placeholder)."""
        s = self.surface
        if pending.origin.message_ts is not None or not s.conversation.is_slow(intent):
            return pending
        delivery = s.delivery(client, pending.origin, key)
        try:
            ref = await asyncio.wait_for(delivery.progress(s.conversation.progress(intent)), PROGRESS_SECONDS)
        except TimeoutError:
            return pending
        if ref is None:
            return pending
        return replace(pending, origin=replace(pending.origin, message_ts=ref, message=None))

    def run(self, client: AsyncWebClient, key: str, pending: Pending) -> None:
        self.surface.spawn(self._run(client, key, pending), name=f"slack:{pending.kind}:{pending.intent}")

    async def _run(
        self, client: AsyncWebClient, key: str, pending: Pending, *, applied: bool = False, placeholder: str = ""
    ) -> None:
        token = current_request.set(key)
        renewer = asyncio.create_task(self._renew(key), name="slack:request-lease")
        try:
            if applied:
                await self._show_outcome(client, key, pending, placeholder)
            else:
                await self._dispatch(client, key, pending)
        except asyncio.CancelledError:
            # Shutting down mid-request: let another replica take it now rather than when the lease lapses.
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.to_thread(self.log.hand_back, key))
            raise
        finally:
            renewer.cancel()
            current_request.reset(token)
        await asyncio.to_thread(self.log.finish, key)

    async def _dispatch(self, client: AsyncWebClient, key: str, p: Pending) -> None:
        s = self.surface
        if p.kind == "command":
            await s.command(client, p.origin, p.text, key)
        elif p.kind == "press":
            await s.press(client, p.origin, p.intent, p.value, key)
        else:
            await s.submit(client, p.origin, p.intent, p.context, p.values, p.picked, key)

    async def _show_outcome(self, client: AsyncWebClient, key: str, p: Pending, placeholder: str) -> None:
        """The change was recorded before the replica died: show where the checklist now stands instead."""
        s = self.surface
        origin = p.origin
        intent = Intent("status", origin.actor(), origin.scope)
        reply = await s.conversation.handle(intent)
        delivery = s.delivery(client, origin, key)
        await s.turn.deliver(list(reply.cards), placeholder or None, delivery)

    async def _renew(self, key: str) -> None:
        every = max(0.2, self.log.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(every)
            try:
                if not await asyncio.to_thread(self.log.renew, key):
                    return
            except Exception as exc:  # the database blinked: try again at the next beat
                log.warning("Could not renew the lease on a Slack request: %s", type(exc).__name__)

    # ------------------------------------------------------------------ after a replica died

    async def sweep(self) -> int:
        """Run again the requests whose replica stopped renewing their lease; how many were taken."""
        taken: list[Unfinished] = await asyncio.to_thread(self.log.lapsed, PLATFORM)
        for request in taken:
            try:
                pending = Pending.decode(request.payload)
            except (ValueError, TypeError, KeyError):
                log.error("A kept Slack request could not be read; dropped")
                await asyncio.to_thread(self.log.finish, request.key)
                continue
            if request.attempts > MAX_ATTEMPTS:
                log.error("Slack request %s failed %d times; given up", pending.intent, request.attempts - 1)
                await asyncio.to_thread(self.log.finish, request.key)
                continue
            client = await self.surface.client_for(pending.origin.team_id)
            if client is None:
                await asyncio.to_thread(self.log.finish, request.key)
                continue
            if request.placeholder:
                # "Checking…" is on screen: the run again shows its own progress and result in that message.
                message = pending.origin.message if request.placeholder == pending.origin.message_ts else None
                pending = replace(
                    pending, origin=replace(pending.origin, message_ts=request.placeholder, message=message)
                )
            log.info("Taking over an unfinished Slack request (%s, attempt %d)", pending.intent, request.attempts)
            self.surface.spawn(
                self._run(client, request.key, pending, applied=request.applied, placeholder=request.placeholder or ""),
                name=f"slack:recovered:{pending.intent}",
            )
        return len(taken)

    async def keep_sweeping(self, every: float) -> None:
        while True:
            try:
                await self.sweep()
                await asyncio.to_thread(self.log.purge)
            except Exception as exc:
                log.warning("Sweeping unfinished Slack requests failed: %s", type(exc).__name__)
            await asyncio.sleep(every)
