"""The Snapshot loader: fetch only what the requested checks need, QBO and Finale in parallel.

QBO's client is synchronous (python-quickbooks uses requests), so its calls run in worker threads; Finale's
client is asynchronous. A source that fails becomes an entry in `Snapshot.errors` for the needs it served,
so the checks that depend on it report `error` instead of passing silently. `Load` tells as each need
settles, so that checks/runner.py can start a check once its own data is in; `load_snapshot` waits for all.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from checks.catalog._moves import valuation_days
from checks.snapshot import (
    FinaleProduct,
    InventoryAdjustment,
    ItemTransaction,
    Need,
    QboAccount,
    QboCompany,
    QboItem,
    QboJournalEntry,
    SalesOrder,
    Snapshot,
    SourceFailure,
    StockRow,
    ValuationLine,
)
from checks.sources.errors import FinaleAuthError, QboAuthError, SourceError
from checks.spans import Spans

log = logging.getLogger(__name__)


class QboReader(Protocol):
    def company(self) -> QboCompany: ...
    def items(self) -> list[QboItem]: ...
    def accounts(self) -> list[QboAccount]: ...
    def inventory_valuation(self, as_of: date) -> list[ValuationLine]: ...
    def item_transactions(self, since: date | None) -> list[ItemTransaction]: ...
    def inventory_balance(self, on: date) -> dict[str, Decimal]: ...
    def adjustments(self, since: date | None = None) -> list[InventoryAdjustment]: ...
    def journal_entries(self, since: date) -> list[QboJournalEntry]: ...


class FinaleReader(Protocol):
    async def products(self) -> list[FinaleProduct]: ...
    async def stock(self) -> list[StockRow]: ...
    async def sales_orders(self, since: date | None) -> list[SalesOrder]: ...
    async def average_costs(self, as_of: date) -> dict[str, Decimal | None]: ...
    async def inventory_value(self, on: date) -> Decimal: ...


@dataclass(frozen=True)
class LoadPlan:
    needs: frozenset[Need]
    today: date
    enable_date: date | None
    enable_date_decided: bool


# QBO's calls block on HTTP for seconds: they get threads of their own, so that they never hold up the default
# executor (the checks, storage and the chat use it meanwhile). Threads are made as needed, up to the limit.
_QBO_READS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="qbo-read")

# The span each source read is recorded under.
SOURCE_SPANS = {
    Need.QBO_COMPANY: "qbo.company",
    Need.QBO_ITEMS: "qbo.items",
    Need.QBO_ACCOUNTS: "qbo.accounts",
    Need.QBO_INVENTORY_VALUATION: "qbo.inventory_valuation",
    Need.QBO_ITEM_TRANSACTIONS: "qbo.item_transactions",
    Need.QBO_INVENTORY_BALANCE: "qbo.inventory_balance",
    Need.QBO_ADJUSTMENTS: "qbo.adjustments",
    Need.QBO_WRITE_OFF_VALUATION: "qbo.write_off_valuation",
    Need.QBO_JOURNAL_ENTRIES: "qbo.journal_entries",
    Need.FINALE_PRODUCTS: "finale.products",
    Need.FINALE_STOCK: "finale.stock",
    Need.FINALE_SALES_ORDERS: "finale.sales_orders",
    Need.FINALE_AVERAGE_COST: "finale.average_costs",
    Need.FINALE_INVENTORY_VALUE: "finale.inventory_value",
}

NOT_CONNECTED = {
    "qbo": "QuickBooks Online is not connected yet. An owner can connect it with `connect qbo`.",
    "finale": "Finale is not connected yet. An owner can connect it with `connect finale`.",
}


class Load:
    """One load of the data a plan needs: each source read as a job, all of them in parallel.

    Every need of the plan *settles* once: loaded, failed (an entry in `errors`) or not to be read (a source
    that is not connected, or data the plan's dates make irrelevant). `on_settled` is called on the event
    loop as each one does, so the checks that need only what has settled can run while the rest loads.
    `spans` records when each source read ran, for the run's log and the benchmarks.
    """

    def __init__(
        self,
        plan: LoadPlan,
        *,
        qbo: QboReader | None,
        finale: FinaleReader | None,
        now: datetime,
        on_settled: Callable[[Need], None] | None = None,
        spans: Spans | None = None,
    ) -> None:
        self.plan = plan
        self.now = now
        self.day_before = plan.enable_date - timedelta(days=1) if plan.enable_date else None
        self.errors: dict[Need, SourceFailure] = {}
        self.values: dict[str, Any] = {}
        self.settled: set[Need] = set()
        self.memo: dict[str, tuple[Any, Any]] = {}  # shared by every snapshot of this load
        self.on_settled = on_settled
        self.spans = spans if spans is not None else Spans()
        self._jobs: list[tuple[Need, str, Callable[[], Awaitable[Any]]]] = []
        self._events: dict[Need, asyncio.Event] = {}
        self._plan_jobs(qbo, finale)

    def _plan_jobs(self, qbo: QboReader | None, finale: FinaleReader | None) -> None:
        plan, needs, day_before = self.plan, self.plan.needs, self.day_before

        def qbo_job(need: Need, field: str, method: Callable[[], Any]) -> None:
            if need not in needs:
                return
            if qbo is None:
                self._fail(need, NOT_CONNECTED["qbo"])
                return

            async def call() -> Any:
                return await asyncio.get_running_loop().run_in_executor(_QBO_READS, method)

            self._jobs.append((need, field, call))

        def finale_job(need: Need, field: str, method: Callable[[], Awaitable[Any]]) -> None:
            if need not in needs:
                return
            if finale is None:
                self._fail(need, NOT_CONNECTED["finale"])
                return
            self._jobs.append((need, field, method))

        if qbo is not None:
            q = qbo
            qbo_job(Need.QBO_COMPANY, "company", q.company)
            qbo_job(Need.QBO_ITEMS, "items", q.items)
            qbo_job(Need.QBO_ACCOUNTS, "accounts", q.accounts)
            qbo_job(Need.QBO_INVENTORY_VALUATION, "valuation", lambda: q.inventory_valuation(plan.today))
            # A blank enable date pushes the whole history, so every transaction counts.
            qbo_job(Need.QBO_ITEM_TRANSACTIONS, "item_transactions", lambda: q.item_transactions(plan.enable_date))
            if day_before is not None:
                d1 = day_before
                qbo_job(Need.QBO_INVENTORY_BALANCE, "inventory_balance", lambda: q.inventory_balance(d1))
            # Every adjustment: write-offs before the enable date are part of the story too.
            qbo_job(Need.QBO_ADJUSTMENTS, "adjustments", lambda: q.adjustments())
            if plan.enable_date is not None:
                since = plan.enable_date
                qbo_job(Need.QBO_JOURNAL_ENTRIES, "journal_entries", lambda: q.journal_entries(since))
            if Need.QBO_WRITE_OFF_VALUATION in needs:
                self._jobs.append((Need.QBO_WRITE_OFF_VALUATION, "write_off_valuation", self._write_off_job(q)))
        else:
            for need in needs:
                if need.value.startswith("qbo"):
                    self._fail(need, NOT_CONNECTED["qbo"])

        if finale is not None:
            f = finale
            finale_job(Need.FINALE_PRODUCTS, "products", f.products)
            finale_job(Need.FINALE_STOCK, "stock", f.stock)
            # 90 days of history estimate the monthly invoice volume even before a future enable date.
            orders_since: date | None = plan.today - timedelta(days=90)
            if plan.enable_date is not None:
                orders_since = min(plan.today - timedelta(days=90), plan.enable_date)
            elif plan.enable_date_decided:
                orders_since = None  # a blank enable date pushes the whole history
            finale_job(Need.FINALE_SALES_ORDERS, "sales_orders", lambda: f.sales_orders(orders_since))
            as_of = plan.enable_date or plan.today
            finale_job(Need.FINALE_AVERAGE_COST, "average_costs", lambda: f.average_costs(as_of))
            if day_before is not None:
                d1 = day_before
                finale_job(Need.FINALE_INVENTORY_VALUE, "finale_inventory_value", lambda: f.inventory_value(d1))
        else:
            for need in needs:
                if need.value.startswith("finale"):
                    self._fail(need, NOT_CONNECTED["finale"])

        # What is not read at all (a source not connected, no D-1 without an enable date) settles at once.
        self.settled |= needs - {need for need, _, _ in self._jobs}

    def _write_off_job(self, q: QboReader) -> Callable[[], Awaitable[Any]]:
        """The valuation report as of the day before each write-off, once the items, adjustments and company
        (for the books' close date) are in: which days to read depends on them."""
        first = (Need.QBO_COMPANY, Need.QBO_ITEMS, Need.QBO_ADJUSTMENTS)

        async def call() -> dict[date, tuple[ValuationLine, ...]]:
            for need in first:
                await self._settled_event(need).wait()
            items, adjustments, company = (self.values.get(f) for f in ("items", "adjustments", "company"))
            if items is None or adjustments is None or company is None:
                failed = ", ".join(n.value for n in first if n in self.errors) or "not requested"
                raise SourceError(
                    "The inventory write-offs could not be valued, because the items, inventory adjustments or "
                    f"company settings could not be read ({failed}). Run the check again.",
                )
            loop = asyncio.get_running_loop()
            days = valuation_days(items, adjustments, company.book_close_date)
            reports = await asyncio.gather(
                *(loop.run_in_executor(_QBO_READS, q.inventory_valuation, day) for day in days)
            )
            return {day: tuple(lines) for day, lines in zip(days, reports, strict=True)}

        return call

    def _settled_event(self, need: Need) -> asyncio.Event:
        event = self._events.get(need)
        if event is None:
            event = self._events[need] = asyncio.Event()
            if need in self.settled or need not in {n for n, _, _ in self._jobs}:
                event.set()
        return event

    def _fail(self, need: Need, message: str) -> None:
        self.errors[need] = SourceFailure(need=need, message=message)

    async def _fetch(self, need: Need, field: str, call: Callable[[], Awaitable[Any]]) -> None:
        start = time.perf_counter()
        try:
            value = await call()
            # Lists become tuples once, here: every partial snapshot then shares them as they are.
            self.values[field] = tuple(value) if isinstance(value, list) else value
        except SourceError as exc:
            log.warning("source failed for %s: %s", need.value, exc.detail or exc.message)
            self.errors[need] = SourceFailure(
                need=need, message=str(exc), auth=isinstance(exc, QboAuthError | FinaleAuthError)
            )
        finally:
            self.spans.add(SOURCE_SPANS[need], start, time.perf_counter())
            # A read that depends on this one (the write-off valuation) never waits for ever.
            self._settled_event(need).set()
        self.settled.add(need)
        if self.on_settled is not None:
            self.on_settled(need)

    async def run(self) -> None:
        """Read every source; returns once every need has settled."""
        await asyncio.gather(*(self._fetch(need, field, call) for need, field, call in self._jobs))

    def snapshot(self) -> Snapshot:
        """What has loaded so far (all of it once `run` has returned)."""
        # `values` is keyed by the Snapshot's own field names (see _plan_jobs).
        return Snapshot(
            fetched_at=self.now,
            enable_date=self.plan.enable_date,
            inventory_balance_date=self.day_before if "inventory_balance" in self.values else None,
            errors=dict(self.errors),
            memo=self.memo,
            **self.values,
        )


async def load_snapshot(
    plan: LoadPlan,
    *,
    qbo: QboReader | None,
    finale: FinaleReader | None,
    now: datetime,
) -> Snapshot:
    """Everything the plan needs, in one Snapshot."""
    load = Load(plan, qbo=qbo, finale=finale, now=now)
    pause_collector()
    snapshot: Snapshot | None = None
    try:
        await load.run()
        snapshot = load.snapshot()
    finally:
        resume_collector(snapshot)
    return snapshot


# ------------------------------------------------------------------ the garbage collector during a load

# A full snapshot of a large company is a million or more objects, made in a few seconds. Python's cyclic
# garbage collector would walk all of them again and again while they pile up (seconds of CPU, and pauses of
# hundreds of milliseconds in which no thread runs, the chat's included), although none of them is in a cycle
# (reference counting frees them). So it is paused while sources are read; at the end the objects alive
# then are frozen (`gc.freeze`: kept out of later collections) until the snapshot is gone, when they are
# handed back (`gc.unfreeze`). Loads in parallel share the pause; the collector's state before the first one
# is restored after the last.
_gc_lock = threading.Lock()
_gc_holds = 0
_gc_resume = False


def pause_collector() -> None:
    global _gc_holds, _gc_resume
    with _gc_lock:
        if _gc_holds == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_holds += 1


def resume_collector(keep: object | None = None) -> None:
    """Resume after a load. `keep`: what the load made and the caller keeps (a snapshot); it stays out of the
    collections until it is gone. A caller that keeps nothing drops what it loaded first."""
    global _gc_holds
    with _gc_lock:
        _gc_holds -= 1
        if not _gc_resume:
            return
        if keep is not None:
            gc.freeze()
            weakref.finalize(keep, gc.unfreeze).atexit = False
        if _gc_holds == 0:
            gc.enable()
