"""Pacing requests to QBO's limits (10 a second, 500 a minute per realm) at the moment they leave.

The limiter hands out slots; the requests adapter below takes a slot right before a request is sent,
and the connection reports when the request was written, so the windows count what QBO counts.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

import requests
from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger(__name__)


class Rank(enum.IntEnum):
    """Which of the requests waiting for QBO's next slot goes first (lower first).

    QBO's 10 requests a second make a full check of a large company last as long as its item pages take.
    Item pages go first, so that the checks over every item (the heaviest) run while the few small reads
    take QBO's last second; the balance sheet, whose check is the lightest, comes last. CompanyInfo and
    Preferences go before everything: they are two, one after the other, and at the end they would leave a
    slot unused while the second waits for the first. A request alone in the queue goes at once, whatever
    its rank.
    """

    COMPANY = 0
    ITEMS = 1
    ACCOUNTS = 2
    VALUATION = 3
    TRANSACTIONS = 4
    ADJUSTMENTS = 5
    BALANCE_SHEET = 6


class Slot:
    """A request's turn: when it left (its slot's moment until the request reports leaving)."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class RateLimiter:
    """Sliding windows over the last second and minute, shared by every thread calling one realm.

    Requests are also spaced evenly, on a grid `(1 + margin) / per_second` apart, instead of leaving in bursts
    of `per_second`: a burst queues up in the client (and at the server), so its last request may reach QBO
    tens of milliseconds after its slot was taken, and then share QBO's second with the next burst (HTTP 429
    and a retry a second later). Evenly spaced, the requests keep QBO's rate just as well: the n-th leaves
    `(n - 1) / per_second` seconds after the first either way, give or take the margin.

    QBO counts a request when it arrives, and on a busy machine a request may leave well after its slot
    (waiting for the interpreter or the CPU): each request reports when it actually left (`departed`), and the
    windows count that moment. When several requests wait, the next slot goes to the lowest `Rank`, then to
    the one that came first.
    """

    MAX_MARGIN = 0.1

    def __init__(self, per_second: int, per_minute: int, *, margin: float = 0.02, realm_id: str = "") -> None:
        self.realm_id = realm_id  # shared with other replicas through `share_pace`, when set
        self.per_second = per_second
        self.per_minute = per_minute
        # A little slack so that network jitter never packs 11 requests into QBO's second.
        self.margin = margin
        self.interval = (1 + margin) / per_second if per_second > 0 else 0.0
        self._cond = threading.Condition()
        self._sent: deque[Slot] = deque()
        self._next = 0.0  # the grid's next slot
        self._queue: list[tuple[int, int]] = []  # (rank, arrival number) of the waiting requests, a heap
        self._arrivals = itertools.count()

    def slow_down(self) -> None:
        """QBO refused a request as too fast (HTTP 429): requests reached it closer together than they left
        here (the network delayed some). Wider spacing from now on, up to 10%."""
        with self._cond:
            if self.margin < self.MAX_MARGIN:
                self.margin = min(max(self.margin * 2, 0.01), self.MAX_MARGIN)
                self.interval = (1 + self.margin) / self.per_second if self.per_second > 0 else 0.0
                log.info("QBO asked Preflight to slow down: requests now leave %.0f ms apart", self.interval * 1000)

    def departed(self, slot: Slot) -> None:
        """The request holding `slot` has just been sent: the windows count it from now."""
        with self._cond:
            slot.at = max(slot.at, time.monotonic())
            self._cond.notify_all()  # the first in line may now have to wait longer

    def _advance(self, now: float) -> None:
        """Schedule the next slot. Slots keep to a grid, `interval` apart: a waiting thread wakes a few
        milliseconds late when others are busy, and 60 late wake-ups would add up to most of a second. The
        next slot makes the lateness up (the windows over the last second and minute still hold). After an
        idle spell the grid starts again from now."""
        if now - self._next > self.interval:
            self._next = now + self.interval
        else:
            self._next += self.interval

    def _wait(self, now: float) -> float:
        """Seconds until the next slot; the caller holds the lock."""
        while self._sent and now - self._sent[0].at >= 60 + self.margin:
            self._sent.popleft()
        wait = self._next - now
        if self.per_second > 0:
            # Requests may have left out of order (one late): count by when they left.
            recent = sorted(slot.at for slot in self._sent if now - slot.at < 1 + self.margin)
            if len(recent) >= self.per_second:
                wait = max(wait, recent[-self.per_second] + 1 + self.margin - now)
        if self.per_minute > 0 and len(self._sent) >= self.per_minute:
            wait = max(wait, min(slot.at for slot in list(self._sent)[-self.per_minute :]) + 60 + self.margin - now)
        return wait

    def acquire(self, rank: int = 0) -> Slot:
        with self._cond:
            ticket = (int(rank), next(self._arrivals))
            heapq.heappush(self._queue, ticket)
            try:
                while True:
                    if self._queue[0] != ticket:
                        self._cond.wait()  # only the first in line works out a wait: the others are woken
                        continue
                    now = time.monotonic()
                    wait = self._wait(now)
                    if wait <= 0:
                        heapq.heappop(self._queue)
                        slot = Slot(now)
                        self._sent.append(slot)
                        self._advance(now)
                        return slot
                    self._cond.wait(wait)
            finally:
                # Whoever is first now (a request that arrived meanwhile, or the next one) works out its wait.
                if ticket in self._queue:
                    self._queue.remove(ticket)
                    heapq.heapify(self._queue)
                self._cond.notify_all()


