"""Run checks over freshly loaded data, each one as soon as the data it needs is in.

A full check of a large company lasts as long as QBO's item pages take at 10 requests a second. A check
need not wait for data it does not read: each starts once every need it declares has settled (loaded,
failed or not to be read), on a thread of its own, while the other sources are still being read. The
checks over Finale's data run while QBO pages, and the checks over QBO's items while QBO's last small reads
(ranked last by the QBO client) are under way, so little is left to do after QBO's last answer.

Checks run one at a time, in walkthrough order among those ready together: they are CPU work, so running
them side by side would only make each slower.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from checks.answers import Answers
from checks.registry import CheckSpec, ViewSpec
from checks.results import CheckResult
from checks.snapshot import Need, QboCompany, Snapshot
from checks.sources.loader import FinaleReader, Load, LoadPlan, QboReader, pause_collector, resume_collector
from checks.spans import Span, Spans

log = logging.getLogger(__name__)

_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checks")


@dataclass(frozen=True)
class RunOutcome:
    results: tuple[CheckResult, ...]  # one per spec, in the order the specs were given
    company: QboCompany | None  # CompanyInfo and Preferences, when they were read
    spans: tuple[Span, ...]  # every source read and every check


async def run_checks(
    specs: Sequence[CheckSpec],
    answers: Answers,
    plan: LoadPlan,
    *,
    qbo: QboReader | None,
    finale: FinaleReader | None,
    now: datetime,
    views: Sequence[ViewSpec] = (),
    on_outcome: Callable[[RunOutcome], None] | None = None,
) -> RunOutcome:
    """Load what `plan` needs and run `specs` over it; `plan.needs` must cover what the specs need.

    `on_outcome` is called with the outcome as soon as the last check is done, before the loaded data is let
    go (a worker process hands its results over then, and lets the data go with the process). `views` are
    built as soon as their data is in, ahead of the checks that use them."""
    loop = asyncio.get_running_loop()
    spans = Spans()
    waiting = list(specs)
    running: dict[str, asyncio.Future[CheckResult]] = {}
    unbuilt = list(views)

    def run(spec: CheckSpec, snapshot: Snapshot) -> CheckResult:
        start = time.perf_counter()
        try:
            return spec.run(snapshot, answers)
        finally:
            spans.add(f"check.{spec.slug}", start, time.perf_counter())

    def build(view: ViewSpec, snapshot: Snapshot) -> None:
        start = time.perf_counter()
        try:
            view.build(snapshot)
        except Exception:  # the checks that use it build it again, and report what goes wrong
            log.exception("Building the view %s ahead of its checks failed", view.name)
        finally:
            spans.add(f"view.{view.name}", start, time.perf_counter())

    def start_ready(_settled: Need | None = None, *, all_settled: bool = False) -> None:
        ready = [s for s in waiting if all_settled or s.needs(answers) <= load.settled]
        views_ready = [v for v in unbuilt if v.needs <= load.settled and not v.needs & load.errors.keys()]
        if not ready and not views_ready:
            return
        # One snapshot of what has loaded so far serves every check and view that became ready with it.
        snapshot = load.snapshot()
        for view in views_ready:
            unbuilt.remove(view)
            loop.run_in_executor(_CHECKS, build, view, snapshot)
        for spec in ready:
            waiting.remove(spec)
            running[spec.slug] = loop.run_in_executor(_CHECKS, run, spec, snapshot)

    load = Load(plan, qbo=qbo, finale=finale, now=now, on_settled=start_ready, spans=spans)
    pause_collector()
    try:
        start_ready()
        await load.run()
        # A need outside the plan never settles: such a check runs now and reports what was not loaded.
        start_ready(all_settled=True)
        results = tuple([await running[spec.slug] for spec in specs])
        company = load.values.get("company")
        outcome = RunOutcome(results, company if isinstance(company, QboCompany) else None, spans.all())
        if on_outcome is not None:
            on_outcome(outcome)
        load.values.clear()  # the data goes before the collector resumes, so that it never walks it
    finally:
        resume_collector()
    return outcome
