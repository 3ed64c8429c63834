"""Check runs in worker processes, so that the chat never waits behind one.

A full check of a large company decodes hundreds of megabytes of JSON and runs the checks over a million
objects. In the server's own process that work would hold Python's GIL for tens of milliseconds at a time,
and every slash command, button and reminder arriving meanwhile would wait behind it (Slack allows an app 3
seconds to acknowledge; people notice a tenth of one). So each run goes to processes of its own: forked from
a fork server that imported Preflight once (a worker starts in milliseconds), they read QBO and Finale, run
the checks, store the results and exit, which hands all their memory back. Workers run at a lower CPU
priority than the chat, and at most `processes` run at once; more wait for a free one.

A run is split by source when it can be: the checks that read only Finale (average cost, negative stock,
invoices) run in one worker, everything else in another. The two sources are independent, so on a machine
with two or more cores their reading and decoding overlap; and Finale's large answers, decoded in their own
process, never hold up the moment a QBO request leaves (QBO counts 10 a second; a late one can be refused).
The other worker reads the little it needs from Finale (the product list, the inventory value) itself.

A worker writes to the database itself: rotated QBO refresh tokens at once (a rotation lost with a worker
would disconnect the company), and its results, under the run the server opened; the server then reads them
as it reads any status, and never has thousands of findings pass through its own process. A worker that dies
(killed for memory, say) leaves `error` results that say so, never silence. With `processes = 0`, or a
database no other process can open (in-memory SQLite), runs happen in the calling process instead.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.checklist.connections import FinaleConnectionData, QboConnectionData, SourceFactory, store_qbo_tokens
from bot.checklist.kept import DatabasePieces, incremental_finale, incremental_qbo
from bot.logs import configure_logging
from bot.qbo_pace import share_qbo_pace
from bot.settings import Settings
from checks.answers import Answers
from checks.registry import CheckSpec, ViewSpec, outcome_id
from checks.results import CheckResult, Status
from checks.runner import RunOutcome, run_checks
from checks.snapshot import Need, QboCompany
from checks.sources.loader import FinaleReader, LoadPlan, QboReader
from checks.spans import SOURCES, Span, busy, last_end
from storage import crypto
from storage.db import session_factory
from storage.repositories.runs import add_check_results

log = logging.getLogger(__name__)

# Below the chat (0): when both want the CPU, the chat's answers come first.
WORKER_NICENESS = 10
FINALE_ONLY_NICENESS = 15
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What the fork server imports once, so that no worker spends its first half second importing: the checks,
# the sources' clients, and the CLI and app wiring (each worker runs the main module's imports again, and
# `preflight` is the CLI).
PRELOAD = ("bot.checklist.workers", "checks.catalog", "bot.sources", "bot.app", "bot.cli")


@dataclass(frozen=True)
class CheckJob:
    """One run: which checks, over which connections, with which answers, stored under which run."""

    checklist_id: int
    run_id: int  # the check_runs row the server opened; results are stored under it
    specs: tuple[CheckSpec, ...]
    answers: Answers
    plan: LoadPlan
    now: datetime  # when the run started, by the service's clock
    started: float  # the same moment by time.monotonic(), which every process on this machine shares
    qbo: QboConnectionData | None
    finale: FinaleConnectionData | None
    views: tuple[ViewSpec, ...] = ()  # built ahead of the checks that use them
    incremental: bool = False  # re-read only what changed since the last read kept (PREFLIGHT_INCREMENTAL_READS)

    def moment(self, monotonic: float) -> datetime:
        """A time.monotonic() reading as a moment by the service's clock (results are stored with it)."""
        return self.now + timedelta(seconds=monotonic - self.started)


@dataclass(frozen=True)
class PartReport:
    """What one worker (or the calling process) did for a run."""

    slugs: tuple[str, ...]
    in_process: bool
    checked: float  # time.monotonic() when its last check was done (before its results were stored)
    company: QboCompany | None
    spans: tuple[Span, ...]
    peak_rss_mb: float | None  # the worker's peak memory; None when the part ran in this process
    measurements: dict[str, Any]  # what the instrument measured there


