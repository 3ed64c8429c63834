"""What the Finale simulator serves and how it misbehaves on purpose.

One `FinaleSimState` holds the accounts (keyed by account path), the documented limits (the entity cap, the
30-day `lastUpdatedDate` window) and the test hooks: injected 429s, 500s and dropped connections, latency
per request, and a request counter per path. The aiohttp application reads it on every request, so tests may
change it (or the accounts inside it) between calls.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sandbox.company import FinaleAccountRec

FaultKind = Literal["429", "500", "drop"]

#: Finale answers at most this many entities per collection request (finale.md 1.4).
DEFAULT_ENTITY_CAP = 120_000
#: A `lastUpdatedDate` filter may span at most this many days (finale.md 1.4).
DEFAULT_MAX_UPDATED_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    retry_after: str | None = None  # 429 only: the Retry-After header value
    path_contains: str | None = None  # only requests whose path contains this; None: any request


class FinaleSimState:
    """The simulator's accounts, limits and test hooks.

    Responses may be cached per account, collection and query when `cache_responses` is on (benchmarks);
    whoever mutates an account then calls `invalidate()`. It is off by default so that tests and the demo can
    change an account freely between calls.
    """

    def __init__(
        self,
        accounts: FinaleAccountRec | Iterable[FinaleAccountRec] = (),
        *,
        entity_cap: int = DEFAULT_ENTITY_CAP,
        max_updated_window_days: int = DEFAULT_MAX_UPDATED_WINDOW_DAYS,
        latency: float = 0.0,
        today: date | None = None,
        cache_responses: bool = False,
    ) -> None:
        self.entity_cap = entity_cap
        self.max_updated_window_days = max_updated_window_days
        self.latency = latency  # seconds added to every request
        self.today = today  # reports without an as-of filter answer for this day (None: the real today)
        self.cache_responses = cache_responses
        self.requests: Counter[str] = Counter()  # request path -> number of requests (faulted ones included)
        self.calls: list[tuple[str, str, str]] = []  # (method, path, client's User-Agent), in arrival order
        self.version = 0  # bumped by invalidate(); part of every cache key
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._cache: dict[tuple[object, ...], bytes] = {}
        self.accounts: dict[str, FinaleAccountRec] = {}
        for account in [accounts] if isinstance(accounts, FinaleAccountRec) else accounts:
            self.add_account(account)

    def add_account(self, account: FinaleAccountRec) -> None:
        self.accounts[account.account_path] = account
        self.invalidate()

    def invalidate(self) -> None:
        """Forget cached responses: call after changing an account when `cache_responses` is on."""
        with self._lock:
            self.version += 1
            self._cache.clear()

    # ------------------------------------------------------------ test hooks

    def inject_429(self, n: int = 1, *, retry_after: float | str = 1, path_contains: str | None = None) -> None:
        """The next `n` matching requests answer 429 Too Many Requests with this Retry-After."""
        value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        self._push(Fault("429", value, path_contains), n)

    def inject_500(self, n: int = 1, *, path_contains: str | None = None) -> None:
        """The next `n` matching requests answer 500 Internal Server Error."""
        self._push(Fault("500", None, path_contains), n)

    def inject_drop(self, n: int = 1, *, path_contains: str | None = None) -> None:
        """The next `n` matching requests are cut off: the connection closes without a response."""
        self._push(Fault("drop", None, path_contains), n)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def request_count(self, path_contains: str = "") -> int:
        """Requests so far whose path contains `path_contains` (all of them by default)."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path_contains in path)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    # ------------------------------------------------------------ used by the application

    def _push(self, fault: Fault, n: int) -> None:
        with self._lock:
            self._faults.extend([fault] * n)

    def count(self, path: str, method: str = "GET", client: str = "") -> None:
        with self._lock:
            self.requests[path] += 1
            self.calls.append((method, path, client))

    def writes(self) -> list[tuple[str, str, str]]:
        """(method, path, client) of every request that was not a read."""
        with self._lock:
            return [call for call in self.calls if call[0] not in ("GET", "HEAD")]

    def take_fault(self, path: str) -> Fault | None:
        """The first queued fault that applies to `path`, removed from the queue."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path_contains is None or fault.path_contains in path:
                    del self._faults[i]
                    return fault
        return None

    def cached(self, key: tuple[object, ...]) -> bytes | None:
        if not self.cache_responses:
            return None
        with self._lock:
            return self._cache.get((self.version, *key))

    def store(self, key: tuple[object, ...], body: bytes) -> None:
        if self.cache_responses:
            with self._lock:
                self._cache[(self.version, *key)] = body
