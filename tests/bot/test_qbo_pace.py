"""QBO's 10 requests a second per company hold across replicas sharing one PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.qbo_pace import DatabasePace, share_qbo_pace
from checks.sources.qbo import pacing
from checks.sources.qbo.pacing import RateLimiter, share_pace, wait_for_shared_turn
from storage.db import session_factory, upgrade

PER_SECOND = 10
EACH = 12  # requests per replica: two replicas' worth is more than 2 seconds of QBO's pace


@pytest.fixture
def shared_off() -> Iterator[None]:
    yield
    share_pace(None)


def _busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def _two_replicas(shared: DatabasePace | None) -> list[float]:
    """Two replicas, each with its own limiter (as two processes have), sending to one realm at once."""
    left: list[float] = []
    lock = threading.Lock()

    def replica() -> None:
        limiter = RateLimiter(PER_SECOND, 500, realm_id="9130350000000001")
        for _ in range(EACH):
            limiter.acquire()
            if shared is not None:
                wait_for_shared_turn(limiter.realm_id, PER_SECOND / (1 + limiter.margin))
            with lock:
                left.append(time.monotonic())

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return left


@pytest.mark.postgres
def test_two_replicas_share_one_company_pace(postgres_url: str, shared_off: None) -> None:
    upgrade(postgres_url)
    sessions = session_factory(postgres_url)
    share_qbo_pace(sessions)
    assert isinstance(pacing._shared, DatabasePace)
    # Without the shared bucket each replica keeps 10 a second, so QBO sees about 20.
    assert _busiest_second(_two_replicas(None)) > PER_SECOND
    left = _two_replicas(DatabasePace(sessions))
    assert len(left) == 2 * EACH
    assert _busiest_second(left) <= PER_SECOND


def test_sqlite_keeps_the_pace_per_process(tmp_path: object, shared_off: None) -> None:
    url = f"sqlite:///{tmp_path}/p.sqlite3"
    upgrade(url)
    share_qbo_pace(session_factory(url))
    assert pacing._shared is None