@dataclass(frozen=True)
class RunReport:
    """A finished run, its results stored, for the log and for observers (the benchmarks)."""

    checklist_id: int
    run_id: int
    parts: tuple[PartReport, ...]

    @property
    def in_process(self) -> bool:
        return all(part.in_process for part in self.parts)

    @property
    def company(self) -> QboCompany | None:
        return next((part.company for part in self.parts if part.company is not None), None)

    @property
    def checked(self) -> float:
        """time.monotonic() when the run's last check was done."""
        return max(part.checked for part in self.parts)

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(sorted((s for part in self.parts for s in part.spans), key=lambda s: (s.start_s, s.name)))


class Probe(Protocol):
    """Measures one part of a run: started on the event loop that runs it, stopped when its results are in."""

    def start(self) -> None: ...

    def stop(self) -> dict[str, Any]: ...


class Instrument(Protocol):
    """Makes a Probe for each part of a run, in the process that runs it (the benchmarks' profiler). What the
    probe measured comes back in the PartReport. It is sent to the workers, so it must be picklable."""

    def __call__(self) -> Probe: ...


@dataclass(frozen=True)
class _WorkerSetup:
    """What a worker needs besides its job: how to reach the sources and the database."""

    sources: SourceFactory
    database_url: str
    secrets: crypto.SecretBox | None  # the box this process stores tokens with
    log_level: str
    instrument: Instrument | None
    niceness: int


class WorkerDied(RuntimeError):
    """The worker process ended without sending its results."""


async def run_job(
    job: CheckJob,
    sources: SourceFactory,
    sessions: sessionmaker[Session],
    *,
    instrument: Instrument | None = None,
    deliver: Callable[[PartReport], None] | None = None,
) -> PartReport:
    """The run itself, in whichever process it happens: the checks, and their results stored under the run.

    A worker passes `deliver`: its results are stored, and the report handed over, as soon as the last check
    is done, before the data loaded for the run is let go. In the server's own process (no `deliver`) the
    results are stored afterwards, off the event loop."""
    probe = instrument() if instrument is not None else None
    slugs = tuple(spec.slug for spec in job.specs)
    reports: list[PartReport] = []

    def done(outcome: RunOutcome) -> None:
        checked = time.monotonic()
        measured = probe.stop() if probe is not None else {}
        if deliver is not None:
            store_results(sessions, job, outcome.results, checked)
        report = PartReport(slugs, deliver is None, checked, outcome.company, outcome.spans, None, measured)
        reports.append(report)
        if deliver is not None:
            deliver(report)

    if probe is not None:
        probe.start()
    on_tokens = partial(store_qbo_tokens, sessions, job.checklist_id)
    # Incremental: each read re-reads only what changed since the checklist's last one (kept in the database).
    kept = DatabasePieces(sessions, job.checklist_id) if job.incremental else None
    qbo: QboReader | None = None
    if job.qbo is not None:
        qbo = sources.qbo(job.qbo, on_tokens)
        if kept is not None:
            qbo = incremental_qbo(qbo, job.qbo, kept, now=job.now, needs=job.plan.needs)
    args = (job.specs, job.answers, job.plan)
    if job.finale is None:
        outcome = await run_checks(*args, qbo=qbo, finale=None, now=job.now, views=job.views, on_outcome=done)
    else:
        async with sources.finale(job.finale) as source:
            tag = "" if job.qbo is None else ".with-qbo"
            finale: FinaleReader = source
            if kept is not None:
                finale = incremental_finale(source, job.finale, kept, now=job.now, tag=tag)
            outcome = await run_checks(*args, qbo=qbo, finale=finale, now=job.now, views=job.views, on_outcome=done)
    (report,) = reports
    if deliver is None:
        await asyncio.to_thread(store_results, sessions, job, outcome.results, report.checked)
    return report


def store_results(
    sessions: sessionmaker[Session], job: CheckJob, results: Sequence[CheckResult], checked: float
) -> None:
    with sessions.begin() as s:
        add_check_results(s, job.run_id, job.checklist_id, results, created_at=job.moment(checked))


