"""Reminders end to end: the production scheduler, service and conversation on a real database, with the
QBO and Finale simulators behind the real clients. Deliveries are driven by calling `deliver` with a
chosen slot and by reading the jobs' next run times; nothing waits for a clock.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cards import Actions, Button, Card, Mention
from bot.checklist.service import ChecklistService
from bot.checklist.views import ScopeKey
from bot.conversation import messages as m
from bot.conversation.conversation import Conversation
from bot.reminders.notify import RetryLater
from bot.reminders.scheduler import Outcome, Reminders, Timing
from checks.results import Pending, Status
from handlers.console.notifier import ConsoleNotifier
from sandbox.runtime import FIXES
from storage import models as db
from storage.repositories.checklists import update_checklist
from tests.bot.harness import OWNER, SCOPE, STRANGER, Harness, card_text, reply_text
from tests.bot.reminders.conftest import Channel

LA = ZoneInfo("America/Los_Angeles")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def first_local(after: datetime, tz: ZoneInfo, at: time, weekdays: range = range(7)) -> datetime:
    """The first `at` o'clock in `tz` after `after` on one of `weekdays` (Monday 0), worked out by hand."""
    day = after.astimezone(tz).date()
    for offset in range(8):
        candidate = datetime.combine(day + timedelta(days=offset), at, tzinfo=tz)
        if candidate.weekday() in weekdays and candidate > after:
            return candidate.astimezone(UTC)
    raise AssertionError("no such time within a week")


def set_timezone(h: Harness, checklist_id: int, name: str) -> None:
    with h.sessions.begin() as s:
        update_checklist(s, checklist_id, reminder_timezone=name)


def deliveries(h: Harness, checklist_id: int) -> list[db.ReminderDelivery]:
    with h.sessions() as s:
        rows = list(
            s.scalars(
                select(db.ReminderDelivery)
                .where(db.ReminderDelivery.checklist_id == checklist_id)
                .order_by(db.ReminderDelivery.slot)
            )
        )
        s.expunge_all()
        return rows


def reminders_enabled(h: Harness, checklist_id: int) -> bool:
    with h.sessions() as s:
        row = s.get(db.Checklist, checklist_id)
        assert row is not None
        return row.reminders_enabled


def card_buttons(card: Card) -> list[Button]:
    return [b for block in card.blocks if isinstance(block, Actions) for b in block.buttons]


def with_clock(h: Harness, clock: Callable[[], datetime]) -> ChecklistService:
    """The same production service on the same database, reading a chosen clock."""
    h.service = ChecklistService(h.sessions, h.settings, h.service.sources, clock=clock)
    h.conversation = Conversation(h.service)
    return h.service


async def clear_everything_but(h: Harness, leave: str) -> None:
    """Fix every planted problem except one, and answer everything as owners would."""
    cid = h.checklist_id
    await h.service.set_enable_date(cid, OWNER, h.enable_date)
    h.service.set_revenue(cid, OWNER, False)
    for fix in FIXES:
        if fix != leave:
            await asyncio.to_thread(h.runtime.fix, fix, today=h.today)
    h.service.record_backup(cid, OWNER, h.today, "snapshot-1")
    for _ in range(3):
        status = await h.service.run_checks(cid, OWNER)
        for spec in status.outstanding:
            result = status.results.get(spec.slug)
            if result is None:
                continue
            if result.pending is Pending.CONFIRM:
                shown = m.confirmation_text(spec.slug, status.checklist, result)
                h.service.confirm(cid, OWNER, spec.slug, shown)
            elif result.status is Status.WARN and result.ack_key is not None:
                shown = m.acknowledgement_text(spec.slug, status.checklist, result)
                h.service.acknowledge(cid, OWNER, spec.slug, result.ack_key, shown)


# ---------------------------------------------------------------- jobs follow the database


async def test_start_rebuilds_every_job_from_the_database(harness: Harness) -> None:
    h = harness
    first = (await h.start_connected()).id
    other, _ = h.service.start(ScopeKey("console", "T-acme", "C-other", "Acme workspace"), OWNER, "Acme UK")
    silent, _ = h.service.start(ScopeKey("console", "T-acme", "C-silent", "Acme workspace"), OWNER, "Acme CA")
    set_timezone(h, first, "America/Los_Angeles")
    set_timezone(h, other.id, "Europe/London")
    # Saved while no scheduler runs (e.g. by another replica, or before a restart).
    h.service.set_reminders(first, OWNER, "weekdays 09:00")
    h.service.set_reminders(other.id, OWNER, "mon,thu 14:30")
    h.service.set_reminders(silent.id, OWNER, "daily 08:00")
    h.service.set_reminders(silent.id, OWNER, None)

    before = datetime.now(UTC)
    replica = Reminders(h.service, Channel(), refresh_every=None)
    await replica.start()
    try:
        assert replica.next_run_time(first) == first_local(before, LA, time(9, 0), range(5))
        assert replica.next_run_time(other.id) == first_local(before, ZoneInfo("Europe/London"), time(14, 30), (0, 3))
        assert replica.job(silent.id) is None
    finally:
        await replica.shutdown()

    # A restart: a new process with its own engine and service finds the same jobs in the database.
    restarted = Harness(h.runtime, h.database_url)
    again = Reminders(restarted.service, Channel(), refresh_every=None)
    await again.start()
    try:
        assert again.next_run_time(first) == first_local(before, LA, time(9, 0), range(5))
        assert again.next_run_time(other.id) == first_local(before, ZoneInfo("Europe/London"), time(14, 30), (0, 3))
        assert again.job(silent.id) is None
    finally:
        await again.shutdown()
        restarted.close()


