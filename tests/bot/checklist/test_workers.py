"""Check runs in worker processes, against the simulators over real HTTP: the same results as in the server's
own process, a run split by source, a worker that dies or fails, and a database workers cannot share."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.checklist.service import ChecklistService
from bot.checklist.views import ScopeKey
from bot.checklist.workers import CheckJob, CheckWorkers, RunReport, split_by_source
from bot.demo import connect_sandbox
from bot.sources import LiveSources
from checks.answers import Answers
from checks.registry import CheckRegistry, Kind
from checks.registry import registry as default_registry
from checks.results import CheckResult, Status
from checks.snapshot import Need, Snapshot
from checks.sources.loader import LoadPlan
from storage import models as db
from storage.db import session_factory
from tests.bot.harness import FAST_QBO, OWNER, SCOPE, Harness

FINALE_ONLY = ["average-cost", "negative-qoh", "revenue-invoices"]


def workers(h: Harness, processes: int) -> CheckWorkers:
    return CheckWorkers(
        sources=h.service.sources, sessions=h.sessions, settings=h.settings, processes=processes
    )  # fmt: skip


def comparable(result: CheckResult) -> tuple[object, ...]:
    return (result.slug, result.status, result.summary, result.findings, dict(result.amounts), result.ack_key)


async def run(h: Harness, processes: int) -> tuple[dict[str, CheckResult], RunReport]:
    reports: list[RunReport] = []
    h.service.workers = workers(h, processes)
    h.service.on_run(reports.append)
    status = await h.service.run_checks(h.checklist_id, OWNER)
    (report,) = reports  # this run's, the one listener added for it
    return dict(status.results), report


def finale_only(h: Harness) -> list[str]:
    """The checks that read only Finale, with the answers given so far."""
    given = h.service._run_inputs(h.checklist_id)[1]
    return [
        s.slug for s in default_registry.all() if s.needs(given) and all(n.source == "Finale" for n in s.needs(given))
    ]


async def test_workers_give_what_the_server_process_gives(harness: Harness) -> None:
    h = harness
    await h.start_connected()
    h.service.set_revenue(h.checklist_id, OWNER, True)
    await h.service.set_enable_date(h.checklist_id, OWNER, h.enable_date)
    here, here_report = await run(h, 0)
    there, there_report = await run(h, 2)
    assert {slug: comparable(r) for slug, r in there.items()} == {slug: comparable(r) for slug, r in here.items()}
    assert here_report.in_process and not there_report.in_process
    # Split by source: the checks over Finale alone ran in a worker of their own.
    parts = there_report.parts
    assert list(parts[1].slugs) == finale_only(h) == FINALE_ONLY
    assert all(p.peak_rss_mb is not None and p.peak_rss_mb > 0 for p in parts)
    # Each worker stored its own results, under the one run the server opened and then closed.
    with h.sessions() as session:
        row = session.get(db.CheckRun, there_report.run_id)
        assert row is not None and row.finished_at is not None and len(row.slugs) == 10
        stored = session.scalars(select(db.CheckResultRecord).where(db.CheckResultRecord.run_id == row.id)).all()
        assert sorted(r.slug for r in stored) == sorted(row.slugs)
    assert here["deactivation"].status is Status.FAIL and there["deactivation"].findings


async def test_one_process_runs_the_whole_job(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    await h.start_connected()
    _, report = await run(h, 1)
    assert [len(p.slugs) for p in report.parts] == [10]


def job(answers: Answers, specs: list[str]) -> CheckJob:
    chosen = [default_registry.get(s) for s in specs]
    plan = LoadPlan(default_registry.needs(chosen, answers), answers.today, None, True)
    views = default_registry.views_for(chosen)
    return CheckJob(1, 1, tuple(chosen), answers, plan, datetime.now(UTC), time.monotonic(), None, None, views)


def test_a_job_splits_into_the_checks_over_finale_alone_and_the_rest() -> None:
    answers = Answers(today=date.today(), enable_date_decided=True, revenue_pushed=True)
    rest, finale = split_by_source(job(answers, default_registry.slugs()))
    assert [s.slug for s in finale.specs] == FINALE_ONLY
    assert finale.plan.needs == {
        Need.FINALE_PRODUCTS,
        Need.FINALE_STOCK,
        Need.FINALE_SALES_ORDERS,
        Need.FINALE_AVERAGE_COST,
    }
    assert finale.qbo is None and finale.views == ()  # no check of its own uses the product indexes
    assert [s.slug for s in rest.specs] == [s for s in default_registry.slugs() if s not in FINALE_ONLY]
    assert Need.FINALE_PRODUCTS in rest.plan.needs and Need.FINALE_STOCK not in rest.plan.needs
    assert {v.name for v in rest.views} == {"products_by_key", "products_by_loose_key"}
    # All on one side: nothing to split.
    assert len(split_by_source(job(answers, ["negative-qoh"]))) == 1
    assert len(split_by_source(job(answers, ["deactivation", "backup"]))) == 1


async def test_a_worker_that_dies_leaves_errors_that_say_so(harness: Harness) -> None:
    h = harness
    await h.start_connected()
    h.service.workers = workers(h, 2)
    h.runtime.qbo_state.latency = 0.5  # slow enough to be stopped halfway
    task = asyncio.create_task(h.service.run_checks(h.checklist_id, OWNER))
    deadline = time.monotonic() + 20
    while len(h.service.workers._live) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    qbo_part = next(p for p in h.service.workers._live if (p.name or "").endswith("-qbo"))
    qbo_part.kill()  # what the kernel's out-of-memory killer does
    status = await task
    h.runtime.qbo_state.latency = 0.0
    stopped = [slug for slug, r in status.results.items() if "stopped before it finished" in r.summary]
    # Exactly the checks of the killed worker, as errors that say why; the other worker's are unaffected.
    assert set(stopped) == set(default_registry.slugs()) - set(finale_only(h))
    for slug in stopped:
        result = status.results[slug]
        assert result.status is Status.ERROR and not result.cleared and "signal 9" in result.summary
    # A new run, in new workers, works again.
    again = await h.service.run_checks(h.checklist_id, OWNER)
    assert not any("stopped before it finished" in r.summary for r in again.results.values())


def broken_check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    raise ZeroDivisionError("a bug in a check")


async def test_a_check_that_fails_in_a_worker_fails_the_run_with_its_traceback(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    await h.start_connected()
    broken = CheckRegistry()
    broken.register(slug="broken", title="Broken", kind=Kind.AUTOMATIC, order=1, why="A bug.", needs=())(broken_check)
    service = ChecklistService(
        h.sessions, h.settings, LiveSources(h.settings, qbo_overrides=FAST_QBO), registry=broken
    )  # fmt: skip
    service.workers = workers(h, 2)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in a check"):
        await service.run_checks(h.checklist_id, OWNER)


def test_an_in_memory_database_keeps_checks_in_this_process(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    memory = CheckWorkers(
        sources=h.service.sources, sessions=session_factory("sqlite://"), settings=h.settings, processes=2
    )
    assert memory.processes == 0 and workers(h, 2).processes == 2


async def test_two_checklists_on_the_same_books_take_turns(sqlite_harness: Harness) -> None:
    # Each worker paces only its own QBO requests: two runs against one company at once would ask QBO for
    # twice its 10 a second.
    h = sqlite_harness
    first = await h.start_connected()
    other_scope = ScopeKey(SCOPE.platform, SCOPE.workspace_id, "C-other-channel", SCOPE.workspace_name)
    second, _ = h.service.start(other_scope, OWNER, "Acme again")
    await connect_sandbox(h.service, second, OWNER, h.runtime)
    h.service.workers = workers(h, 2)
    h.runtime.qbo_state.latency = 0.05  # long enough for two runs at once to overlap
    await asyncio.gather(h.service.run_checks(first.id, OWNER), h.service.run_checks(second.id, OWNER))
    h.runtime.qbo_state.latency = 0.0
    with h.sessions() as session:
        runs = session.scalars(select(db.CheckRun).order_by(db.CheckRun.started_at)).all()
        spans = [(r.started_at, r.finished_at) for r in runs[-2:]]
    assert {r.checklist_id for r in runs[-2:]} == {first.id, second.id}
    (a_start, a_end), (b_start, b_end) = spans
    assert a_end is not None and b_end is not None and a_end <= b_start
