"""Measuring instruments that run beside the code under test: a sampling profiler and an event-loop lag probe.

The sampler looks at every thread's stack (`sys._current_frames`) at a fixed interval, so it sees the worker
threads too (cProfile sees only the thread that enabled it). It reports, per function, the share of samples in
which the function was running (self) or on the stack (total), with the thread it ran on. Overhead at the
default 100 Hz is a fraction of a percent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any

from bench.machine import Periodic, cpu_seconds, current_rss_mb

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)


def _where(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    if path.startswith(_ROOT + os.sep) and os.sep + ".venv" + os.sep not in path:
        path = os.path.relpath(path, _ROOT)
    else:
        parts = path.split(os.sep)
        if "site-packages" in parts:
            path = os.sep.join(parts[parts.index("site-packages") + 1 :])
        else:
            path = os.sep.join(parts[-2:])
    return f"{path}:{code.co_firstlineno}({code.co_name})"


def _thread_kind(name: str) -> str:
    """Thread names without their serial numbers: `qbo-page_3` -> `qbo-page`."""
    base = name.split("(")[0].strip()
    return base.rstrip("0123456789_-") or base


class Sampler(Periodic):
    """`with Sampler() as s: ...; s.report()`: where the process spent its time, all threads included."""

    thread_name = "bench-sampler"

    def __init__(self, interval: float = 0.01) -> None:
        super().__init__(interval)
        self.samples = 0
        self.busy_samples: Counter[str] = Counter()  # thread kind -> samples not waiting
        self._self: Counter[tuple[str, str]] = Counter()
        self._total: Counter[tuple[str, str]] = Counter()

    def tick(self) -> None:
        names = {t.ident: t.name for t in threading.enumerate()}
        self.samples += 1
        for ident, frame in sys._current_frames().items():
            name = names.get(ident, "?")
            if name.startswith("bench-"):
                continue  # the benchmark's own threads, this one included
            kind = _thread_kind(name)
            leaf = _where(frame)
            if _waiting(frame):
                continue
            self.busy_samples[kind] += 1
            self._self[(kind, leaf)] += 1
            seen: set[str] = set()
            f: FrameType | None = frame
            while f is not None:
                where = _where(f)
                if where not in seen:
                    seen.add(where)
                    self._total[(kind, where)] += 1
                f = f.f_back

    def report(self, top: int = 15) -> dict[str, Any]:
        n = max(self.samples, 1)

        def rows(counter: Counter[tuple[str, str]]) -> list[dict[str, Any]]:
            return [
                {
                    "thread": kind,
                    "function": where,
                    "share": round(count / n, 3),
                    "seconds": round(count * self.interval, 2),
                }
                for (kind, where), count in counter.most_common(top)
            ]

        return {
            "interval_s": self.interval,
            "samples": self.samples,
            "busy_share_by_thread": {k: round(v / n, 3) for k, v in self.busy_samples.most_common()},
            "top_self": rows(self._self),
            "top_total": rows(self._total),
        }


# Leaf functions in which a thread is blocked rather than running Python: not counted as busy.
_WAIT_LEAVES = frozenset(
    {
        "wait",
        "select",
        "poll",
        "_worker",
        "acquire",
        "sleep",
        "recv_into",
        "readinto",
        "_recv_into",
        "accept",
        "get",
        "run_forever",
        "_run_once",
    }
)


def _waiting(frame: FrameType) -> bool:
    name = frame.f_code.co_name
    if name in _WAIT_LEAVES:
        return True
    # A thread inside a C call shows its innermost Python frame; these wait on sockets or locks.
    return name in ("read", "readline") and "socket" in frame.f_code.co_filename


class GcPauses:
    """Time spent in the cyclic garbage collector (which holds the GIL: every thread waits meanwhile)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info.get("generation", -1), time.perf_counter() - self._started))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def report(self) -> dict[str, Any]:
        by_gen: dict[str, dict[str, float]] = {}
        for gen, seconds in self.pauses:
            entry = by_gen.setdefault(str(gen), {"collections": 0, "total_s": 0.0, "max_ms": 0.0})
            entry["collections"] += 1
            entry["total_s"] = round(entry["total_s"] + seconds, 3)
            entry["max_ms"] = round(max(entry["max_ms"], seconds * 1000), 1)
        return {
            "total_s": round(sum(s for _, s in self.pauses), 3),
            "max_pause_ms": round(max((s for _, s in self.pauses), default=0.0) * 1000, 1),
            "by_generation": by_gen,
        }


class LoopLag:
    """How late the event loop runs a callback scheduled every `interval` seconds: what a chat request waits."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(loop.time() - expected, 0.0))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._probe())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def cancel(self) -> None:
        """Stop probing without waiting (from a callback on the loop)."""
        if self._task is not None:
            self._task.cancel()

    def report(self) -> dict[str, Any]:
        lags = sorted(self.lags)
        return {
            "probes": len(lags),
            "p50_ms": round(percentile(lags, 50) * 1000, 1),
            "p99_ms": round(percentile(lags, 99) * 1000, 1),
            "max_ms": round((lags[-1] if lags else 0.0) * 1000, 1),
            "over_100ms": sum(1 for x in lags if x > 0.1),
        }


class WorkerProbes:
    """The benchmark's instrument for a check run (bot.checklist.workers.Instrument): a probe for each part
    of the run, in the process that runs it."""

    def __init__(self, *, profile: bool = True) -> None:
        self.profile = profile

    def __call__(self) -> RunProbe:
        return RunProbe(profile=self.profile)


class RunProbe:
    """The sampling profiler, the collector's pauses, the event loop's lag and the CPU time of one part."""

    def __init__(self, *, profile: bool) -> None:
        self.lag, self.pauses = LoopLag(), GcPauses()
        self.sampler = Sampler() if profile else None
        self.rss_before = 0.0
        self.cpu_before = 0.0

    def start(self) -> None:
        self.rss_before = current_rss_mb()
        self.cpu_before = cpu_seconds()
        self.lag.start()
        self.pauses.__enter__()
        if self.sampler is not None:
            self.sampler.__enter__()

    def stop(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rss_before_mb": self.rss_before}
        if self.sampler is not None:
            self.sampler.__exit__(None, None, None)
            out["profile"] = self.sampler.report()
        self.pauses.__exit__()
        self.lag.cancel()
        out.update(
            cpu_s=round(cpu_seconds() - self.cpu_before, 2), event_loop_lag=self.lag.report(), gc=self.pauses.report()
        )
        return out


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(pct / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def stopwatch() -> float:
    return time.perf_counter()
