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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench.machine import TreeMemory, current_rss_mb, peak_rss_mb
from bench.probes import WorkerProbes
from bot.app import configure_secrets, freeze_startup_objects, open_database
from bot.checklist.connections import QboConnectionData
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ScopeKey
from bot.checklist.workers import CheckWorkers, RunReport
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from checks.spans import SOURCES, busy, extent, last_end
from storage.crypto import generate_key
from storage.repositories import checklists

T = TypeVar("T")
ACTOR = Actor("UBENCH", "Benchmark Controller")
_STDIN = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-stdin")
SCOPE = ScopeKey("slack", "TBENCH", "CBENCH", "Benchmark workspace")


def bench_settings(env: dict[str, Any], data_dir: Path) -> Settings:
    finale = env["finale"]
    return with_overrides(
        Settings(),
        {
            "data_dir": str(data_dir),
            "database_url": f"sqlite:///{data_dir / 'bench.sqlite3'}",
            "secret_key": generate_key(),
            # The simulators' app (not sandbox.runtime's constants: workers import this module again).
            "qbo_client_id": env["qbo"]["client_id"],
            "qbo_client_secret": env["qbo"]["client_secret"],
            "qbo_environment": env["qbo"]["discovery_url"],
            "qbo_api_base": env["qbo"]["api_base"],
            "finale_base_url": finale["base_url"],
            "finale_average_cost_report_url": finale["report_urls"]["average_cost"],
            "finale_inventory_value_report_url": finale["report_urls"]["inventory_value"],
            # The re-check measurement turns incremental reads on; the full check measures a plain read.
            "incremental_reads": bool(env.get("incremental", False)),
        },
    )


async def prepare(env: dict[str, Any], data_dir: Path, *, profile: bool) -> tuple[ChecklistService, int]:
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
    service = ChecklistService(sessions, settings, sources, workers=workers)
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
        checklists.update_checklist(s, view.id, enable_date=enable, enable_date_decided=True)
    freeze_startup_objects()  # as the server does once it has started
    return service, view.id


async def measure(service: ChecklistService, checklist_id: int) -> dict[str, Any]:
    reports: list[tuple[RunReport, float]] = []
    service.on_run(lambda report: reports.append((report, time.monotonic())))
    rss_before = current_rss_mb()
    with TreeMemory() as memory:
        started = time.monotonic()  # the clock every process on the machine shares: the workers stamp with it too
        status = await service.run_checks(checklist_id, ACTOR)
        service_wall = time.monotonic() - started
    report, stored = reports[-1]
    # The full check: from asking for it to its last check done, in whichever worker (worker start included).
    wall = report.checked - started
    spans = report.spans
    sources_end, checks_end = last_end(spans, *SOURCES), last_end(spans, "check.")
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
        # Everything Preflight's processes held at once (PSS: shared pages counted once), sampled.
        "memory": memory.report(),
        "rss_before_mb": rss_before,
        "in_worker": not report.in_process,
        "phases": {
            "load_snapshot_s": round(sources_end, 3),
            "qbo_s": round(extent(spans, "qbo."), 3),
            "finale_s": round(extent(spans, "finale."), 3),
            "checks_s": round(busy(spans, "check."), 3),
            "after_sources_s": round(max(checks_end - sources_end, 0.0), 3),
            # Starting the workers, and anything between a worker's last check and the report's stamp.
            "worker_overhead_s": round(max(wall - max(checks_end, sources_end), 0.0), 3),
            # The workers storing their results, and telling the server.
            "store_s": round(stored - report.checked, 3),
            # The server closing the run, updating the checklist's state and reading its status.
            "status_s": round(started + service_wall - stored, 3),
        },
        "timeline": [{"name": s.name, "start_s": s.start_s, "end_s": s.end_s} for s in spans],
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
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as tmp:
        service, checklist_id = await prepare(env, Path(tmp), profile=bool(env.get("profile", True)))
        _say({"ready": True, "rss_mb": current_rss_mb(), "at": datetime.now(UTC).isoformat()})
        await asyncio.get_running_loop().run_in_executor(_STDIN, next, lines)  # "go"
        result = await measure(service, checklist_id)
        _say(result)
        # `go` again: a re-check of the same checklist (what it kept from the run before makes it incremental).
        while (await asyncio.get_running_loop().run_in_executor(_STDIN, next, lines, "quit")).strip() == "go":
            _say(await measure(service, checklist_id))
        service.workers.close()


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main_async())
