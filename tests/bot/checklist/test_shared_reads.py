"""SharedReads on a real database: reads at the same moment share one, never across a write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.checklist.shared_reads import SharedReads
from storage.db import session_factory


def held_read(calls: list[str], release: threading.Event, started: threading.Event) -> Callable[[], str]:
    def read() -> str:
        calls.append("read")
        answer = f"answer {len(calls)}"
        started.set()
        release.wait(5)
        return answer

    return read


def test_reads_at_the_same_moment_share_one_and_a_write_starts_another(tmp_path: Path) -> None:
    sessions = session_factory(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    shared = SharedReads(sessions)
    calls: list[str] = []
    release, started = threading.Event(), threading.Event()
    read = held_read(calls, release, started)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(shared.read, "status", read)
        assert started.wait(5)
        joined = pool.submit(shared.read, "status", read)
        other_key = pool.submit(shared.read, "another checklist", lambda: "its own")
        assert other_key.result(5) == "its own"
        time.sleep(0.2)  # `joined` has long reached the read under way (it waits there for `release`)
        with sessions.begin() as s:  # a change: later readers must not get the answer read before it
            s.execute(text("SELECT 1"))
        after_write = pool.submit(shared.read, "status", read)
        release.set()
        assert first.result(5) == joined.result(5) == "answer 1"
        assert after_write.result(5) == "answer 2"
    assert calls == ["read", "read"]
    assert shared.read("status", lambda: "fresh") == "fresh"  # nothing under way any more


def test_a_failed_read_fails_for_everyone_who_shared_it(tmp_path: Path) -> None:
    shared = SharedReads(session_factory(f"sqlite:///{tmp_path / 'shared.sqlite3'}"))
    release, started = threading.Event(), threading.Event()

    def read() -> str:
        started.set()
        release.wait(5)
        raise LookupError("That checklist no longer exists.")

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(shared.read, "status", read)
        assert started.wait(5)
        joined = pool.submit(shared.read, "status", read)
        time.sleep(0.2)
        release.set()
        for future in (first, joined):
            with pytest.raises(LookupError, match="no longer exists"):
                future.result(5)
