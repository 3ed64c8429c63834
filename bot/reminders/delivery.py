"""Delivering one reminder slot under a lease (DESIGN §5): claim, re-check, look, post, retry, record.

A claim is a lease in `reminder_deliveries` (storage/repositories/reminders.py). The holder renews it while it
re-checks and posts (a keeper task), so a re-check of 45 s never lets it lapse, and a replica that dies lets
it lapse within one lease: another replica's sweep then takes the slot over. Every post attempt is counted
before it is made; a taker that finds attempts, or a holder whose post failed in a way that may have posted
(a 5xx, a timeout), first asks the surface whether the message is already in the channel (Slack: the
reminder's message metadata in the channel history) and records it instead of posting twice.

A post that fails for now is retried with exponential backoff (never sooner than the platform's
Retry-After) until the slot's grace ends; a channel that refuses for good pauses the checklist's reminders
and an owner is told directly where the surface can. Database work runs on a thread pool of its own, never
on the event loop, so acknowledgements are not held up by a burst of reminders.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.cards import Card
from bot.checklist.service import ChecklistService
from bot.checklist.views import ScopeKey
from bot.reminders.notify import ChannelGone, DirectMessages, FindsPosted, Notifier, RetryLater, reminder_stamp
from bot.reminders.snooze import is_snooze
from storage.repositories import reminders
from storage.repositories.reminders import Claim

log = logging.getLogger(__name__)

T = TypeVar("T")


class Outcome(enum.StrEnum):
    POSTED = "posted"
    ALL_CLEAR = "all_clear"  # posted the final reminder and turned reminders off
    TAKEN = "taken"  # another replica holds or posted this slot
    SNOOZED = "snoozed"  # someone snoozed this slot
    OFF = "off"  # reminders are off or paused, or the checklist is gone
    NOT_SCHEDULED = "not_scheduled"  # the slot is not on the current schedule (a job left from an old one)
    PAUSED = "paused"  # the channel refuses for good: reminders paused until `remind on`
    GAVE_UP = "gave_up"  # every retry failed until the slot's grace ended
    HANDED_BACK = "handed_back"  # this replica is stopping: another one takes the slot over


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    slot: datetime
    message_ref: str | None = None
    attempts: int = 0
    reason: str | None = None  # why it was not posted (PAUSED, GAVE_UP)


@dataclass(frozen=True)
class Timing:
    """How long a claim lasts and how failed posts are retried. Production defaults; tests shorten them."""

    lease: timedelta = timedelta(seconds=60)
    sweep_every: timedelta = timedelta(seconds=15)
    # Retries stop, and lapsed or missed slots are no longer taken over, this long after the slot.
    grace: timedelta = timedelta(minutes=10)
    backoff_first: float = 1.0  # seconds
    backoff_max: float = 10.0  # jittered: 1,000 slots retrying in an outage are ~100 requests a second at most
    concurrency: int = 8  # slots delivered at once by one replica
    finish_on_shutdown: float = 5.0  # seconds a stopping replica gives its deliveries before handing them back

    @property
    def renew_every(self) -> float:
        return max(self.lease.total_seconds() / 3, 0.05)

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff, never shorter than what the platform asked."""
        ceiling = min(self.backoff_max, self.backoff_first * 2 ** max(attempt - 1, 0))
        delay = random.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)


class LeaseLost(Exception):
    """The lease lapsed and another replica took the slot over: this one must not post it."""