async def test_next_run_time_is_in_the_checklists_timezone(harness: Harness, reminders: Reminders) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "America/Los_Angeles")
    before = datetime.now(UTC)
    reply = await h.say("remind weekdays 09:00")
    assert "on weekdays at 09:00 (America/Los_Angeles)" in reply_text(reply)

    assert reminders.next_run_time(cid) == first_local(before, LA, time(9, 0), range(5))
    # The job's own trigger across the start of US daylight saving time (Sunday 8 March 2026).
    assert reminders.upcoming(cid, utc(2026, 3, 6, 12, 0), 3) == [
        utc(2026, 3, 6, 17, 0),
        utc(2026, 3, 9, 16, 0),
        utc(2026, 3, 10, 16, 0),
    ]

    # A new timezone reaches the job once it is synced (the service notifies on schedule changes).
    set_timezone(h, cid, "Europe/Berlin")
    reminders.sync(cid)
    assert reminders.next_run_time(cid) == first_local(
        datetime.now(UTC), ZoneInfo("Europe/Berlin"), time(9, 0), range(5)
    )


async def test_remind_off_removes_the_job_and_only_owners_change_it(harness: Harness, reminders: Reminders) -> None:
    h = harness
    cid = (await h.start_connected()).id
    await h.say("remind daily 08:30")
    assert reminders.job(cid) is not None

    refused = await h.say("remind off", actor=STRANGER)
    assert "Only owners of this checklist can change reminders" in reply_text(refused)
    assert reminders.job(cid) is not None

    await h.say("remind off")
    assert reminders.job(cid) is None
    assert not reminders_enabled(h, cid)

    await h.say("remind mon 10:00")
    assert reminders.job(cid) is not None


async def test_schedule_changed_on_another_replica_is_followed(harness: Harness, reminders: Reminders) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "America/Los_Angeles")
    await h.say("remind daily 09:00")
    old_slot = reminders.next_run_time(cid)
    assert old_slot is not None

    other = Harness(h.runtime, h.database_url)
    try:
        other.service.set_reminders(cid, OWNER, "daily 10:00")  # that replica's listeners, not ours
        assert reminders.next_run_time(cid) == old_slot
        # This replica's job fires at the old time: the slot is not on the schedule any more.
        delivered = await reminders.deliver(cid, old_slot)
        assert delivered.outcome is Outcome.NOT_SCHEDULED
        assert deliveries(h, cid) == []
        await reminders.rebuild()  # the periodic refresh
        assert reminders.next_run_time(cid) == first_local(datetime.now(UTC), LA, time(10, 0))
    finally:
        other.close()


# ---------------------------------------------------------------- delivering


async def test_a_reminder_rechecks_before_posting(harness: Harness, reminders: Reminders, channel: Channel) -> None:
    h = harness
    cid = (await h.start_connected()).id
    await h.service.run_checks(cid, OWNER)
    assert h.service.status(cid).results["negative-qoh"].status is Status.FAIL
    await h.say("remind daily 09:00")

    await asyncio.to_thread(h.runtime.fix, "stock", today=h.today)  # a stock take in Finale
    slot = reminders.next_run_time(cid)
    assert slot is not None
    delivered = await reminders.deliver(cid, slot)

    assert delivered.outcome is Outcome.POSTED
    assert len(channel.posts) == 1
    scope, channel_id, card = channel.posts[0]
    assert (scope, channel_id) == (SCOPE, SCOPE.channel_id)
    text = card_text(card)
    titles = {spec.slug: spec.title for spec in h.service.registry.all()}
    assert titles["negative-qoh"] not in text  # fixed since the last check: not nagged about
    assert titles["average-cost"] in text  # still failing
    assert titles["backup"] in text  # waiting for an owner
    status = h.service.status(cid)
    assert f"{status.cleared_count} of {len(status.specs)} cleared" in text
    assert Mention(OWNER.user_id, OWNER.name).markup in text  # a real mention, rendered by each surface
    assert [(b.label, b.action, b.value) for b in card_buttons(card)] == [
        ("Next step", "next", ""),
        ("Snooze 1 day", "snooze", "1d"),
        ("Check everything", "check", "all"),
    ]

    # Only the outstanding automatic checks were re-run, by the reminder.
    with h.sessions() as s:
        run = s.scalars(select(db.CheckRun).where(db.CheckRun.triggered_by == "reminder")).one()
        assert "negative-qoh" in run.slugs and "average-cost" in run.slugs
        assert "backup" not in run.slugs and "enable-date" not in run.slugs
    [row] = deliveries(h, cid)
    assert row.slot == slot and row.message_ref == delivered.message_ref == "slack:C-golive:1"
    assert row.posted_at is not None


async def test_two_replicas_post_a_slot_exactly_once(harness: Harness) -> None:
    h = harness
    cid = (await h.start_connected()).id
    h.service.set_reminders(cid, OWNER, "daily 09:00")
    other = Harness(h.runtime, h.database_url)
    left, right = Channel("left"), Channel("right")
    replicas = [Reminders(h.service, left, refresh_every=None), Reminders(other.service, right, refresh_every=None)]
    slot = first_local(datetime.now(UTC), ZoneInfo(h.settings.timezone), time(9, 0))
    try:
        # Each replica on its own thread and event loop, as separate processes would be.
        outcomes = await asyncio.gather(*(asyncio.to_thread(asyncio.run, r.deliver(cid, slot)) for r in replicas))
        assert sorted(d.outcome for d in outcomes) == sorted([Outcome.POSTED, Outcome.TAKEN])
        assert len(left.posts) + len(right.posts) == 1
        later = await replicas[0].deliver(cid, slot)
        assert later.outcome is Outcome.TAKEN
        assert len(left.posts) + len(right.posts) == 1
        [row] = deliveries(h, cid)
        assert row.posted_at is not None
    finally:
        other.close()


async def test_all_clear_is_posted_once_and_reminders_stop(
    harness: Harness, reminders: Reminders, channel: Channel
) -> None:
    h = harness
    cid = (await h.start_connected()).id
    await clear_everything_but(h, leave="stock")
    assert [s.slug for s in h.service.status(cid).outstanding] == ["negative-qoh"]
    await h.say("remind daily 09:00")
    first = reminders.next_run_time(cid)
    assert first is not None

    await asyncio.to_thread(h.runtime.fix, "stock", today=h.today)
    delivered = await reminders.deliver(cid, first)

    assert delivered.outcome is Outcome.ALL_CLEAR
    [card] = channel.cards
    assert "All clear: Acme Outdoor Goods is ready to enable" in card_text(card)
    assert not reminders_enabled(h, cid)
    assert reminders.job(cid) is None
    assert h.service.status(cid).ready

    # The next slot (this replica, or one that still had the job) posts nothing.
    second = first + timedelta(days=1)
    assert (await reminders.deliver(cid, second)).outcome is Outcome.OFF
    other = Harness(h.runtime, h.database_url)
    try:
        late = Reminders(other.service, channel, refresh_every=None)
        assert (await late.deliver(cid, second)).outcome is Outcome.OFF
    finally:
        other.close()
    assert len(channel.posts) == 1
    assert "Reminders are off" in reply_text(await h.say("remind"))


async def test_snooze_skips_the_next_reminder(harness: Harness, channel: Channel) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "America/Los_Angeles")
    # Friday 6 March 2026, five minutes after the 09:00 reminder in Los Angeles.
    friday = utc(2026, 3, 6, 17, 0)
    service = with_clock(h, lambda: friday + timedelta(minutes=5))
    service.set_reminders(cid, OWNER, "weekdays 09:00")
    reminders = Reminders(service, channel, refresh_every=None)

    posted = await reminders.deliver(cid, friday)
    assert posted.outcome is Outcome.POSTED
    [snooze] = [b for b in card_buttons(channel.cards[0]) if b.action == "snooze"]

    # Anyone in the channel may snooze; the weekend is skipped, so it is Monday's reminder that goes.
    reply = await h.press(snooze, actor=STRANGER)
    text = reply_text(reply)
    assert f"{STRANGER.name} snoozed the reminder of Mon 9 Mar 09:00 PDT" in text
    assert "The next one is on Tue 10 Mar 09:00 PDT" in text

    monday, tuesday = utc(2026, 3, 9, 16, 0), utc(2026, 3, 10, 16, 0)
    assert (await reminders.deliver(cid, monday)).outcome is Outcome.SNOOZED
    assert len(channel.posts) == 1
    assert (await reminders.deliver(cid, tuesday)).outcome is Outcome.POSTED
    assert len(channel.posts) == 2
    by_slot = {row.slot: row for row in deliveries(h, cid)}
    assert STRANGER.user_id in by_slot[monday].claimed_by and by_slot[monday].posted_at is None
    assert by_slot[tuesday].posted_at is not None


