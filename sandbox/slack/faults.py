"""Failures a test injects into the Slack stand-in: error answers and rate limits, per Web API method.

Three kinds: a queue (the next N calls fail), an outage (every call fails until a moment), and chaos (each
call fails with a probability, from a seeded generator so that a run can be repeated). A failure `after` the
call is Slack's worst case: the method did its work (the message is posted) and the answer is still an error.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass


@dataclass
class Failure:
    error: str
    remaining: int
    status: int = 200
    retry_after: int | None = None
    after: bool = False  # the method ran (e.g. posted) before the error was answered


@dataclass(frozen=True)
class Chance:
    probability: float
    error: str
    status: int
    retry_after: int | None = None
    after: bool = False


class FaultQueue:
    """For each method, the failures its next calls get, in the order they were injected."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._failures: dict[str, list[Failure]] = {}
        self._outages: dict[str, tuple[float, Failure]] = {}  # method -> (until, failure)
        self._chances: dict[str, list[Chance]] = {}
        self._random = random.Random(0)
        self.injected: dict[str, int] = {}  # "method error status" -> how many were answered

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200, after: bool = False) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(Failure(error, times, status, after=after))

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method, []).append(Failure("ratelimited", times, 429, retry_after))

    def outage(self, method: str, seconds: float, *, error: str = "service_unavailable", status: int = 503) -> None:
        """Every call of `method` fails for the next `seconds`."""
        with self._lock:
            self._outages[method] = (time.monotonic() + seconds, Failure(error, 1, status))

    def chaos(self, method: str, chances: list[Chance], *, seed: int = 0) -> None:
        """Each call of `method` fails with the first chance that draws it (probabilities add up)."""
        with self._lock:
            self._chances[method] = list(chances)
            self._random = random.Random(seed)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._outages.clear()
            self._chances.clear()

    def take(self, method: str) -> Failure | None:
        """The failure the next call of `method` gets (using one of its `times`), or None."""
        with self._lock:
            failure = self._take(method)
            if failure is not None:
                key = f"{method} {failure.error} {failure.status}{' after' if failure.after else ''}"
                self.injected[key] = self.injected.get(key, 0) + 1
            return failure

    def _take(self, method: str) -> Failure | None:
        queue = self._failures.get(method)
        if queue:
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure
        outage = self._outages.get(method)
        if outage is not None:
            if time.monotonic() < outage[0]:
                return outage[1]
            del self._outages[method]
        draw = self._random.random()
        for chance in self._chances.get(method, ()):
            if draw < chance.probability:
                return Failure(chance.error, 1, chance.status, chance.retry_after, chance.after)
            draw -= chance.probability
        return None
