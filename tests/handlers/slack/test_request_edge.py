"""The door of /slack/events and requests counted once: malformed requests, replays, retries, double
submissions, concurrent starts, text no database keeps, and requests a dead replica left unfinished."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.checklist.views import ScopeKey
from handlers.slack.origin import from_action
from handlers.slack.requests import Pending, action_key
from storage.models import RequestKey
from tests.handlers.slack.conftest import CHANNEL, TEAM, SlackHarness, find_button, sign, start_connected

FORM = "application/x-www-form-urlencoded"


class Recorder:
    """Keeps the signed bodies the harness sends, to send them again as Slack (or an attacker) would."""

    def __init__(self, h: SlackHarness) -> None:
        self.sent: list[tuple[str, str]] = []
        send = h.post_signed

        async def post_signed(body: str, content_type: str, **kwargs: Any) -> aiohttp.ClientResponse:
            self.sent.append((body, content_type))
            return await send(body, content_type, **kwargs)

        h.post_signed = post_signed  # type: ignore[method-assign]


async def raw_post(h: SlackHarness, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    async with h.http.post(h.url + "/slack/events", data=body, headers=dict(headers)) as response:
        return response.status, await response.text()


def _confirmations(h: SlackHarness) -> list[tuple[str, str]]:
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None
    return [(c.slug, c.kind) for c in h.core.service.status(view.id).confirmations]


@pytest.mark.parametrize(
    ("body", "content_type", "timestamp", "status"),
    [
        (b"payload=%7Bnot-json", FORM, None, 400),
        (b"payload=%5B1%2C2%5D", FORM, None, 400),
        (b"[1, 2, 3]", "application/json", None, 400),
        (b'{"type": "event_callback", "event": NaN}', "application/json", None, 400),
        (b"text=caf\xe9&command=%2Fpreflight", FORM, None, 400),
        (b"{x=1", FORM, None, 400),
        (b"command=%2Fpreflight&text=help", "text/plain", None, 415),
        (b"command=%2Fpreflight&text=help", FORM, "yesterday", 401),
        (b"command=%2Fpreflight&text=help", FORM, "１２３", 401),
    ],
)
async def test_malformed_requests_get_4xx_and_never_reach_bolt(
    harness: SlackHarness, body: bytes, content_type: str, timestamp: str | None, status: int
) -> None:
    h = harness
    h.api.clear_calls()
    headers = {"Content-Type": content_type, **sign(body.decode("latin-1"))}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    else:
        # Signed over the exact bytes, as Slack would: the failure is the body's, not the signature's.
        import hashlib
        import hmac

        ts = headers["X-Slack-Request-Timestamp"]
        digest = hmac.new(b"preflight-test-signing-secret", f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
        headers["X-Slack-Signature"] = f"v0={digest}"
    got, text = await raw_post(h, body, headers)
    assert got == status, text
    assert "Traceback" not in text
    await h.settle()
    assert h.api.calls() == []


async def test_unsigned_garbage_is_refused_before_any_parsing(harness: SlackHarness) -> None:
    status, _ = await raw_post(
        harness, b"payload=%7B", {"Content-Type": FORM, "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"}
    )
    assert status == 401


async def test_a_command_mentioning_payload_is_a_command(harness: SlackHarness) -> None:
    h = harness
    await h.command("start Payload Logistics")
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None and view.company_label == "Payload Logistics"


async def test_a_replayed_or_retried_confirmation_counts_once(harness: SlackHarness) -> None:
    h = harness
    await start_connected(h)
    recorder = Recorder(h)
    await h.press(h.step("QuickBooks Online admin access"), "confirm", "admin-access")
    assert _confirmations(h) == [("admin-access", "confirm")]
    body, content_type = recorder.sent[-1]
    posts = len(h.api.calls("chat.postMessage"))
    replay = await h.post_signed(body, content_type)
    retry = await h.post_signed(body, content_type, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "x"})
    await h.settle()
    assert (replay.status, retry.status) == (200, 200)
    assert _confirmations(h) == [("admin-access", "confirm")]
    assert len(h.api.calls("chat.postMessage")) == posts


async def test_a_retried_command_and_a_double_submission_change_state_once(harness: SlackHarness, today: date) -> None:
    h = harness
    recorder = Recorder(h)
    await h.command("start Once Inc")
    body, content_type = recorder.sent[-1]
    messages = len(h.messages())
    await h.post_signed(body, content_type, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    await h.settle()
    assert len(h.messages()) == messages  # not even "already has a checklist": the retry is the same request
    await h.command("backup")
    modal = h.last_modal()
    await h.submit({"backup_date": today.isoformat(), "reference": "r-1"}, view=modal)
    await h.submit({"backup_date": today.isoformat(), "reference": "r-1"}, view=modal)
    assert _confirmations(h) == [("backup", "confirm")]


async def test_two_people_starting_one_channel_at_once(harness: SlackHarness) -> None:
    h = harness
    await asyncio.gather(
        h.command("start Twin Co", settle=False), h.command("start Twin Co", user=("U0SAM", "sam"), settle=False)
    )
    await h.settle()
    transcript = h.transcript() + "\n".join(p.content for p in h.ephemerals())
    assert "Something went wrong" not in transcript
    assert "already has a checklist" in transcript
    assert len(h.core.service.checklists_in("slack", TEAM)) == 1


async def test_text_no_database_keeps_is_refused_with_words(harness: SlackHarness, today: date) -> None:
    h = harness
    recorder = Recorder(h)
    response = await h.command("start Nul\x00Co")
    assert "NUL character" in json.loads(await response.text())["text"]
    assert h.core.service.find(ScopeKey("slack", TEAM, CHANNEL)) is None
    await h.command("start")
    await h.command("backup")
    modal = h.last_modal()
    _, body = await h.submit({"backup_date": today.isoformat(), "reference": "bad\ud800ref"}, view=modal)
    assert body is not None and "lone UTF-16 surrogate" in body["errors"]["reference"]
    assert recorder.sent and _confirmations(h) == []


async def test_a_form_whose_channel_cannot_be_read_says_so(harness: SlackHarness, today: date) -> None:
    h = harness
    await h.command("start")
    await h.command("backup")
    modal = dict(h.last_modal(), private_metadata="{not json")
    _, body = await h.submit({"backup_date": today.isoformat(), "reference": ""}, view=modal)
    assert body is not None and "could not read which channel" in json.dumps(body["errors"])
    assert _confirmations(h) == []


async def test_a_confirmation_left_unfinished_by_a_dead_replica_is_completed_once(harness: SlackHarness) -> None:
    """A replica kept the press, showed "checking…" and died: another takes the lapsed lease, records the
    confirmation once, and replaces "checking…"."""
    h = harness
    await start_connected(h)
    step = h.step("QuickBooks Online admin access")
    found = find_button(step.blocks, "confirm", "admin-access")
    assert found is not None
    block_id, element = found
    body: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": TEAM.lower()},
        "user": {"id": "U0DANA", "username": "dana", "name": "dana", "team_id": TEAM},
        "container": {"type": "message", "message_ts": step.ts, "channel_id": CHANNEL},
        "channel": {"id": CHANNEL},
        "message": {"ts": step.ts, "text": step.text, "blocks": step.blocks},
        "actions": [{"action_id": element["action_id"], "block_id": block_id, "value": element["value"]}],
    }
    body["actions"][0]["action_ts"] = "1700000000.000001"
    origin, value = from_action(body, element["value"])
    surface = h.slack.surface
    dead = type(surface.requests)(h.core.sessions, owner="dead-replica", lease=timedelta(seconds=-1))
    key = action_key(body)
    assert dead.admit(key, "slack", "confirm", Pending("press", "confirm", origin, value=value).encode())
    dead.placeholder(key, step.ts)
    assert await surface.durable.sweep() == 1
    await h.settle()
    assert await surface.durable.sweep() == 0
    assert _confirmations(h) == [("admin-access", "confirm")]
    assert "Dana confirmed" in h.api.message(CHANNEL, step.ts)["text"]
    with h.core.sessions() as s:
        row = s.get(RequestKey, key)
        assert row is not None and row.done and row.applied and row.payload is None
    # The same press arriving late (Slack's retry) changes nothing.
    late = urlencode({"payload": json.dumps(body)})
    assert (await h.post_signed(late, FORM)).status == 200
    await h.settle()
    assert _confirmations(h) == [("admin-access", "confirm")]


def test_socket_mode_commands_are_keyed_by_their_trigger() -> None:
    from handlers.slack.requests import command_key

    assert command_key("", {"trigger_id": "1.2.a"}) != command_key("", {"trigger_id": "1.2.b"})
    assert command_key("", {"trigger_id": "1.2.a"}) == command_key("", {"trigger_id": "1.2.a"})
    assert command_key("text=x&trigger_id=1", {}) != command_key("text=y&trigger_id=1", {})
