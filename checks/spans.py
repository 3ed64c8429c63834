"""When each part of a check run ran: every source read and every check, as spans from the run's start.

The run's log says where a slow check spent its time, and the benchmarks read the same spans.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    name: str  # "qbo.items", "finale.sales_orders", "check.deactivation"
    start_s: float  # seconds from the run's start
    end_s: float


@dataclass
class Spans:
    """Spans recorded from any thread, relative to `origin` (a `time.perf_counter()` reading)."""

    origin: float = field(default_factory=time.perf_counter)
    _spans: list[Span] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, start: float, end: float) -> None:
        """`start` and `end` are `time.perf_counter()` readings."""
        with self._lock:
            self._spans.append(Span(name, round(start - self.origin, 4), round(end - self.origin, 4)))

    def all(self) -> tuple[Span, ...]:
        with self._lock:
            return tuple(sorted(self._spans, key=lambda s: (s.start_s, s.name)))


SOURCES = ("qbo.", "finale.")  # the spans of source reads; checks are "check.", shared views "view."


def last_end(spans: Iterable[Span], *prefixes: str) -> float:
    """When the last span whose name starts with one of `prefixes` ended (0 when there is none)."""
    return max((s.end_s for s in spans if s.name.startswith(prefixes)), default=0.0)


def extent(spans: Iterable[Span], *prefixes: str) -> float:
    """From the first such span's start to the last one's end."""
    chosen = [s for s in spans if s.name.startswith(prefixes)]
    return max(s.end_s for s in chosen) - min(s.start_s for s in chosen) if chosen else 0.0


def busy(spans: Iterable[Span], *prefixes: str) -> float:
    """The time such spans took, added up (the checks run one at a time: their CPU time)."""
    return sum(s.end_s - s.start_s for s in spans if s.name.startswith(prefixes))
