"""Reminders across real replica processes on PostgreSQL: each slot posted exactly once, whatever happens.

Two `preflight serve` processes (bench/fleet.py) remind 30 checklists through the Slack stand-in, which
fails 30% of posts with a 5xx (a third of those after posting, Slack's worst case), rate-limits 10% with a
429, is down for two seconds at the start, and allows one post per second per channel. One replica is killed
with -9 and the other stopped with SIGTERM in the middle of the burst; a third one (the deploy's new
version) comes up and finishes the work. Two of the channels refuse for good (archived, Preflight removed):
those checklists pause and their owner is told once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bench.fleet import OWNER, Replica, Tally, channel_of, seed, tally
from sandbox.server import BackgroundServer
from sandbox.slack import Chance, SlackApiSandbox

pytestmark = pytest.mark.postgres

COUNT = 30
GONE = {3: "archived", 7: "removed"}  # checklist index -> how its channel refuses


@pytest.fixture
def slack() -> Iterator[tuple[SlackApiSandbox, str]]:
    api = SlackApiSandbox()
    with BackgroundServer(api.app) as server:
        yield api, server.url + "/api/"


def test_each_slot_is_posted_once_through_faults_a_kill_and_a_sigterm(
    postgres_url: str, slack: tuple[SlackApiSandbox, str]
) -> None:
    api, api_url = slack
    from datetime import UTC, datetime

    slot = datetime.now(UTC).replace(second=0, microsecond=0)
    ids = seed(postgres_url, COUNT, slot=slot)
    api.archive_channel(channel_of(3))
    api.set_channel(channel_of(7), not_in_channel=True)
    api.limit_posts(per_second=1.0, burst=1)
    api.chaos(
        "chat.postMessage",
        [
            Chance(0.20, "internal_error", 500),
            Chance(0.10, "internal_error", 500, after=True),
            Chance(0.10, "ratelimited", 429, retry_after=1),
        ],
        seed=12,
    )
    api.outage("chat.postMessage", 2.0)

    replicas = [Replica(name, postgres_url, api_url, lease=2.0, sweep=0.5, concurrency=4) for name in ("a", "b")]
    try:
        for replica in replicas:
            replica.wait_ready()
        started = time.monotonic()
        _wait(lambda: len(api.calls("chat.postMessage")) >= 8, 30)  # mid-burst
        replicas[0].kill()
        assert replicas[1].terminate() == 0
        stopped_at = len(api.calls("chat.postMessage"))
        third = Replica("c", postgres_url, api_url, lease=2.0, sweep=0.5, concurrency=8)
        replicas.append(third)
        third.wait_ready()
        must = {cid: slot for n, cid in enumerate(ids) if n not in GONE}
        # Posted, recorded (a post the killed replica made is recorded by its taker, after a lookup), paused.
        _wait(lambda: _settled(tally(api, postgres_url, must), len(must)), 40)
        time.sleep(1.0)  # anything still in flight would show as a duplicate
        result = tally(api, postgres_url, must)
    finally:
        for replica in replicas:
            replica.close()

    assert stopped_at < COUNT * 2  # the kill and the SIGTERM did land mid-burst
    assert result.lost == 0 and result.duplicates == 0
    assert result.recorded == len(must)
    assert result.paused == sorted(ids[n] for n in GONE)
    # Each paused checklist's owner is told at most once: a DM that Slack took is never sent again, and
    # one is only missing when Slack answered a 5xx (the status card still shows the pause).
    dm_calls = [call for call in api.calls("chat.postMessage") if call.args["channel"] == OWNER[0]]
    assert sum(1 for call in dm_calls if call.ok) <= result.dms <= 2
    assert all(call.ok or call.status in (429, 500, 503) for call in dm_calls)
    assert time.monotonic() - started < 60
    injected = api.faults.injected
    assert any("500 after" in key for key in injected) and any(" 429" in key for key in injected)


def _settled(t: Tally, count: int) -> bool:
    return t.lost == 0 and t.recorded >= count and len(t.paused) == len(GONE)


def _wait(condition: object, timeout: float) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not reached within {timeout} s")
