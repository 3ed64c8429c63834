"""One full check, measured, in a process of its own: `python -m bench.check` (driven by `python -m bench`).

The check runs the way the chat runs it: `ChecklistService.run_checks` on a checklist connected to the
simulators (SQLite in a temporary directory), in a worker process as the server runs it, so the figures include
starting the worker, loading the data, the ten checks, handing the results back and storing them. The times of
each source read and each check are the run's own spans; the benchmark's probes ride along in the worker.

Protocol on stdin/stdout (JSON lines): read the simulators' description, set up, print `{"ready": true}`, wait
for `go`, run, print the result.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench.machine import current_rss_mb, peak_rss_mb
from bench.probes import WorkerProbes
from bot.app import configure_secrets, open_database
from bot.checklist.connections import QboConnectionData
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ScopeKey
from bot.checklist.workers import CheckWorkers, RunReport
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from checks.spans import Span
from sandbox.runtime import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from storage import models as db
from storage.crypto import generate_key

T = TypeVar("T")
ACTOR = Actor("UBENCH", "Benchmark Controller")
_STDIN = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-stdin")
SCOPE = ScopeKey("slack", "TBENCH", "CBENCH", "Benchmark workspace")


@dataclass
class Timeline:
    """When storing the results started and ended, in seconds from `origin`."""

    origin: float = field(default_factory=time.perf_counter)
    spans: list[tuple[str, float, float]] = field(default_factory=list)

    def timed(self, name: str, fn: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.spans.append((name, round(start - self.origin, 3), round(time.perf_counter() - self.origin, 3)))


class TimedService(ChecklistService):
    """The production service; storing a run is timed."""

    timeline: Timeline

    def _store_run(
        self,
        checklist_id: int,
        actor: Actor | None,
        specs: Sequence[object],
        results: Any,
        started: datetime,
    ) -> None:
        self.timeline.timed(
            "store", lambda: super(TimedService, self)._store_run(checklist_id, actor, specs, results, started)
        )


def bench_settings(env: dict[str, Any], data_dir: Path) -> Settings:
    finale = env["finale"]
    return with_overrides(
        Settings(),
        {
            "data_dir": str(data_dir),
            "database_url": f"sqlite:///{data_dir / 'bench.sqlite3'}",
            "secret_key": generate_key(),
            "qbo_client_id": SANDBOX_CLIENT_ID,
            "qbo_client_secret": SANDBOX_CLIENT_SECRET,
            "qbo_environment": env["qbo"]["discovery_url"],
            "qbo_api_base": env["qbo"]["api_base"],
            "finale_base_url": finale["base_url"],
            "finale_average_cost_report_url": finale["report_urls"]["average_cost"],
            "finale_inventory_value_report_url": finale["report_urls"]["inventory_value"],
        },
    )


async def prepare(
    env: dict[str, Any], data_dir: Path, timeline: Timeline, *, profile: bool
) -> tuple[TimedService, int]:
    """A checklist connected to the simulators, with the enable date and revenue answered.

    The service is the production one with its production workers: the check runs in a worker process,
    where the benchmark's probes (profiler, collector pauses, event-loop lag) measure it."""
    settings = bench_settings(env, data_dir)
    configure_secrets(settings)
    sessions = open_database(settings)
    sources = LiveSources(settings)
    workers = CheckWorkers(
        sources=sources,
        sessions=sessions,
        settings=settings,
        processes=settings.check_processes,
        instrument=WorkerProbes(profile=profile),
    )
    service = TimedService(sessions, settings, sources, workers=workers)
    service.timeline = timeline
    workers.start()
    view, _ = service.start(SCOPE, ACTOR, "Benchmark company")
    qbo = env["qbo"]
    data = QboConnectionData(
        qbo["realm_id"], qbo["access_token"], qbo["refresh_token"], datetime.fromisoformat(qbo["expires_at"])
    )
    service.connect_qbo_tokens(view.id, ACTOR, data, "Benchmark company")
    finale = env["finale"]
    await service.connect_finale(
        view.id,
        ACTOR,
        account=finale["account"],
        api_key=finale["api_key"],
        api_secret=finale["api_secret"],
        base_url=finale["base_url"],
        report_urls=finale["report_urls"],
    )
    service.set_revenue(view.id, ACTOR, True)
    enable = date.fromisoformat(env["enable_date"]) if env.get("enable_date") else None
    with sessions.begin() as s:
        # What `set enable date` records, without the re-run it triggers (the measured run is the full check).
        row = s.get(db.Checklist, view.id)
        assert row is not None
        row.enable_date = enable
        row.enable_date_decided = True
    return service, view.id