async def test_snooze_for_two_days_on_a_daily_schedule(harness: Harness) -> None:
    h = harness
    cid = (await h.start_connected()).id
    now = utc(2026, 3, 2, 12, 0)
    service = with_clock(h, lambda: now)
    service.set_reminders(cid, OWNER, "daily 09:00")
    set_timezone(h, cid, "UTC")

    reply = await h.submit("snooze", "2d")
    assert "snoozed 2 reminders, from Tue 3 Mar 09:00 UTC to Wed 4 Mar 09:00 UTC" in reply_text(reply)
    assert [row.slot for row in deliveries(h, cid)] == [utc(2026, 3, 3, 9, 0), utc(2026, 3, 4, 9, 0)]


async def test_snooze_refuses_bad_periods_and_when_reminders_are_off(harness: Harness) -> None:
    h = harness
    cid = (await h.start_connected()).id
    off = await h.submit("snooze", "1d")
    assert "Reminders are off for this checklist" in reply_text(off)
    h.service.set_reminders(cid, OWNER, "daily 09:00")
    for period in ("forever", "30d", "0h"):
        assert "Nothing was changed" in reply_text(await h.submit("snooze", period))
    assert deliveries(h, cid) == []


async def test_a_slot_off_the_schedule_is_not_posted(harness: Harness, channel: Channel) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "UTC")
    h.service.set_reminders(cid, OWNER, "daily 09:00")
    reminders = Reminders(h.service, channel, refresh_every=None)
    assert (await reminders.deliver(cid, utc(2026, 3, 3, 9, 1))).outcome is Outcome.NOT_SCHEDULED
    assert channel.posts == [] and deliveries(h, cid) == []


async def test_the_job_delivers_the_slot_it_was_scheduled_for(harness: Harness, channel: Channel) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "UTC")
    slot = utc(2026, 3, 3, 9, 0)
    now = slot + timedelta(minutes=3)  # late: the process was paused, within the misfire grace
    service = with_clock(h, lambda: now)
    service.set_reminders(cid, OWNER, "daily 09:00")
    reminders = Reminders(service, channel, refresh_every=None)
    await reminders.start()
    try:
        job = reminders.job(cid)
        await job.func(*job.args)  # what APScheduler runs at the fire time
        assert [row.slot for row in deliveries(h, cid)] == [slot]
        assert len(channel.posts) == 1
        # Far too late (beyond the misfire grace): no slot is due, nothing is posted.
        now = slot + timedelta(hours=3)
        await job.func(*job.args)
        assert len(channel.posts) == 1 and len(deliveries(h, cid)) == 1
    finally:
        await reminders.shutdown()


async def test_a_failed_post_is_retried_and_never_posted_twice(harness: Harness) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "UTC")
    slot = utc(2026, 3, 3, 9, 0)
    service = with_clock(h, lambda: slot + timedelta(seconds=30))
    service.set_reminders(cid, OWNER, "daily 09:00")
    # A 429, a 500 after which the message was in fact posted, then a connection error.
    posted_anyway = RetryLater("Slack answered 500 internal_error")
    flaky = Channel(
        failures=[RetryLater("rate limited", 0.01, maybe_posted=False), posted_anyway, ConnectionError("reset")],
        after={id(posted_anyway)},
    )
    quick = Timing(backoff_first=0.01, backoff_max=0.02)
    delivered = await Reminders(service, flaky, refresh_every=None, timing=quick).deliver(cid, slot)

    assert delivered.outcome is Outcome.POSTED
    assert len(flaky.posts) == 1  # found by its stamp after the 500, not posted again
    assert flaky.lookups >= 1
    [row] = deliveries(h, cid)
    assert row.posted_at is not None and row.attempts == 2 and row.message_ref == delivered.message_ref
    # Another replica finds it posted.
    again = await Reminders(service, Channel(), refresh_every=None).deliver(cid, slot)
    assert again.outcome is Outcome.TAKEN


async def test_console_notifier_writes_the_rendered_reminder(harness: Harness) -> None:
    h = harness
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "UTC")
    h.service.set_reminders(cid, OWNER, "daily 09:00")
    out = io.StringIO()
    delivered = await Reminders(h.service, ConsoleNotifier(out), refresh_every=None).deliver(cid, utc(2026, 3, 3, 9, 0))
    assert delivered.message_ref == "console:C-golive:1"
    text = out.getvalue()
    assert "[reminder in #C-golive]" in text
    assert "== Preflight reminder · Acme Outdoor Goods ==" in text
    assert "Snooze 1 day" in text
    assert f"@{OWNER.name}" in text
    assert "Next reminder: Wed 4 Mar 09:00 UTC" in text