def split_by_source(job: CheckJob) -> list[CheckJob]:
    """The job as parts that can run side by side: the checks that read only Finale, and the rest.

    Each part loads only what its own checks need; a job whose checks all fall on one side stays whole."""
    finale_only = [spec for spec in job.specs if _finale_only(spec.needs(job.answers))]
    rest = [spec for spec in job.specs if spec not in finale_only]
    if not finale_only or not rest:
        return [job]

    def part(specs: Sequence[CheckSpec], *, qbo: bool) -> CheckJob:
        needs = frozenset().union(*(spec.needs(job.answers) for spec in specs))
        slugs = {spec.slug for spec in specs}
        return replace(
            job,
            specs=tuple(specs),
            plan=replace(job.plan, needs=needs),
            qbo=job.qbo if qbo else None,
            views=tuple(view for view in job.views if view.used_by & slugs),
        )

    return [part(rest, qbo=True), part(finale_only, qbo=False)]


def _finale_only(needs: frozenset[Need]) -> bool:
    return bool(needs) and all(need.source == "Finale" for need in needs)


class CheckWorkers:
    """Runs check jobs in worker processes, `processes` at a time (0: in this process)."""

    def __init__(
        self,
        *,
        sources: SourceFactory,
        sessions: sessionmaker[Session],
        settings: Settings,
        processes: int,
        instrument: Instrument | None = None,
    ) -> None:
        self.sources = sources
        self.sessions = sessions
        self.instrument = instrument
        url = sessions.kw["bind"].url
        if processes > 0 and url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            log.info("Checks run in the server's process: an in-memory database cannot be shared with workers")
            processes = 0
        self.processes = processes
        self._database_url = url.render_as_string(hide_password=False)
        self._log_level = settings.log_level
        self._threads: ThreadPoolExecutor | None = None
        self._live: set[BaseProcess] = set()
        self._lock = threading.Lock()

    async def run(self, job: CheckJob) -> RunReport:
        """Run the job's checks and store their results under its run."""
        if self.processes == 0:
            part = await run_job(job, self.sources, self.sessions, instrument=self.instrument)
            return RunReport(job.checklist_id, job.run_id, (part,))
        # With one process there is nothing to run side by side.
        parts = split_by_source(job) if self.processes > 1 else [job]
        loop = asyncio.get_running_loop()
        # A worker is waited for on a thread of its own: the event loop never blocks on a pipe.
        done = await asyncio.gather(*(loop.run_in_executor(self._pool(), self._in_worker, part) for part in parts))
        return RunReport(job.checklist_id, job.run_id, tuple(done))

    def start(self) -> None:
        """Start the fork server now, so that the first check does not wait for it (seconds of imports)."""
        if self.processes > 0:
            process = _context().Process(target=_ready, name="preflight-check-warmup", daemon=True)
            process.start()
            process.join(60)

    def close(self) -> None:
        """Stop the workers still running (the server is shutting down): their runs end as `error`."""
        with self._lock:
            live, threads = list(self._live), self._threads
            self._threads = None
        for process in live:
            process.terminate()
        if threads is not None:
            threads.shutdown(wait=False, cancel_futures=True)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(max_workers=self.processes, thread_name_prefix="check-worker")
            return self._threads

    def _in_worker(self, job: CheckJob) -> PartReport:
        slugs = tuple(spec.slug for spec in job.specs)
        try:
            return self._exchange(job)
        except WorkerDied as exc:
            log.error("A check run for checklist %s lost its worker (%s): %s", job.checklist_id, slugs, exc)
            now = time.monotonic()
            store_results(self.sessions, job, [_worker_died(slug, str(exc)) for slug in slugs], now)
            return PartReport(slugs, False, now, None, (), None, {})

    def _exchange(self, job: CheckJob) -> PartReport:
        context = _context()
        receiver, sender = context.Pipe(duplex=False)
        # QBO's pacing (10 requests a second) is what a run waits for; a part that reads only Finale has time
        # to spare, so it yields to the part that reads QBO.
        niceness = WORKER_NICENESS if job.qbo is not None else FINALE_ONLY_NICENESS
        setup = _WorkerSetup(
            self.sources, self._database_url, _secret_box(), self._log_level, self.instrument, niceness
        )
        process = context.Process(
            target=_worker_main,
            args=(sender, job, setup),
            name=f"preflight-check-{job.checklist_id}-{'qbo' if job.qbo is not None else 'finale'}",
            daemon=True,  # ended with the server, never left behind
        )
        with self._lock:
            process.start()
            self._live.add(process)
        sender.close()  # the worker holds the only sending end: its exit reads as EOF here
        try:
            kind, payload = receiver.recv()
        except EOFError:
            process.join(10)
            raise WorkerDied(_exit_reason(process.exitcode)) from None
        finally:
            receiver.close()
            with self._lock:
                self._live.discard(process)
        # Not joined here: the worker is done with this run and exits by itself (multiprocessing reaps it).
        if kind == "failed":
            raise RuntimeError(f"The check run failed in its worker process:\n{payload}")
        report: PartReport = payload
        return report