def _extent(spans: Sequence[Span], prefix: str) -> float:
    chosen = [s for s in spans if s.name.startswith(prefix)]
    if not chosen:
        return 0.0
    return round(max(s.end_s for s in chosen) - min(s.start_s for s in chosen), 3)


async def measure(service: TimedService, checklist_id: int, timeline: Timeline) -> dict[str, Any]:
    reports: list[tuple[RunReport, float]] = []
    service.on_run(lambda report: reports.append((report, time.perf_counter())))
    rss_before = current_rss_mb()
    timeline.spans.clear()
    started = timeline.origin = time.perf_counter()
    status = await service.run_checks(checklist_id, ACTOR)
    service_wall = time.perf_counter() - started
    report, in_hand = reports[-1]
    # The full check: from asking for it to its results in hand (worker start and hand-back included).
    wall = in_hand - started
    spans = report.outcome.spans
    source_spans = [s for s in spans if not s.name.startswith("check.")]
    check_spans = [s for s in spans if s.name.startswith("check.")]
    sources_end = max((s.end_s for s in source_spans), default=0.0)
    checks_end = max((s.end_s for s in check_spans), default=0.0)
    store = next(((s, e) for n, s, e in timeline.spans if n == "store"), (wall, wall))
    server_peak = peak_rss_mb()
    parts: list[dict[str, Any]] = [
        {
            "checks": list(part.slugs),
            "peak_rss_mb": part.peak_rss_mb,
            "cpu_s": part.measurements.get("cpu_s"),
            "event_loop_lag": part.measurements.get("event_loop_lag"),
            "gc": part.measurements.get("gc"),
            "profile": part.measurements.get("profile"),
        }
        for part in report.parts
    ]
    worker_peaks = [float(p.peak_rss_mb) for p in report.parts if p.peak_rss_mb is not None]
    results = [
        {"slug": slug, "status": result.status.value, "findings": len(result.findings)}
        for slug, result in status.results.items()
    ]
    out: dict[str, Any] = {
        "wall_s": round(wall, 3),
        "service_wall_s": round(service_wall, 3),
        "cpu_s": round(sum(float(p.measurements.get("cpu_s") or 0.0) for p in report.parts), 2),
        # The largest process of the run; the server beside the workers holds no company data.
        "peak_rss_mb": max(worker_peaks) if worker_peaks else server_peak,
        "server_peak_rss_mb": server_peak,
        "workers_peak_rss_mb": worker_peaks,
        # Everything Preflight held at once, counted generously (each process's own peak, added up).
        "total_peak_rss_mb": round(server_peak + sum(worker_peaks), 1) if worker_peaks else server_peak,
        "rss_before_mb": rss_before,
        "in_worker": not report.in_process,
        "phases": {
            "load_snapshot_s": round(sources_end, 3),
            "qbo_s": _extent(spans, "qbo."),
            "finale_s": _extent(spans, "finale."),
            "checks_s": round(sum(s.end_s - s.start_s for s in check_spans), 3),
            "after_sources_s": round(max(checks_end - sources_end, 0.0), 3),
            "worker_overhead_s": round(max(wall - max(checks_end, sources_end), 0.0), 3),
            "store_s": round(store[1] - store[0], 3),
            "status_s": round(service_wall - store[1], 3),
        },
        "timeline": [{"name": s.name, "start_s": s.start_s, "end_s": s.end_s} for s in spans]
        + [{"name": n, "start_s": a, "end_s": b} for n, a, b in timeline.spans],
        "parts": parts,
        # The first part reads QBO: its loop and collector are the ones that matter for QBO's pacing.
        "event_loop_lag": parts[0]["event_loop_lag"],
        "gc": parts[0]["gc"],
        "results": results,
    }
    if parts[0]["profile"] is not None:
        out["profile"] = parts[0]["profile"]
    return out


def _lines() -> Iterator[str]:
    for line in sys.stdin:
        if line.strip():
            yield line


async def main_async() -> None:
    lines = _lines()
    env = json.loads(next(lines))
    logging.basicConfig(level=logging.WARNING)
    timeline = Timeline()
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as tmp:
        service, checklist_id = await prepare(env, Path(tmp), timeline, profile=bool(env.get("profile", True)))
        _say({"ready": True, "rss_mb": current_rss_mb(), "at": datetime.now(UTC).isoformat()})
        await asyncio.get_running_loop().run_in_executor(_STDIN, next, lines)  # "go"
        result = await measure(service, checklist_id, timeline)
        service.workers.close()
        _say(result)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main_async())
