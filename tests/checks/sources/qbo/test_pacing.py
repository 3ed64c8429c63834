"""Pacing to QBO's limits: the rate limiter's windows, ranks and grid, and when requests leave."""

from __future__ import annotations

import threading
import time

import pytest

from checks.sources.qbo import Rank, RateLimiter
from tests.checks.sources.qbo.support import make_source
from tests.sandbox.qbo.companies import Sandbox


def test_rate_limiter_keeps_qbo_limits(sandbox: Sandbox) -> None:
    source = make_source(sandbox, requests_per_second=10)
    for _ in range(25):
        source.query("SELECT COUNT(*) FROM Item")
    times = sandbox.state.request_times(sandbox.realm_id)
    assert len(times) == 25
    worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert worst <= 10
    assert times[-1] - times[0] >= 2.0  # 25 requests at 10/s cannot finish sooner


def test_rate_limiter_minute_window() -> None:
    limiter = RateLimiter(per_second=100, per_minute=3, margin=0)
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire()
    assert time.monotonic() - started < 0.5
    for slot in limiter._sent:
        slot.at -= 59.8  # pretend they were a minute ago
    limiter.acquire()
    waited = time.monotonic() - started
    assert 0.1 <= waited < 1.0


def test_rate_limiter_gives_the_next_slot_to_the_lowest_rank() -> None:
    limiter = RateLimiter(per_second=20, per_minute=1000, margin=0)
    limiter.acquire()  # the next slot is 50 ms away: every request below has to queue
    granted: list[Rank] = []
    lock = threading.Lock()

    def ask(rank: Rank) -> None:
        limiter.acquire(rank)
        with lock:
            granted.append(rank)

    arrivals = [Rank.BALANCE_SHEET, Rank.TRANSACTIONS, Rank.ITEMS, Rank.COMPANY, Rank.ITEMS]
    threads = [threading.Thread(target=ask, args=(rank,)) for rank in arrivals]
    for thread in threads:
        thread.start()
        time.sleep(0.005)  # they arrive in this order, all within the first slot's 50 ms
    for thread in threads:
        thread.join(timeout=5)
    assert granted == [Rank.COMPANY, Rank.ITEMS, Rank.ITEMS, Rank.TRANSACTIONS, Rank.BALANCE_SHEET]
    sent = [slot.at for slot in limiter._sent]
    # Still one slot every 50 ms: the k-th is never sooner than k slots after the first.
    assert all(t - sent[0] >= k * 0.05 - 0.001 for k, t in enumerate(sent))


def test_rate_limiter_serves_a_lone_request_at_once_whatever_its_rank() -> None:
    limiter = RateLimiter(per_second=10, per_minute=500)
    started = time.monotonic()
    limiter.acquire(Rank.BALANCE_SHEET)
    assert time.monotonic() - started < 0.05


def test_rate_limiter_makes_up_for_late_wake_ups_on_its_grid() -> None:
    limiter = RateLimiter(per_second=10, per_minute=1000, margin=0)
    limiter.acquire()
    first = limiter._sent[0].at
    time.sleep(0.13)  # the second request comes 30 ms after its slot: the third keeps to the grid
    limiter.acquire()
    limiter.acquire()
    second, third = limiter._sent[1].at, limiter._sent[2].at
    assert second - first >= 0.13 and third - first == pytest.approx(0.2, abs=0.01)


def test_rate_limiter_never_lets_eleven_requests_into_one_second() -> None:
    limiter = RateLimiter(per_second=10, per_minute=1000, margin=0.02)
    for _ in range(25):
        limiter.acquire()
    sent = [slot.at for slot in limiter._sent]
    assert all(sent[k + 10] - sent[k] >= 1.02 - 1e-6 for k in range(len(sent) - 10))


def test_rate_limiter_counts_a_request_from_when_it_left() -> None:
    limiter = RateLimiter(per_second=2, per_minute=1000, margin=0)
    late = limiter.acquire()
    limiter.acquire()
    time.sleep(0.3)
    limiter.departed(late)  # the first request left 0.3 s after its slot (this machine was busy)
    started = time.monotonic()
    limiter.acquire()
    # Two requests within the second that follows its departure: the third waits for that second to end.
    assert time.monotonic() - started >= 0.65


def test_each_request_reports_when_it_left(sandbox: Sandbox) -> None:
    source = make_source(sandbox, requests_per_second=10)
    source.query("SELECT COUNT(*) FROM Item")
    source.query("SELECT COUNT(*) FROM Item")
    limiter = source._client(source._access()[1], Rank.ITEMS).limiter
    arrivals = sandbox.state.request_times(sandbox.realm_id)
    # Both slots hold the moment the request was written, which on this machine is within a few
    # milliseconds of the moment the simulator saw it arrive.
    for slot, arrived in zip(list(limiter._sent)[-2:], arrivals[-2:], strict=True):
        assert abs(slot.at - arrived) < 0.02