class Courier:
    """Runs deliveries for one replica: the database on its own threads, the lease kept while working."""

    def __init__(self, service: ChecklistService, notifier: Notifier, owner: str, timing: Timing) -> None:
        self.service = service
        self.notifier = notifier
        self.owner = owner
        self.timing = timing
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="preflight-reminders")
        self.gate = asyncio.Semaphore(timing.concurrency)
        self.tasks: set[asyncio.Future[Any]] = set()  # deliveries under way
        self.inflight: dict[tuple[int, datetime], asyncio.Future[Any]] = {}
        self.spawned: set[asyncio.Task[Any]] = set()  # the sweep's tasks (kept referenced until done)
        self.closing = False

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking database work off the event loop, on the reminders' own threads (so that a burst of
        reminders never queues in front of the threads that answer chat requests)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    # ------------------------------------------------------------ the lease

    def _acquire(self, checklist_id: int, slot: datetime) -> Claim | None:
        with self.service.sessions.begin() as s:
            return reminders.acquire(
                s, checklist_id, slot, owner=self.owner, now=self.service.clock(), lease=self.timing.lease
            )

    def _renew(self, claim: Claim) -> Claim | None:
        with self.service.sessions.begin() as s:
            return reminders.renew(s, claim, now=self.service.clock(), lease=self.timing.lease)

    def _start_attempt(self, claim: Claim) -> Claim | None:
        with self.service.sessions.begin() as s:
            return reminders.start_attempt(s, claim, now=self.service.clock(), lease=self.timing.lease)

    def _record(self, claim: Claim, ref: str) -> bool:
        with self.service.sessions.begin() as s:
            return reminders.mark_posted(s, claim, ref, now=self.service.clock())

    def _failed(self, claim: Claim, error: str) -> None:
        with self.service.sessions.begin() as s:
            reminders.record_failure(s, claim, error)

    def _give_up(self, claim: Claim, error: str) -> None:
        with self.service.sessions.begin() as s:
            reminders.give_up(s, claim, error, now=self.service.clock())

    def _state(self, checklist_id: int, slot: datetime) -> reminders.SlotState | None:
        with self.service.sessions() as s:
            return reminders.slot_state(s, checklist_id, slot)

    def hand_back(self) -> int:
        with self.service.sessions.begin() as s:
            return reminders.hand_back(s, self.owner, now=self.service.clock())

    async def claim(self, checklist_id: int, slot: datetime) -> Claim | Outcome:
        """The claim, or why there is none (TAKEN, SNOOZED)."""
        claim = await self.db(self._acquire, checklist_id, slot)
        if claim is not None:
            return claim
        state = await self.db(self._state, checklist_id, slot)
        return Outcome.SNOOZED if state is not None and is_snooze(state.claimed_by) else Outcome.TAKEN

    @contextlib.asynccontextmanager
    async def kept(self, claim: Claim) -> Any:
        """Renew the lease in the background while the body runs; `holder[0]` is the current claim, or None
        once the lease was lost."""
        holder: list[Claim | None] = [claim]

        async def keep() -> None:
            while holder[0] is not None:
                await asyncio.sleep(self.timing.renew_every)
                current = holder[0]
                if current is None:
                    return
                renewed = await self.db(self._renew, current)
                if holder[0] is not None:  # the body may have finished meanwhile
                    holder[0] = renewed
                if renewed is None:
                    log.warning("Lost the lease on reminder %s/%s", claim.checklist_id, claim.slot.isoformat())

        keeper = asyncio.create_task(keep(), name=f"lease {claim.checklist_id} {claim.slot.isoformat()}")
        try:
            yield holder
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    # ------------------------------------------------------------ posting

    async def post(
        self, claim: Claim, channel_id: str, card: Card, scope: ScopeKey, holder: list[Claim | None]
    ) -> Delivery:
        """Post under the lease until it works, the channel is gone, or the slot's grace ends."""
        stamp = reminder_stamp(claim.checklist_id, claim.slot)
        card = replace(card, stamp=stamp)
        deadline = claim.slot + self.timing.grace
        # A post tried before (by a replica that died or handed the slot back) may have gone out.
        maybe_posted = claim.attempts > 0
        failures = 0
        last_error = ""
        while True:
            current = holder[0]
            if current is None:
                return Delivery(Outcome.TAKEN, claim.slot)
            delay = 0.0
            try:
                async with self.gate:
                    if maybe_posted and isinstance(self.notifier, FindsPosted):
                        found = await self.notifier.find_posted(scope, channel_id, stamp)
                        if found is not None:
                            log.info("Reminder %s/%s was already posted (%s)", claim.checklist_id, claim.slot, found)
                            return await self._posted(current, found)
                        maybe_posted = False
                    started = await self.db(self._start_attempt, current)
                    if started is None:
                        holder[0] = None
                        return Delivery(Outcome.TAKEN, claim.slot)
                    holder[0] = started
                    ref = await self.notifier.post(scope, channel_id, card)
                    return await self._posted(started, ref or "")
            except ChannelGone as gone:
                await self.db(self._give_up, current, f"channel gone: {gone.reason}")
                return Delivery(Outcome.PAUSED, claim.slot, attempts=current.attempts, reason=gone.reason)
            except RetryLater as later:
                failures += 1
                maybe_posted = maybe_posted or later.maybe_posted
                delay = self.timing.backoff(failures, later.retry_after)
                last_error = later.reason
            except Exception as exc:  # a timeout, a connection reset: the message may have gone out
                failures += 1
                maybe_posted = True
                delay = self.timing.backoff(failures, None)
                last_error = f"{type(exc).__name__}: {exc}"
            if self.service.clock() + timedelta(seconds=delay) > deadline:
                log.error(
                    "Reminder of checklist %s for %s not posted after %s tries: %s",
                    claim.checklist_id,
                    claim.slot.isoformat(),
                    failures,
                    last_error,
                )
                await self.db(self._give_up, current, last_error or "not posted within the grace")
                return Delivery(Outcome.GAVE_UP, claim.slot, attempts=failures, reason=last_error)
            await self.db(self._failed, current, last_error)
            await asyncio.sleep(delay)

    async def _posted(self, claim: Claim, ref: str) -> Delivery:
        if not await self.db(self._record, claim, ref):
            # Only after the lease lapsed and another replica took over: it will find this message.
            log.warning("Reminder %s/%s posted after its lease lapsed", claim.checklist_id, claim.slot.isoformat())
        return Delivery(Outcome.POSTED, claim.slot, ref, attempts=claim.attempts)

    async def tell_owners_paused(self, checklist_id: int, reason: str) -> None:
        """Direct-message the first owner the surface can reach that reminders paused: at most once (a rate
        limit is waited out; after a failure that may have delivered it, nothing is sent again)."""
        from bot.reminders.messages import paused_card

        if not isinstance(self.notifier, DirectMessages):
            return
        view = await self.db(self.service.get, checklist_id)
        card = paused_card(view, reason)
        for owner in view.owners:
            for attempt in range(1, 4):
                try:
                    if await self.notifier.direct_message(view.scope, owner.user_id, card) is not None:
                        return
                    break  # this owner cannot be reached: try the next one
                except RetryLater as later:
                    if later.maybe_posted:  # it may have reached them: never twice (the card shows the pause too)
                        return
                    await asyncio.sleep(self.timing.backoff(attempt, later.retry_after))
                except Exception as exc:  # a revoked token cannot write to anyone: the card still says it
                    log.warning("Could not tell %s that reminders paused: %s", owner.user_id, exc)
                    return
