"""Reminders reach Slack: the scheduler's delivery posts into the checklist's channel with the workspace's bot."""

from __future__ import annotations

from bot.checklist.views import ScopeKey
from bot.reminders.scheduler import Reminders
from tests.handlers.slack.conftest import CHANNEL, TEAM, SlackHarness, start_connected, text_of


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
