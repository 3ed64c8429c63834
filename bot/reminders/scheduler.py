"""Channel reminders on APScheduler 3 (DESIGN §5), a thin facade in the spirit of python-telegram-bot's JobQueue.

One job per checklist with reminders on, firing on its cron schedule in its timezone. The database is the
source of truth: `start()` rebuilds every job from it (a restart loses nothing), `sync()` follows one
checklist after its settings change, and a periodic refresh picks up changes made on other replicas.

Each run claims its (checklist, slot) as a lease (bot/reminders/delivery.py): exactly one replica holds it at
a time, renews it while it re-checks the outstanding automatic items (so a reminder never nags about
something already fixed) and posts, and retries failed posts until the slot's grace ends. A sweep every few
seconds takes over slots whose lease lapsed (a replica killed, or stopping) and delivers slots that no
replica claimed at all (every replica was down at the time), within the grace. Once everything is cleared it
posts "all clear" and the service turns reminders off for good; a channel that refuses for good pauses them.

Serving: `reminders = Reminders(core.service, notifier)`; `await reminders.start()` once the event loop
runs (e.g. in aiohttp's `on_startup`), `await reminders.shutdown()` on the way out (SIGTERM): deliveries
under way get a few seconds to finish, the rest are handed back to the other replicas at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.checklist.schedule import cron_trigger, fire_times, is_fire_time, slot_of, zone
from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistStatus
from bot.reminders.delivery import Courier, Delivery, Outcome, Timing
from bot.reminders.messages import all_clear_card, reminder_card
from bot.reminders.notify import Notifier
from checks.registry import Kind
from storage import models as db
from storage.repositories import checklists, reminders

log = logging.getLogger(__name__)

__all__ = ["Delivery", "Outcome", "Reminders", "Target", "Timing"]

JOB_PREFIX = "preflight-reminder:"
REFRESH_JOB_ID = "preflight-reminders-refresh"
SWEEP_JOB_ID = "preflight-reminders-sweep"
# A reminder delayed by a busy event loop or a short pause still goes out; one missed by hours does not.
MISFIRE_GRACE = timedelta(minutes=10)
REFRESH_EVERY = timedelta(minutes=5)
# Checks Preflight can re-run on its own before a reminder (the rest wait for a person's answer).
RECHECKABLE = frozenset(
    {Kind.AUTOMATIC, Kind.AUTOMATIC_CONFIRMATION, Kind.AUTOMATIC_ACKNOWLEDGEMENT, Kind.INPUT_AUTOMATIC}
)


@dataclass(frozen=True)
class Target:
    """Where and when one checklist is reminded, as the database says now."""

    cron: str
    timezone: str  # IANA name
    channel_id: str | None  # None: the checklist's own channel
    since: datetime | None = None  # slots before the last settings change are never caught up


class Reminders:
    __slots__ = ("_loop", "_loop_thread", "claimant", "courier", "notifier", "refresh_every", "scheduler", "service")

    def __init__(
        self,
        service: ChecklistService,
        notifier: Notifier,
        *,
        scheduler: AsyncIOScheduler | None = None,
        claimant: str | None = None,
        refresh_every: timedelta | None = REFRESH_EVERY,
        timing: Timing | None = None,
    ) -> None:
        self.service = service
        self.notifier = notifier
        self.scheduler = scheduler or AsyncIOScheduler(timezone="UTC")
        self.claimant = claimant or reminders.default_claimant()
        self.refresh_every = refresh_every
        self.courier = Courier(service, notifier, self.claimant, timing or Timing(grace=MISFIRE_GRACE))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    @property
    def timing(self) -> Timing:
        return self.courier.timing

    # ------------------------------------------------------------ lifecycle

    async def start(self, *, sweep: bool | None = None) -> None:
        """Start the scheduler on the running event loop with one job per checklist that has reminders on,
        and (with a periodic refresh, as in production) the sweep that takes over lapsed and missed slots."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        # Listen first: a change committed while the jobs are being rebuilt is not lost.
        self.service.add_reminder_listener(self.sync)
        if not self.scheduler.running:
            self.scheduler.start()
        await self.rebuild()
        if self.refresh_every is not None:
            self.scheduler.add_job(
                self.rebuild,
                IntervalTrigger(seconds=int(self.refresh_every.total_seconds())),
                id=REFRESH_JOB_ID,
                name="Preflight reminders: follow schedule changes made on other replicas",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
        if sweep if sweep is not None else self.refresh_every is not None:
            self.scheduler.add_job(
                self.sweep,
                IntervalTrigger(seconds=self.timing.sweep_every.total_seconds()),
                id=SWEEP_JOB_ID,
                name="Preflight reminders: take over lapsed slots, deliver missed ones",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                next_run_time=datetime.now(UTC),
            )

    async def shutdown(self) -> None:
        """Stop firing; give deliveries under way a few seconds, then hand the rest back (SIGTERM)."""
        self.service.remove_reminder_listener(self.sync)
        courier = self.courier
        courier.closing = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            # AsyncIOScheduler stops on the next turn of the loop.
            await asyncio.sleep(0)
        pending = {t for t in courier.tasks if not t.done()}
        if pending:
            _, pending = await asyncio.wait(pending, timeout=courier.timing.finish_on_shutdown)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
        # Database work already running finishes first, so that nothing renews a lease after it is handed back.
        await asyncio.to_thread(courier.executor.shutdown, True, cancel_futures=True)
        handed = await asyncio.to_thread(courier.hand_back)
        if handed:
            log.info("Handed %s reminder slot(s) back to the other replicas", handed)

    # ------------------------------------------------------------ jobs follow the database

    async def rebuild(self) -> None:
        """Make the jobs match the database: add, replace or remove.

        A change synced while this reads may be undone until the next refresh; harmless, because every
        delivery reads the database again before it claims anything.
        """
        wanted = await asyncio.to_thread(self._all_targets)
        for job in self.scheduler.get_jobs():
            checklist_id = _checklist_of(job.id)
            if checklist_id is not None and checklist_id not in wanted:
                self.scheduler.remove_job(job.id)
        for checklist_id, target in wanted.items():
            self._apply(checklist_id, target)

    def sync(self, checklist_id: int) -> None:
        """Add, replace or remove one checklist's job after its reminder settings changed.

        Called by the service from whichever thread changed them; APScheduler's jobs are changed on the loop."""
        target = self._target(checklist_id)
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread or loop.is_closed():
            self._apply(checklist_id, target)
        else:
            loop.call_soon_threadsafe(self._apply, checklist_id, target)

    def job(self, checklist_id: int) -> Any:
        """The APScheduler job of the checklist, or None when it has no reminders."""
        return self.scheduler.get_job(job_id(checklist_id))

    def next_run_time(self, checklist_id: int) -> datetime | None:
        """When the checklist's job fires next, in UTC (None: no job, or the scheduler has not started)."""
        job = self.job(checklist_id)
        at: datetime | None = getattr(job, "next_run_time", None) if job is not None else None
        return None if at is None else at.astimezone(UTC)

    def upcoming(self, checklist_id: int, after: datetime, count: int = 1) -> list[datetime]:
        """The job's next fire times after `after`, by its own trigger (empty when there is no job)."""
        job = self.job(checklist_id)
        return [] if job is None else fire_times(job.trigger, after, limit=count)

    def _apply(self, checklist_id: int, target: Target | None) -> None:
        current = self.job(checklist_id)
        if target is None:
            if current is not None:
                current.remove()
            return
        if current is not None and tuple(current.args[1:]) == (target.cron, target.timezone):
            return  # unchanged: keep its next run time
        try:
            trigger = cron_trigger(target.cron, zone(target.timezone))
        except ValueError as exc:
            log.warning("Checklist %s has an unusable reminder schedule %r: %s", checklist_id, target.cron, exc)
            if current is not None:
                current.remove()
            return
        self.scheduler.add_job(
            self._fire,
            trigger,
            args=(checklist_id, target.cron, target.timezone),
            id=job_id(checklist_id),
            name=f"Preflight reminder for checklist {checklist_id}",
            replace_existing=True,
            misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
            coalesce=True,
            max_instances=1,
        )

    def _target(self, checklist_id: int) -> Target | None:
        with self.service.sessions() as s:
            row = checklists.get_checklist(s, checklist_id)
            return None if row is None else self._target_of(row)

    def _all_targets(self) -> dict[int, Target]:
        with self.service.sessions() as s:
            out: dict[int, Target] = {}
            for row in checklists.list_checklists(s, reminders_enabled=True):
                target = self._target_of(row)
                if target is not None:
                    out[row.id] = target
            return out

    def _target_of(self, row: db.Checklist) -> Target | None:
        if not row.reminders_enabled or not row.reminder_schedule or row.reminders_paused_reason:
            return None
        timezone = row.reminder_timezone or self.service.settings.timezone
        return Target(row.reminder_schedule, timezone, row.reminder_channel_id, row.reminders_changed_at)

    # ------------------------------------------------------------ delivering

    async def _fire(self, checklist_id: int, cron: str, timezone: str) -> None:
        """The job: work out which slot is due (the same on every replica) and deliver it."""
        now = self.service.clock()
        due = fire_times(cron_trigger(cron, zone(timezone)), now - MISFIRE_GRACE - timedelta(minutes=1), until=now)
        slot = due[-1] if due else now
        delivery = await self._deliver_logged(checklist_id, slot)
        if delivery is not None and delivery.outcome is Outcome.NOT_SCHEDULED:
            self.sync(checklist_id)  # this job was built from an older schedule

    async def _deliver_logged(self, checklist_id: int, slot: datetime) -> Delivery | None:
        try:
            return await self.deliver(checklist_id, slot)
        except asyncio.CancelledError:
            raise
        except Exception:  # APScheduler would log it too; this says which checklist and slot
            log.exception("The reminder of checklist %s for %s failed", checklist_id, slot_of(slot).isoformat())
            return None

    async def sweep(self) -> int:
        """Deliver what this replica finds unattended: slots whose lease lapsed (their replica died or stopped)
        and slots no replica claimed at all (all were down at the time), within the grace. Returns how many
        deliveries it started."""
        courier = self.courier
        if courier.closing:
            return 0
        work = await courier.db(self._unattended)
        started = 0
        for checklist_id, slot in work:
            if (checklist_id, slot) in courier.inflight:
                continue
            courier.spawned.add(asyncio.create_task(self._deliver_logged(checklist_id, slot)))
            started += 1
        courier.spawned = {t for t in courier.spawned if not t.done()}
        return started

    def _unattended(self) -> list[tuple[int, datetime]]:
        now = self.service.clock()
        since = now - self.timing.grace
        with self.service.sessions() as s:
            work = reminders.lapsed(s, now=now, since=since)
            targets = self._all_targets()
            due: list[tuple[int, datetime]] = []
            for checklist_id, target in targets.items():
                try:
                    trigger = cron_trigger(target.cron, zone(target.timezone))
                except ValueError:
                    continue
                after = max(since, target.since) if target.since is not None else since
                last = fire_times(trigger, after, until=now)
                if last:
                    due.append((checklist_id, slot_of(last[-1])))
            if due:
                existing = reminders.existing_slots(s, sorted({cid for cid, _ in due}), since)
                work += [key for key in due if key not in existing]
        return work

    async def deliver(self, checklist_id: int, slot: datetime) -> Delivery:
        """Deliver the reminder of one slot (its scheduled time): claim, re-check, post, record (delivery.py).

        Returns the outcome; a post that keeps failing is retried here until the slot's grace ends.
        """
        courier = self.courier
        slot = slot_of(slot)
        if courier.closing:
            return Delivery(Outcome.HANDED_BACK, slot)
        # Its own task, so that a stopping replica can wait for it or cancel it without cancelling the caller.
        inner = asyncio.ensure_future(self._deliver(checklist_id, slot))
        key = (checklist_id, slot)
        courier.tasks.add(inner)
        courier.inflight[key] = inner

        def forget(done: asyncio.Future[Delivery]) -> None:
            courier.tasks.discard(done)
            courier.inflight.pop(key, None)

        inner.add_done_callback(forget)
        try:
            return await inner
        except asyncio.CancelledError:
            if inner.cancelled() and courier.closing:
                return Delivery(Outcome.HANDED_BACK, slot)
            raise

    async def _recheck(self, checklist_id: int) -> tuple[ChecklistStatus, str | None]:
        """The status with the outstanding automatic items re-checked, and why not when they could not be."""
        service = self.service
        status = await self.courier.db(service.status, checklist_id)
        slugs = [spec.slug for spec in status.outstanding if spec.kind in RECHECKABLE]
        if not slugs:
            return status, None
        view = status.checklist
        if not view.qbo_connected and not view.finale_connected:
            return status, "neither QuickBooks nor Finale is connected"  # nothing a re-check could learn
        try:
            return await service.run_checks(checklist_id, None, slugs), None
        except Exception:  # the reminder still goes out, saying that its results are not fresh
            log.warning("Re-checking checklist %s before its reminder failed", checklist_id, exc_info=True)
            return status, "QuickBooks or Finale could not be reached"

    async def _deliver(self, checklist_id: int, slot: datetime) -> Delivery:
        courier = self.courier
        service = self.service
        target = await courier.db(self._target, checklist_id)
        if target is None:
            self._apply(checklist_id, None)
            return Delivery(Outcome.OFF, slot)
        timezone = zone(target.timezone)
        trigger = cron_trigger(target.cron, timezone)
        if not is_fire_time(trigger, slot):
            return Delivery(Outcome.NOT_SCHEDULED, slot)

        claim = await courier.claim(checklist_id, slot)
        if not isinstance(claim, reminders.Claim):
            return Delivery(claim, slot)
        async with courier.kept(claim) as holder:
            # The re-check runs under the lease, renewed in the background however long it takes; the gate
            # bounds how many slots a replica works on at once (a post waiting out a backoff does not count).
            async with courier.gate:
                status, recheck_error = await self._recheck(checklist_id)

            view = status.checklist
            channel_id = target.channel_id or view.scope.channel_id
            if status.ready:
                card = all_clear_card(status)
            else:
                upcoming = fire_times(trigger, slot, limit=1)
                next_at = upcoming[0] if upcoming else None
                card = reminder_card(status, timezone=timezone, next_at=next_at, recheck_error=recheck_error)
            delivery = await courier.post(claim, channel_id, card, view.scope, holder)

        if delivery.outcome is Outcome.PAUSED:
            reason = delivery.reason or "the channel refused the reminder"
            if await courier.db(service.pause_reminders, checklist_id, reason):
                log.warning("Reminders of checklist %s paused: %s", checklist_id, reason)
                await courier.tell_owners_paused(checklist_id, reason)
            self._apply(checklist_id, None)
        elif delivery.outcome is Outcome.POSTED and status.ready:
            await courier.db(service.stop_reminders_if_all_clear, checklist_id, status)  # for good
            self._apply(checklist_id, None)
            log.info("Checklist %s is all clear; its reminders are now off", checklist_id)
            return Delivery(Outcome.ALL_CLEAR, slot, delivery.message_ref, delivery.attempts)
        return delivery


def job_id(checklist_id: int) -> str:
    return f"{JOB_PREFIX}{checklist_id}"


def _checklist_of(job_id_: str) -> int | None:
    if not job_id_.startswith(JOB_PREFIX):
        return None
    tail = job_id_.removeprefix(JOB_PREFIX)
    return int(tail) if tail.isdigit() else None
