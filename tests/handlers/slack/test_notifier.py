"""Reminders reach Slack: the scheduler's delivery posts into the checklist's channel with the workspace's bot."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cards import Card, Stamp, Text
from bot.checklist.views import Actor, ScopeKey
from bot.reminders.notify import ChannelGone, reminder_stamp
from bot.reminders.scheduler import Outcome, Reminders, Timing
from handlers.slack.notifier import GONE
from tests.handlers.slack.conftest import CHANNEL, DANA, TEAM, SlackHarness, start_connected, text_of


async def test_a_due_reminder_is_posted_in_the_channel_with_the_installed_bot_token(harness: SlackHarness) -> None:
    await start_connected(harness)
    await harness.command("remind weekdays 09:00")
    view = harness.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None and view.reminders_enabled

    reminders = Reminders(harness.core.service, harness.slack.notifier(), refresh_every=None)
    await reminders.start()
    try:
        slot = reminders.next_run_time(view.id)
        assert slot is not None
        before = len(harness.api.calls("chat.postMessage"))
        delivery = await reminders.deliver(view.id, slot)
        again = await reminders.deliver(view.id, slot)  # the same slot twice: posted once
    finally:
        await reminders.shutdown()

    posts = harness.api.calls("chat.postMessage")[before:]
    assert len(posts) == 1
    post = posts[0]
    assert post.ok and post.args["channel"] == CHANNEL
    installed = await harness.slack.installation_store.async_find_bot(enterprise_id=None, team_id=TEAM)  # type: ignore[union-attr]
    assert installed is not None and post.token == installed.bot_token
    assert "Acme Outdoor Goods" in text_of(post.args["blocks"]) + post.args["text"]
    assert delivery.message_ref == f"{CHANNEL}:{post.response['ts']}"
    assert again.message_ref is None


# ---------------------------------------------------------------- exactly once, against Slack's failures

QUICK = Timing(backoff_first=0.01, backoff_max=0.05)


async def _due(harness: SlackHarness) -> tuple[Reminders, int, datetime]:
    await start_connected(harness)
    await harness.command("remind weekdays 09:00")
    view = harness.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None
    reminders = Reminders(harness.core.service, harness.slack.notifier(), refresh_every=None, timing=QUICK)
    slot = harness.core.service.clock().replace(second=0, microsecond=0)
    # Every minute, so that the slot is now (within the grace) and a retry has time.
    harness.core.service.set_reminders(view.id, Actor(*DANA), "* * * * *")
    return reminders, view.id, slot


async def test_each_reminder_carries_its_slot_in_metadata_and_mentions_the_owners(harness: SlackHarness) -> None:
    reminders, checklist_id, slot = await _due(harness)
    delivered = await reminders.deliver(checklist_id, slot)
    assert delivered.outcome is Outcome.POSTED
    [post] = [c for c in harness.api.calls("chat.postMessage") if c.args["channel"] == CHANNEL][-1:]
    assert post.args["metadata"] == {
        "event_type": "preflight_reminder",
        "event_payload": {"checklist_id": str(checklist_id), "slot": slot.isoformat()},
    }
    assert f"<@{DANA[0]}>" in text_of(post.args["blocks"]) and f"<@{DANA[0]}>" in post.args["text"]
    assert "@[" not in text_of(post.args["blocks"])  # no neutral markup leaks into Slack


async def test_a_500_after_slack_posted_is_found_in_the_history_not_posted_again(harness: SlackHarness) -> None:
    reminders, checklist_id, slot = await _due(harness)
    harness.api.fail("chat.postMessage", "internal_error", status=500, after=True)
    before = len(harness.api.messages(CHANNEL))
    delivered = await reminders.deliver(checklist_id, slot)
    assert delivered.outcome is Outcome.POSTED
    reminders_posted = [m for m in harness.api.messages(CHANNEL)[before:] if m.get("metadata")]
    assert len(reminders_posted) == 1
    [lookup] = harness.api.calls("conversations.history")
    assert lookup.ok and lookup.args["include_all_metadata"] in (True, "true", "1")
    assert delivered.message_ref == f"{CHANNEL}:{reminders_posted[0]['ts']}"


async def test_a_429_waits_for_retry_after_and_posts_once_without_looking(harness: SlackHarness) -> None:
    reminders, checklist_id, slot = await _due(harness)
    harness.api.rate_limit("chat.postMessage", times=1, retry_after=1)
    before = len(harness.api.calls("chat.postMessage"))
    delivered = await reminders.deliver(checklist_id, slot)
    assert delivered.outcome is Outcome.POSTED
    first, second = harness.api.calls("chat.postMessage")[before:]
    assert first.status == 429 and second.ok
    assert second.time - first.time >= 1.0  # Retry-After honoured
    assert harness.api.calls("conversations.history") == []  # a 429 never posts: nothing to look for


@pytest.mark.parametrize(
    "error", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive", "token_revoked"]
)
async def test_permanent_errors_raise_channel_gone(harness: SlackHarness, error: str) -> None:
    await start_connected(harness)
    notifier = harness.slack.notifier()
    harness.api.fail("chat.postMessage", error)
    with pytest.raises(ChannelGone) as gone:
        await notifier.post(ScopeKey("slack", TEAM, CHANNEL), CHANNEL, Card(blocks=(Text("hello"),), fallback="hi"))
    assert gone.value.reason == GONE[error]


async def test_an_archived_channel_pauses_reminders_and_dms_an_owner(harness: SlackHarness) -> None:
    reminders, checklist_id, slot = await _due(harness)
    harness.api.archive_channel(CHANNEL)
    delivered = await reminders.deliver(checklist_id, slot)
    assert delivered.outcome is Outcome.PAUSED
    [dm] = [c for c in harness.api.calls("chat.postMessage") if c.args["channel"] == DANA[0]]
    assert dm.ok and "the channel is archived" in text_of(dm.args["blocks"])
    view = harness.core.service.get(checklist_id)
    assert view.reminders_paused == "the channel is archived"
    # A second replica that fires the same slot neither posts nor tells anyone again.
    again = await Reminders(harness.core.service, harness.slack.notifier(), refresh_every=None).deliver(
        checklist_id, slot
    )
    assert again.outcome is Outcome.OFF
    assert len([c for c in harness.api.calls("chat.postMessage") if c.args["channel"] == DANA[0]]) == 1


async def test_find_posted_is_none_when_the_reminder_is_not_there(harness: SlackHarness) -> None:
    await start_connected(harness)
    notifier = harness.slack.notifier()
    scope = ScopeKey("slack", TEAM, CHANNEL)
    stamp = reminder_stamp(1, datetime.now(UTC).replace(second=0, microsecond=0))
    assert await notifier.find_posted(scope, CHANNEL, stamp) is None
    ref = await notifier.post(scope, CHANNEL, Card(blocks=(Text("hello"),), fallback="hi", stamp=stamp))
    assert await notifier.find_posted(scope, CHANNEL, stamp) == ref
    assert await notifier.find_posted(scope, CHANNEL, reminder_stamp(2, stamp_slot(stamp))) is None


def stamp_slot(stamp: Stamp) -> datetime:
    return datetime.fromisoformat(stamp.as_dict()["slot"])
