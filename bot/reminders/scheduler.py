"""Channel reminders on APScheduler 3 (DESIGN §5), a thin facade in the spirit of python-telegram-bot's JobQueue.

One job per checklist with reminders on, firing on its cron schedule in its timezone. The database is the
source of truth: `start()` rebuilds every job from it (a restart loses nothing), `sync()` follows one
checklist after its settings change, and a periodic refresh picks up changes made on other replicas.

Each run claims its (checklist, slot) row before anything else, so with several replicas exactly one
posts; then it re-checks the outstanding automatic items, so a reminder never nags about something
already fixed, and posts what is still open. Once everything is cleared it posts "all clear" and the service turns
reminders off for good.

Serving: `reminders = Reminders(core.service, notifier)`; `await reminders.start()` once the event loop
runs (e.g. in aiohttp's `on_startup`), `await reminders.shutdown()` on the way out.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.checklist.schedule import cron_trigger, fire_times, is_fire_time, slot_of, zone
from bot.checklist.service import ChecklistService
from bot.reminders.messages import all_clear_card, reminder_card
from bot.reminders.notify import Notifier
from bot.reminders.snooze import is_snooze
from checks.registry import Kind
from storage import models as db
from storage.repositories import checklists, reminders

log = logging.getLogger(__name__)

JOB_PREFIX = "preflight-reminder:"
REFRESH_JOB_ID = "preflight-reminders-refresh"
# A reminder delayed by a busy event loop or a short pause still goes out; one missed by hours does not.
MISFIRE_GRACE = timedelta(minutes=10)
REFRESH_EVERY = timedelta(minutes=5)
# Checks Preflight can re-run on its own before a reminder (the rest wait for a person's answer).
RECHECKABLE = frozenset(
    {Kind.AUTOMATIC, Kind.AUTOMATIC_CONFIRMATION, Kind.AUTOMATIC_ACKNOWLEDGEMENT, Kind.INPUT_AUTOMATIC}
)


class Outcome(enum.StrEnum):
    POSTED = "posted"
    ALL_CLEAR = "all_clear"  # posted the final reminder and turned reminders off
    TAKEN = "taken"  # another replica claimed this slot
    SNOOZED = "snoozed"  # someone snoozed this slot
    OFF = "off"  # reminders are off, or the checklist is gone
    NOT_SCHEDULED = "not_scheduled"  # the slot is not on the current schedule (a job left from an old one)


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    slot: datetime
    message_ref: str | None = None


@dataclass(frozen=True)
class Target:
    """Where and when one checklist is reminded, as the database says now."""

    cron: str
    timezone: str  # IANA name
    channel_id: str | None  # None: the checklist's own channel


class Reminders:
    __slots__ = ("claimant", "notifier", "refresh_every", "scheduler", "service")

    def __init__(
        self,
        service: ChecklistService,
        notifier: Notifier,
        *,
        scheduler: AsyncIOScheduler | None = None,
        claimant: str | None = None,
        refresh_every: timedelta | None = REFRESH_EVERY,
    ) -> None:
        self.service = service
        self.notifier = notifier
        self.scheduler = scheduler or AsyncIOScheduler(timezone="UTC")
        self.claimant = claimant or reminders.default_claimant()
        self.refresh_every = refresh_every

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the scheduler on the running event loop with one job per checklist that has reminders on."""
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

    async def shutdown(self) -> None:
        self.service.remove_reminder_listener(self.sync)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            # AsyncIOScheduler stops on the next turn of the loop.
            await asyncio.sleep(0)

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
        """Add, replace or remove one checklist's job after its reminder settings changed."""
        self._apply(checklist_id, self._target(checklist_id))

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
        if not row.reminders_enabled or not row.reminder_schedule:
            return None
        timezone = row.reminder_timezone or self.service.settings.timezone
        return Target(row.reminder_schedule, timezone, row.reminder_channel_id)

    # ------------------------------------------------------------ delivering

    async def _fire(self, checklist_id: int, cron: str, timezone: str) -> None:
        """The job: work out which slot is due (the same on every replica) and deliver it."""
        now = self.service.clock()
        due = fire_times(cron_trigger(cron, zone(timezone)), now - MISFIRE_GRACE - timedelta(minutes=1), until=now)
        slot = due[-1] if due else now
        try:
            delivery = await self.deliver(checklist_id, slot)
        except Exception:  # APScheduler would log it too; this says which checklist and slot
            log.exception("The reminder of checklist %s for %s failed", checklist_id, slot_of(slot).isoformat())
            return
        if delivery.outcome is Outcome.NOT_SCHEDULED:
            self.sync(checklist_id)  # this job was built from an older schedule

    async def deliver(self, checklist_id: int, slot: datetime) -> Delivery:
        """Deliver the reminder of one slot (its scheduled time): claim, re-check, post, record.

        Raises what the notifier raises; the slot then stays claimed and unposted (a reminder is never
        posted twice, at the price of sometimes not at all).
        """
        slot = slot_of(slot)
        service = self.service
        target = self._target(checklist_id)
        if target is None:
            self._apply(checklist_id, None)
            return Delivery(Outcome.OFF, slot)
        timezone = zone(target.timezone)
        trigger = cron_trigger(target.cron, timezone)
        if not is_fire_time(trigger, slot):
            return Delivery(Outcome.NOT_SCHEDULED, slot)

        # Claim first and commit at once: a concurrent claim of the same slot waits for this one, then loses.
        with service.sessions.begin() as s:
            claimed = reminders.claim_reminder(s, checklist_id, slot, claimed_by=self.claimant)
            holder = None if claimed else reminders.slot_claimant(s, checklist_id, slot)
        if not claimed:
            return Delivery(Outcome.SNOOZED if holder and is_snooze(holder) else Outcome.TAKEN, slot)

        status = service.status(checklist_id)
        slugs = [spec.slug for spec in status.outstanding if spec.kind in RECHECKABLE]
        recheck_error: str | None = None
        if slugs:
            try:
                status = await service.run_checks(checklist_id, None, slugs)
            except Exception:  # the reminder still goes out, saying that its results are not fresh
                log.warning("Re-checking checklist %s before its reminder failed", checklist_id, exc_info=True)
                recheck_error = "QuickBooks or Finale could not be reached"

        view = status.checklist
        channel_id = target.channel_id or view.scope.channel_id
        if status.ready:
            card = all_clear_card(status)
        else:
            upcoming = fire_times(trigger, slot, limit=1)
            next_at = upcoming[0] if upcoming else None
            card = reminder_card(status, timezone=timezone, next_at=next_at, recheck_error=recheck_error)
        ref = await self.notifier.post(view.scope, channel_id, card)

        with service.sessions.begin() as s:
            reminders.mark_reminder_posted(s, checklist_id, slot, ref or "", posted_at=service.clock())
        if status.ready:
            service.stop_reminders_if_all_clear(checklist_id, status)  # the service decides; for good
            self._apply(checklist_id, None)
            log.info("Checklist %s is all clear; its reminders are now off", checklist_id)
            return Delivery(Outcome.ALL_CLEAR, slot, ref)
        return Delivery(Outcome.POSTED, slot, ref)


def job_id(checklist_id: int) -> str:
    return f"{JOB_PREFIX}{checklist_id}"


def _checklist_of(job_id_: str) -> int | None:
    if not job_id_.startswith(JOB_PREFIX):
        return None
    tail = job_id_.removeprefix(JOB_PREFIX)
    return int(tail) if tail.isdigit() else None