def _context() -> ForkServerContext | SpawnContext:
    """Workers are forked from a fork server, never from the server itself: forking a process with running
    threads (the event loop's executors, the scheduler) can copy a lock that some thread holds."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def _secret_box() -> crypto.SecretBox | None:
    try:
        return crypto.get_secret_box()
    except crypto.MissingSecretKeyError:
        return None  # nothing encrypted can be read or stored; the worker says so if it must


def _ready() -> None:
    """The warm-up process: nothing to do but to have started."""


def _worker_main(sender: Connection, job: CheckJob, setup: _WorkerSetup) -> None:
    """A worker process: run one job, send back its outcome (or why it failed) and exit."""
    delivered: list[bool] = []
    try:
        if hasattr(os, "nice"):  # POSIX
            os.nice(setup.niceness)
        # QBO's requests leave from threads that wait for the interpreter while others decode: hand it over
        # often (every 0.5 ms instead of 5), so that a request leaves close to its rate-limit slot.
        sys.setswitchinterval(0.0005)
        configure_logging(setup.log_level, format=LOG_FORMAT, stream=sys.stderr)
        crypto.set_secret_box(setup.secrets)
        sessions = session_factory(setup.database_url)
        share_qbo_pace(sessions)  # the worker's QBO requests keep the pace shared with other replicas

        def deliver(report: PartReport) -> None:
            # At once: the data loaded for the run, and the process, are let go after the server has this.
            sender.send(("done", replace(report, peak_rss_mb=_peak_rss_mb())))
            delivered.append(True)

        try:
            asyncio.run(run_job(job, setup.sources, sessions, instrument=setup.instrument, deliver=deliver))
        finally:
            sessions.kw["bind"].dispose()
    except BaseException:
        if delivered:
            log.warning("A check worker failed after handing over its results", exc_info=True)
        else:
            # Tracebacks name code and messages, never secrets: Preflight's errors are written that way.
            sender.send(("failed", traceback.format_exc()))
    finally:
        sender.close()


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak * (1 if sys.platform == "darwin" else 1024) / 1_000_000, 1)


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"it was stopped by signal {-exitcode} (the server may be short of memory, or shutting down)"
    return f"it exited with code {exitcode} before sending its results"


def _worker_died(slug: str, reason: str) -> CheckResult:
    return CheckResult(
        slug=slug,
        status=Status.ERROR,
        id=outcome_id(slug, "E905"),
        summary=f"Could not check: the check stopped before it finished ({reason}).",
        hint="Run the check again. If it keeps happening, tell whoever runs Preflight. Until then this item "
        "stays open.",
    )


def describe(report: RunReport) -> dict[str, Any]:
    """The run in figures, for the log."""
    spans = report.spans
    loaded, done = last_end(spans, *SOURCES), last_end(spans, "")
    return {
        "checks": sum(len(part.slugs) for part in report.parts),
        "seconds": round(done, 2),
        "sources_s": round(loaded, 2),
        "after_sources_s": round(max(done - loaded, 0.0), 2),
        "checks_cpu_s": round(busy(spans, "check."), 2),
        "workers_peak_rss_mb": [part.peak_rss_mb for part in report.parts if part.peak_rss_mb is not None],
    }
