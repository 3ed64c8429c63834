"""Failures a test injects into the Slack stand-in: error answers and rate limits, per Web API method."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Failure:
    error: str
    remaining: int
    status: int = 200
    retry_after: int | None = None


class FaultQueue:
    """For each method, the failures its next calls get, in the order they were injected."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._failures: dict[str, list[Failure]] = {}

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(Failure(error, times, status))

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(Failure("ratelimited", times, 429, retry_after))

    def take(self, method: str) -> Failure | None:
        """The failure the next call of `method` gets (using one of its `times`), or None."""
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure
