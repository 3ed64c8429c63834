"""Reminder slots as leases, in one process: a lapsed lease is taken over (looking for the message first), a
stopping replica hands its slots back, a missed slot is caught up, a channel gone for good pauses reminders.

The production scheduler and service on a real database (SQLite and PostgreSQL), with a chosen clock; the
chat platform is the recorded Channel of conftest.py. tests/bot/reminders/test_replicas.py does the same
with real processes, the Slack stand-in and kill -9.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.cards import Card
from bot.checklist.views import ScopeKey
from bot.conversation import messages as m
from bot.reminders.messages import reminder_card
from bot.reminders.notify import ChannelGone, reminder_stamp
from bot.reminders.scheduler import Outcome, Reminders, Timing
from storage import models as db
from storage.repositories import reminders as repo
from tests.bot.harness import OWNER, Harness, card_text, reply_text
from tests.bot.reminders.conftest import Channel
from tests.bot.reminders.test_scheduler import deliveries, set_timezone, with_clock

SLOT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
QUICK = Timing(lease=timedelta(seconds=30), backoff_first=0.01, backoff_max=0.02, finish_on_shutdown=0.2)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def daily_nine(h: Harness, clock: Clock) -> int:
    cid = (await h.start_connected()).id
    set_timezone(h, cid, "UTC")
    service = with_clock(h, clock)
    clock_was = clock.now
    clock.now = SLOT - timedelta(days=1)  # the schedule was set the day before
    service.set_reminders(cid, OWNER, "daily 09:00")
    clock.now = clock_was
    return cid


async def test_a_replica_that_died_after_posting_is_taken_over_without_a_second_post(harness: Harness) -> None:
    h = harness
    clock = Clock(SLOT + timedelta(seconds=5))
    cid = await daily_nine(h, clock)
    channel = Channel()
    # Replica "a" claimed the slot, counted its attempt and posted, then died before recording the post.
    with h.sessions.begin() as s:
        claim = repo.acquire(s, cid, SLOT, owner="a", now=clock.now, lease=QUICK.lease)
        assert claim is not None
        assert repo.start_attempt(s, claim, now=clock.now, lease=QUICK.lease) is not None
    status = h.service.status(cid)
    card = reminder_card(status, timezone=UTC, next_at=None)
    await channel.post(status.checklist.scope, status.checklist.scope.channel_id, _stamped(card, cid))

    survivor = Reminders(h.service, channel, refresh_every=None, timing=QUICK, claimant="b")
    assert await survivor.sweep() == 0  # a's lease still runs
    clock.now += QUICK.lease + timedelta(seconds=1)
    assert await survivor.sweep() == 1
    await _settle(survivor)

    assert len(channel.posts) == 1 and channel.lookups == 1
    [row] = deliveries(h, cid)
    assert row.posted_at is not None and row.claimed_by == "b" and row.message_ref == "slack:C-golive:1"


async def test_a_replica_that_died_before_posting_is_taken_over_and_posts(harness: Harness) -> None:
    h = harness
    clock = Clock(SLOT + timedelta(seconds=5))
    cid = await daily_nine(h, clock)
    with h.sessions.begin() as s:
        assert repo.acquire(s, cid, SLOT, owner="a", now=clock.now, lease=QUICK.lease) is not None
    channel = Channel()
    survivor = Reminders(h.service, channel, refresh_every=None, timing=QUICK, claimant="b")
    clock.now += QUICK.lease + timedelta(seconds=1)
    assert await survivor.sweep() == 1
    await _settle(survivor)
    assert len(channel.posts) == 1 and channel.lookups == 0  # no attempt was counted: nothing to look for
    [row] = deliveries(h, cid)
    assert row.posted_at is not None and row.claimed_by == "b" and row.attempts == 1


async def test_a_slot_no_replica_was_up_for_is_caught_up_within_the_grace(harness: Harness) -> None:
    h = harness
    clock = Clock(SLOT + timedelta(minutes=3))
    cid = await daily_nine(h, clock)
    channel = Channel()
    late = Reminders(h.service, channel, refresh_every=None, timing=QUICK)
    assert await late.sweep() == 1
    await _settle(late)
    assert [row.slot for row in deliveries(h, cid)] == [SLOT] and len(channel.posts) == 1
    assert await late.sweep() == 0  # posted: nothing more to do
    # Beyond the grace nothing is caught up; nor is a slot from before the schedule was set.
    clock.now = SLOT + timedelta(days=1) + QUICK.grace + timedelta(minutes=1)
    assert await late.sweep() == 0
    clock.now = SLOT + timedelta(days=2, minutes=1)
    h.service.set_reminders(cid, OWNER, "daily 09:00")
    assert await late.sweep() == 0
    assert len(channel.posts) == 1


async def test_retries_stop_when_the_grace_ends_and_nobody_takes_the_slot_over(harness: Harness) -> None:
    h = harness
    clock = Clock(SLOT + QUICK.grace - timedelta(milliseconds=1))  # less than the shortest backoff is left
    cid = await daily_nine(h, clock)
    down = Channel(failures=[ConnectionError("reset")])
    gave_up = await Reminders(h.service, down, refresh_every=None, timing=QUICK).deliver(cid, SLOT)
    assert gave_up.outcome is Outcome.GAVE_UP and "reset" in (gave_up.reason or "")
    [row] = deliveries(h, cid)
    assert row.gave_up_at is not None and row.posted_at is None and "reset" in (row.last_error or "")
    clock.now += QUICK.lease * 2
    other = Reminders(h.service, Channel(), refresh_every=None, timing=QUICK, claimant="b")
    assert await other.sweep() == 0


async def test_sigterm_hands_unfinished_slots_back_to_another_replica(harness: Harness) -> None:
    h = harness
    clock = Clock(SLOT + timedelta(seconds=5))
    cid = await daily_nine(h, clock)
    stuck = Stuck()
    stopping = Reminders(h.service, stuck, refresh_every=None, timing=QUICK, claimant="a")
    await stopping.start(sweep=False)
    delivery = asyncio.create_task(stopping.deliver(cid, SLOT))
    await asyncio.wait_for(stuck.entered.wait(), 30)
    await stopping.shutdown()  # the post does not finish within finish_on_shutdown: handed back
    assert (await delivery).outcome is Outcome.HANDED_BACK
    [row] = deliveries(h, cid)
    assert row.posted_at is None and row.lease_expires_at is not None and row.lease_expires_at < clock.now

    channel = Channel()
    taker = Reminders(h.service, channel, refresh_every=None, timing=QUICK, claimant="b")
    assert await taker.sweep() == 1  # at once, not a lease later
    await _settle(taker)
    assert len(channel.posts) == 1 and channel.lookups == 1  # the cut-off post may have gone out: looked first
    assert deliveries(h, cid)[0].posted_at is not None


async def test_a_channel_gone_for_good_pauses_reminders_tells_an_owner_and_remind_on_resumes(
    harness: Harness,
) -> None:
    h = harness
    clock = Clock(SLOT + timedelta(seconds=5))
    cid = await daily_nine(h, clock)
    archived = Channel(failures=[ChannelGone("the channel is archived")])
    reminders = Reminders(h.service, archived, refresh_every=None, timing=QUICK)
    await reminders.start(sweep=False)
    try:
        assert reminders.job(cid) is not None
        paused = await reminders.deliver(cid, SLOT)
        assert paused.outcome is Outcome.PAUSED
        assert archived.posts == []
        [(user_id, dm)] = archived.direct_messages
        assert user_id == OWNER.user_id and "the channel is archived" in card_text(dm)
        assert reminders.job(cid) is None
        [row] = deliveries(h, cid)
        assert row.gave_up_at is not None
        with h.sessions() as s:
            checklist = s.get(db.Checklist, cid)
            assert checklist is not None and checklist.reminders_paused_reason == "the channel is archived"
        # Status and App Home show it; the next slot is not even claimed.
        status_text = card_text(m.checklist_card(h.service.status(cid)))
        assert "Reminders paused: the channel is archived. `remind on` resumes." in status_text
        clock.now += timedelta(days=1)
        assert (await reminders.deliver(cid, SLOT + timedelta(days=1))).outcome is Outcome.OFF
        assert len(deliveries(h, cid)) == 1

        assert "Reminders paused: the channel is archived" in reply_text(await h.say("remind"))
        reply = reply_text(await h.say("remind on"))
        assert "Reminders are on again" in reply
        assert reminders.job(cid) is not None
        assert "Reminders paused" not in card_text(m.checklist_card(h.service.status(cid)))
        resumed = await reminders.deliver(cid, SLOT + timedelta(days=1))
        assert resumed.outcome is Outcome.POSTED and len(archived.posts) == 1
    finally:
        await reminders.shutdown()


async def test_remind_on_without_a_schedule_says_how_to_set_one(harness: Harness) -> None:
    h = harness
    await h.start_connected()
    assert "remind weekdays 09:00" in reply_text(await h.say("remind on"))


class Stuck(Channel):
    """A post that never comes back (a hung connection)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()

    async def post(self, scope: ScopeKey, channel_id: str, card: Card) -> str | None:
        self.entered.set()
        await asyncio.Event().wait()
        return None


def _stamped(card: Card, checklist_id: int) -> Card:
    from dataclasses import replace

    return replace(card, stamp=reminder_stamp(checklist_id, SLOT))


async def _settle(reminders: Reminders) -> None:
    """Wait for the deliveries the sweep started."""
    for _ in range(200):
        spawned = [t for t in reminders.courier.spawned if not t.done()]
        if not spawned:
            return
        await asyncio.wait(spawned, timeout=10)
