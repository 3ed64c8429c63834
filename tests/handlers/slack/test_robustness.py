"""Signatures, retries, rate limits, refusals, secrets, and channels Slack will not post in."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import pytest

from bot.checklist.views import ScopeKey
from tests.handlers.slack.conftest import CHANNEL, SAM, TEAM, SlackHarness, find_button, start_connected


def _command_body(text: str) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "channel_id": CHANNEL,
            "user_id": "U0DANA",
            "user_name": "dana",
            "command": "/preflight",
            "text": text,
            "trigger_id": "1.2.3",
        }
    )


async def test_bad_signature_and_stale_timestamp_are_rejected_and_change_nothing(harness: SlackHarness) -> None:
    h = harness
    h.api.clear_calls()
    body = _command_body("start Forged Inc")
    forged = await h.post_signed(body, "application/x-www-form-urlencoded", headers={"X-Slack-Signature": "v0=00ff"})
    assert forged.status == 401
    stale = await h.post_signed(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)
    assert stale.status == 401
    wrong_secret = {"X-Slack-Signature": "v0=" + "a" * 64}
    assert (await h.post_signed(body, "application/x-www-form-urlencoded", headers=wrong_secret)).status == 401
    await h.settle()
    assert h.api.calls() == []
    assert h.core.service.find(ScopeKey("slack", TEAM, CHANNEL)) is None
    # The same request, signed properly and fresh, goes through.
    assert (await h.post_signed(body, "application/x-www-form-urlencoded")).status == 200
    await h.settle()
    assert h.core.service.find(ScopeKey("slack", TEAM, CHANNEL)) is not None


async def test_retried_event_deliveries_are_handled_once(harness: SlackHarness) -> None:
    h = harness
    await h.command("start")
    event = {"type": "app_home_opened", "user": "U0DANA", "channel": "D0DANA", "tab": "home", "event_ts": "1.1"}
    assert (await h.event(event, event_id="Ev0HOME1")).status == 200
    assert (await h.event(event, event_id="Ev0HOME1", retry=1)).status == 200
    assert (await h.event(event, event_id="Ev0HOME1", retry=2)).status == 200
    assert len(h.api.calls("views.publish")) == 1
    await h.event(event, event_id="Ev0HOME2")
    assert len(h.api.calls("views.publish")) == 2


async def test_a_429_from_slack_is_retried_after_retry_after(harness: SlackHarness) -> None:
    h = harness
    h.api.rate_limit("chat.postEphemeral", times=1, retry_after=1)
    await h.command("help")
    calls = h.api.calls("chat.postEphemeral")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0


async def test_a_non_owner_confirmation_is_refused_privately_and_changes_nothing(harness: SlackHarness) -> None:
    h = harness
    await start_connected(h)
    step = h.step("QuickBooks Online admin access")
    before = h.api.message(CHANNEL, step.ts)
    await h.press(step, "confirm", "admin-access", user=SAM)
    refusal = h.last_ephemeral("U0SAM")
    assert "Only owners of this checklist can confirm" in refusal.content and "Dana" in refusal.content
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None
    assert h.core.service.status(view.id).confirmations == ()
    after = h.api.message(CHANNEL, step.ts)
    assert before is not None and after is not None and after["blocks"] == before["blocks"]  # put back as it was
    # The owner's press goes through, replaces the step with what was confirmed, and moves on.
    await h.press(h.step("QuickBooks Online admin access"), "confirm", "admin-access")
    assert "Dana confirmed: I confirm that the QuickBooks Online user" in h.api.message(CHANNEL, step.ts)["text"]
    assert "Step 2 of 10" in h.messages()[-1].content


async def test_confirm_buttons_state_exactly_what_is_confirmed(harness: SlackHarness) -> None:
    h = harness
    await start_connected(h)
    _, button = find_button(h.step("QuickBooks Online admin access").blocks, "confirm") or (None, {})
    dialog = button["confirm"]
    assert dialog["title"]["text"] == "Please confirm"
    assert "Acme Outdoor Goods is a Primary admin or a Company admin" in dialog["text"]["text"]


async def test_wrong_finale_credentials_are_refused_nothing_saved_secret_never_echoed(
    harness: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-Never-Echo-Me"
    await h.command("start")
    await h.command("connect finale")
    finale = h.runtime.finale_access()
    _, errors = await h.submit({"account": finale.account, "api_key": finale.api_key, "api_secret": secret})
    assert errors is None  # the live check runs after the modal closed
    refusal = h.last_ephemeral("U0DANA")
    assert "Finale rejected the API key and secret" in refusal.content and "Nothing was changed" in refusal.content
    assert find_button(refusal.blocks, "open_form", "finale_credentials") is not None
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None and not view.finale_connected
    for call in h.api.calls():
        assert secret not in repr(call.args) and secret not in repr(call.response)
    assert secret not in caplog.text
    # Missing fields and a malformed account are refused inline, before anything is sent to Finale.
    await h.command("connect finale")
    _, errors = await h.submit({"account": "app.finaleinventory.com/acme", "api_key": "", "api_secret": secret})
    assert errors is not None and set(errors["errors"]) == {"account", "api_key"}


async def test_archived_channel_and_expired_response_url(harness: SlackHarness) -> None:
    h = harness
    await h.command("start")
    h.api.archive_channel(CHANNEL)
    await h.command("status")
    posts = [c for c in h.api.calls("response_url") if c.status == 200]
    assert posts and "archived" in str(posts[-1].args["blocks"]) and posts[-1].args["response_type"] == "ephemeral"
    assert "Preflight checklist" in str(posts[-1].args["blocks"])  # the answer itself, privately
    # The response_url no longer works either: the answer arrives in a DM with the person.
    url = h.api.new_response_url(h.api_url.removesuffix("/api/"), "R0EXPIRED")
    h.api.expire_response_url(url)
    h.api.clear_calls()
    await h.post_signed(
        urlencode(
            {
                "team_id": TEAM,
                "channel_id": CHANNEL,
                "user_id": "U0DANA",
                "user_name": "dana",
                "command": "/preflight",
                "text": "status",
                "response_url": url,
                "trigger_id": "1.2.3",
            }
        ),
        "application/x-www-form-urlencoded",
    )
    await h.settle()
    assert [c.status for c in h.api.calls("response_url")] == [404]
    dm = [c for c in h.api.calls("chat.postMessage") if c.args["channel"] == "U0DANA"]
    assert dm and dm[-1].ok and "archived" in str(dm[-1].args["blocks"])


async def test_not_invited_to_a_private_channel(harness: SlackHarness) -> None:
    h = harness
    h.api.set_channel("G0PRIVATE", is_private=True, is_member=False)
    await h.command("start", channel="G0PRIVATE")
    posts = [c for c in h.api.calls("response_url") if c.status == 200]
    assert posts and "/invite @Preflight" in str(posts[0].args["blocks"])


async def test_csv_of_the_items_to_deactivate_is_uploaded(harness: SlackHarness) -> None:
    h = harness
    await start_connected(h)
    await h.command("check deactivation")
    step = h.step("Deactivate QBO inventory items that are Finale products")
    assert "and 2 more" in step.content and "see the attached CSV" in step.content
    await h.press(step, "export", "deactivation")
    uploads = [f for f in h.api.files() if f.filename == "preflight-items-to-deactivate.csv"]
    assert len(uploads) >= 2 and all(f.channel_id == CHANNEL for f in uploads)
    assert b"TENT-2P-GRN" in (uploads[-1].content or b"")
    # Without the bot in the channel Slack refuses files: the person is told how to fix it.
    h.api.set_channel(CHANNEL, not_in_channel=True)
    await h.command("export deactivation")
    assert any("/invite @Preflight" in str(c.args) for c in h.api.calls("response_url") if c.status == 200)
