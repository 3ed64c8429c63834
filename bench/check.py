"""One full check, measured, in a process of its own: `python -m bench.check` (driven by `python -m bench`).

The check runs the way the chat runs it: `ChecklistService.run_checks` on a checklist connected to the
simulators (SQLite in a temporary directory), so the figures include loading the snapshot, the ten checks and
storing their results. The readers and checks are wrapped only to time them.

Protocol on stdin/stdout (JSON lines): read the simulators' description, set up, print `{"ready": true}`, wait
for `go`, run, print the result.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from bench.machine import cpu_seconds, current_rss_mb, peak_rss_mb
from bench.probes import GcPauses, LoopLag, Sampler
from bot.app import configure_secrets, open_database
from bot.checklist import service as service_module
from bot.checklist.service import ChecklistService, FinaleConnectionData, QboConnectionData
from bot.checklist.views import Actor, ScopeKey
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from checks.answers import Answers
from checks.registry import CheckRegistry
from checks.registry import registry as default_registry
from checks.results import CheckResult
from checks.snapshot import (
    FinaleProduct,
    InventoryAdjustment,
    ItemTransaction,
    QboAccount,
    QboCompany,
    QboItem,
    SalesOrder,
    Snapshot,
    StockRow,
    ValuationLine,
)
from checks.sources.loader import FinaleReader, QboReader
from sandbox.runtime import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from storage import models as db
from storage.crypto import generate_key

T = TypeVar("T")
ACTOR = Actor("UBENCH", "Benchmark Controller")
_STDIN = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-stdin")
SCOPE = ScopeKey("slack", "TBENCH", "CBENCH", "Benchmark workspace")


@dataclass
class Timeline:
    """When each source call and check started and ended, in seconds from `origin`."""

    origin: float = field(default_factory=time.perf_counter)
    spans: list[tuple[str, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, start: float, end: float) -> None:
        with self.lock:
            self.spans.append((name, round(start - self.origin, 3), round(end - self.origin, 3)))

    @asynccontextmanager
    async def span(self, name: str) -> Any:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, start, time.perf_counter())

    def timed(self, name: str, fn: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.add(name, start, time.perf_counter())

    async def atimed(self, name: str, fn: Callable[[], Awaitable[T]]) -> T:
        start = time.perf_counter()
        try:
            return await fn()
        finally:
            self.add(name, start, time.perf_counter())

    def first(self, prefix: str) -> float | None:
        starts = [s for n, s, _ in self.spans if n.startswith(prefix)]
        return min(starts) if starts else None

    def last(self, prefix: str) -> float | None:
        ends = [e for n, _, e in self.spans if n.startswith(prefix)]
        return max(ends) if ends else None

    def as_json(self) -> list[dict[str, Any]]:
        return [{"name": n, "start_s": s, "end_s": e} for n, s, e in sorted(self.spans, key=lambda x: x[1])]


class TimedQbo:
    """A QboReader that records when each call ran."""

    def __init__(self, inner: QboReader, timeline: Timeline) -> None:
        self.inner = inner
        self.t = timeline

    def company(self) -> QboCompany:
        return self.t.timed("qbo.company", self.inner.company)

    def items(self) -> list[QboItem]:
        return self.t.timed("qbo.items", self.inner.items)

    def accounts(self) -> list[QboAccount]:
        return self.t.timed("qbo.accounts", self.inner.accounts)

    def inventory_valuation(self, as_of: date) -> list[ValuationLine]:
        return self.t.timed("qbo.inventory_valuation", lambda: self.inner.inventory_valuation(as_of))

    def item_transactions(self, since: date | None) -> list[ItemTransaction]:
        return self.t.timed("qbo.item_transactions", lambda: self.inner.item_transactions(since))

    def inventory_balance(self, on: date) -> dict[str, Decimal]:
        return self.t.timed("qbo.inventory_balance", lambda: self.inner.inventory_balance(on))

    def adjustments(self, since: date) -> list[InventoryAdjustment]:
        return self.t.timed("qbo.adjustments", lambda: self.inner.adjustments(since))


class TimedFinale:
    """A FinaleReader that records when each call ran."""

    def __init__(self, inner: FinaleReader, timeline: Timeline) -> None:
        self.inner = inner
        self.t = timeline

    async def products(self) -> list[FinaleProduct]:
        return await self.t.atimed("finale.products", self.inner.products)

    async def stock(self) -> list[StockRow]:
        return await self.t.atimed("finale.stock", self.inner.stock)

    async def sales_orders(self, since: date | None) -> list[SalesOrder]:
        return await self.t.atimed("finale.sales_orders", lambda: self.inner.sales_orders(since))

    async def average_costs(self, as_of: date) -> dict[str, Decimal | None]:
        return await self.t.atimed("finale.average_costs", lambda: self.inner.average_costs(as_of))

    async def inventory_value(self, on: date) -> Decimal:
        return await self.t.atimed("finale.inventory_value", lambda: self.inner.inventory_value(on))


class TimedSources:
    """The production SourceFactory (`LiveSources`), its readers wrapped in timers."""

    def __init__(self, inner: LiveSources, timeline: Timeline) -> None:
        self.inner = inner
        self.timeline = timeline

    def qbo(self, data: QboConnectionData, on_tokens: Callable[[str | None, str, datetime | None], None]) -> QboReader:
        return TimedQbo(self.inner.qbo(data, on_tokens), self.timeline)

    def finale(self, data: FinaleConnectionData) -> AbstractAsyncContextManager[FinaleReader]:
        return self._finale(data)

    @asynccontextmanager
    async def _finale(self, data: FinaleConnectionData) -> Any:
        async with self.inner.finale(data) as reader:
            yield TimedFinale(reader, self.timeline)

    def qbo_authorization_url(self, state: str) -> str:
        return self.inner.qbo_authorization_url(state)

    def qbo_exchange_code(self, code: str, realm_id: str) -> QboConnectionData:
        return self.inner.qbo_exchange_code(code, realm_id)

    async def finale_check_credentials(self, data: FinaleConnectionData) -> None:
        await self.inner.finale_check_credentials(data)


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


def timed_registry(timeline: Timeline) -> CheckRegistry:
    """The ten checks, each wrapped in a timer."""
    out = CheckRegistry()
    for spec in default_registry.all():

        def wrap(
            func: Callable[[Snapshot, Answers], CheckResult], slug: str
        ) -> Callable[[Snapshot, Answers], CheckResult]:
            def run(snapshot: Snapshot, answers: Answers) -> CheckResult:
                return timeline.timed(f"check.{slug}", lambda: func(snapshot, answers))

            return run

        out.register(
            slug=spec.slug,
            title=spec.title,
            kind=spec.kind,
            order=spec.order,
            why=spec.why,
            needs=spec.needs,
            depends_on_enable_date=spec.depends_on_enable_date,
            allow_not_applicable=spec.allow_not_applicable,
            handles_failures=spec.handles_failures,
        )(wrap(spec.func, spec.slug))
    return out


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


async def prepare(env: dict[str, Any], data_dir: Path, timeline: Timeline) -> tuple[TimedService, int]:
    """A checklist connected to the simulators, with the enable date and revenue answered."""
    settings = bench_settings(env, data_dir)
    configure_secrets(settings)
    sessions = open_database(settings)
    service = TimedService(
        sessions, settings, TimedSources(LiveSources(settings), timeline), registry=timed_registry(timeline)
    )
    service.timeline = timeline
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


async def measure(service: TimedService, checklist_id: int, timeline: Timeline, *, sample: bool) -> dict[str, Any]:
    lag = LoopLag()
    gc_pauses = GcPauses()
    sampler = Sampler() if sample else None
    rss_before = current_rss_mb()
    cpu_before = cpu_seconds()
    timeline.origin = time.perf_counter()
    timeline.spans.clear()
    loads: list[tuple[float, float]] = []
    real_load = service_module.load_snapshot

    async def timed_load(*args: Any, **kwargs: Any) -> Snapshot:
        start = time.perf_counter()
        try:
            return await real_load(*args, **kwargs)
        finally:
            loads.append((start, time.perf_counter()))
            timeline.add("load_snapshot", start, time.perf_counter())

    service_module.load_snapshot = timed_load
    lag.start()
    gc_pauses.__enter__()
    if sampler is not None:
        sampler.__enter__()
    try:
        started = time.perf_counter()
        status = await service.run_checks(checklist_id, ACTOR)
        wall = time.perf_counter() - started
    finally:
        if sampler is not None:
            sampler.__exit__(None, None, None)
        gc_pauses.__exit__()
        await lag.stop()
        service_module.load_snapshot = real_load
    cpu = cpu_seconds() - cpu_before
    load_end = timeline.last("load_snapshot") or 0.0
    checks_start = timeline.first("check.")
    checks_end = timeline.last("check.")
    store = next(((s, e) for n, s, e in timeline.spans if n == "store"), (wall, wall))
    results = []
    for slug, result in status.results.items():
        results.append({"slug": slug, "status": result.status.value, "findings": len(result.findings)})
    out: dict[str, Any] = {
        # The full check: the snapshot loaded and all ten checks run (the service then stores the results).
        "wall_s": round(checks_end if checks_end is not None else wall, 3),
        "service_wall_s": round(wall, 3),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss_before,
        "phases": {
            "load_snapshot_s": round(load_end - (timeline.first("load_snapshot") or 0.0), 3),
            "qbo_s": round((timeline.last("qbo.") or 0.0) - (timeline.first("qbo.") or 0.0), 3),
            "finale_s": round((timeline.last("finale.") or 0.0) - (timeline.first("finale.") or 0.0), 3),
            "checks_s": round((checks_end or 0.0) - (checks_start or 0.0), 3),
            "store_s": round(store[1] - store[0], 3),
            "status_s": round(wall - store[1], 3),
        },
        "timeline": timeline.as_json(),
        "event_loop_lag": lag.report(),
        "gc": gc_pauses.report(),
        "results": results,
    }
    if sampler is not None:
        out["profile"] = sampler.report()
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
        service, checklist_id = await prepare(env, Path(tmp), timeline)
        _say({"ready": True, "rss_mb": current_rss_mb(), "at": datetime.now(UTC).isoformat()})
        await asyncio.get_running_loop().run_in_executor(_STDIN, next, lines)  # "go"
        result = await measure(service, checklist_id, timeline, sample=bool(env.get("profile", True)))
        _say(result)


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main_async())