class SharedPace(Protocol):
    """QBO's pace for a realm shared with other processes (other replicas); set by the application, since
    checks/ knows no database. `turn` returns 0 when a request may leave now, else the seconds to wait."""

    def turn(self, realm_id: str, per_second: float) -> float: ...


_shared: SharedPace | None = None


def share_pace(pace: SharedPace | None) -> None:
    """Pace every realm across processes from now on (None: this process alone, e.g. on SQLite)."""
    global _shared
    _shared = pace


def wait_for_shared_turn(realm_id: str, per_second: float) -> None:
    """After this process's own slot: wait until the realm's shared pace lets one more request leave."""
    pace = _shared
    if pace is None or not realm_id or per_second <= 0:
        return
    for _ in range(600):  # bounded: a minute at most at 10 requests a second
        try:
            wait = pace.turn(realm_id, per_second)
        except Exception as exc:  # the database is unreachable: this process's own pace still holds
            log.warning("QBO's shared pace is unavailable (%s); pacing this process alone", type(exc).__name__)
            return
        if wait <= 0:
            return
        time.sleep(min(wait, 1.0))


_limiters: dict[tuple[str, str, int, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(api_base: str, realm_id: str, per_second: int, per_minute: int) -> RateLimiter:
    """One limiter per realm and API host in this process, whichever QboSource instance calls it.

    The limits are part of the key so that a benchmark may raise them for the local simulator."""
    with _limiters_lock:
        key = (api_base, realm_id, per_second, per_minute)
        if key not in _limiters:
            _limiters[key] = RateLimiter(per_second, per_minute, realm_id=realm_id)
        return _limiters[key]


# The slot of the request this thread is sending, until the request has left (see _DepartingHTTPConnection).
_leaving = threading.local()


class _DepartingHTTPConnection(HTTPConnection):
    """Tells the rate limiter the moment the request has been written to the socket."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            pending: tuple[RateLimiter, Slot] | None = getattr(_leaving, "slot", None)
            if pending is not None:
                _leaving.slot = None
                pending[0].departed(pending[1])


class _DepartingHTTPSConnection(_DepartingHTTPConnection, HTTPSConnection):
    pass


class _DepartingHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _DepartingHTTPConnection


class _DepartingHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _DepartingHTTPSConnection


class _PacedAdapter(HTTPAdapter):
    """Takes a rate-limiter slot at the last moment before a request goes out, and reports when it left.

    QBO counts a request when it arrives. Taking the slot before requests has prepared the request (cookies,
    proxy and netrc settings) lets that work, and any wait for the GIL while other threads decode pages,
    stretch the time between the slot and the arrival, unevenly from one request to the next; two requests
    a second apart by their slots could then arrive less than a second apart (HTTP 429). What is left of
    that stretch is measured: the connection reports the moment the request was written."""

    def __init__(self, limiter: RateLimiter, rank: Rank) -> None:
        super().__init__()
        self.limiter = limiter
        self.rank = rank

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _DepartingHTTPConnectionPool,
            "https": _DepartingHTTPSConnectionPool,
        }

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: None | float | tuple[float, float] | tuple[float, None] = None,
        verify: bool | str = True,
        cert: None | bytes | str | tuple[bytes | str, bytes | str] = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        slot = self.limiter.acquire(self.rank)
        limiter = self.limiter
        wait_for_shared_turn(limiter.realm_id, limiter.per_second / (1 + limiter.margin))
        _leaving.slot = (limiter, slot)
        try:
            return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        finally:
            _leaving.slot = None
