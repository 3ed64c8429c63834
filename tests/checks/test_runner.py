"""The runner against both simulators over real HTTP: each check runs as soon as the data it needs is in,
over exactly that data, and gives what it would give over the whole snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest

import checks.catalog  # noqa: F401  (registers the ten checks)
from checks.answers import Answers
from checks.registry import registry
from checks.results import CheckResult, Status
from checks.runner import run_checks
from checks.snapshot import Need, Snapshot
from checks.sources.loader import Load, LoadPlan, load_snapshot
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from tests.checks.sources.test_loader import TODAY, finale_reader, qbo_reader

SNAPSHOT_FIELDS = {
    Need.QBO_COMPANY: ("company",),
    Need.QBO_ITEMS: ("items",),
    Need.QBO_ACCOUNTS: ("accounts",),
    Need.QBO_INVENTORY_VALUATION: ("valuation",),
    Need.QBO_ITEM_TRANSACTIONS: ("item_transactions",),
    Need.QBO_INVENTORY_BALANCE: ("inventory_balance", "inventory_balance_date"),
    Need.QBO_ADJUSTMENTS: ("adjustments",),
    Need.QBO_WRITE_OFF_VALUATION: ("write_off_valuation",),
    Need.QBO_JOURNAL_ENTRIES: ("journal_entries",),
    Need.FINALE_PRODUCTS: ("products",),
    Need.FINALE_STOCK: ("stock",),
    Need.FINALE_SALES_ORDERS: ("sales_orders",),
    Need.FINALE_AVERAGE_COST: ("average_costs",),
    Need.FINALE_INVENTORY_VALUE: ("finale_inventory_value",),
}


def answers_for(rt: SandboxRuntime) -> Answers:
    enable = rt.company.planted["enable_date"]
    assert isinstance(enable, date)
    return Answers(today=TODAY, enable_date=enable, enable_date_decided=True, revenue_pushed=True)


def plan_for(answers: Answers) -> LoadPlan:
    return LoadPlan(registry.needs(registry.all(), answers), answers.today, answers.enable_date, True)


@pytest.fixture(scope="module")
def shared() -> Iterator[SandboxRuntime]:
    with SandboxRuntime(demo_company(TODAY)) as rt:
        yield rt


def comparable(result: CheckResult) -> tuple[object, ...]:
    return (result.slug, result.status, result.summary, result.hint, result.findings, dict(result.amounts))


def only(snapshot: Snapshot, needs: frozenset[Need]) -> Snapshot:
    """The snapshot with the data outside `needs` taken away."""
    keep = {"fetched_at", "enable_date", "errors", "memo"} | {f for n in needs for f in SNAPSHOT_FIELDS[n]}
    return Snapshot(**{f.name: getattr(snapshot, f.name) for f in fields(Snapshot) if f.name in keep})


async def test_every_check_reads_only_the_data_it_declares(shared: SandboxRuntime) -> None:
    # What makes running a check early safe: over its own needs alone it says what it says over everything.
    answers = answers_for(shared)
    async with finale_reader(shared) as finale:
        snapshot = await load_snapshot(plan_for(answers), qbo=qbo_reader(shared), finale=finale, now=datetime.now(UTC))
    assert snapshot.errors == {}
    for spec in registry.all():
        alone = spec.run(only(snapshot, spec.needs(answers)), answers)
        assert comparable(alone) == comparable(spec.run(snapshot, answers)), spec.slug


async def test_the_runner_gives_what_a_whole_snapshot_gives(shared: SandboxRuntime) -> None:
    answers = answers_for(shared)
    specs = registry.all()
    now = datetime.now(UTC)
    async with finale_reader(shared) as finale:
        snapshot = await load_snapshot(plan_for(answers), qbo=qbo_reader(shared), finale=finale, now=now)
    async with finale_reader(shared) as finale:
        outcome = await run_checks(
            specs, answers, plan_for(answers), qbo=qbo_reader(shared), finale=finale, now=now,
            views=registry.views_for(specs),
        )  # fmt: skip
    assert [r.slug for r in outcome.results] == [s.slug for s in specs]
    assert [comparable(r) for r in outcome.results] == [comparable(s.run(snapshot, answers)) for s in specs]
    assert outcome.company is not None and outcome.company.realm_id == shared.realm_id
    names = {span.name for span in outcome.spans}
    assert {f"check.{s.slug}" for s in specs} <= names and "qbo.items" in names and "finale.products" in names


async def test_a_check_runs_as_soon_as_its_data_is_in() -> None:
    # QBO answers slowly, Finale quickly: the checks over Finale alone are done before QBO's reads end.
    with SandboxRuntime(demo_company(TODAY), qbo_latency=0.3, finale_latency=0.0) as rt:
        answers = answers_for(rt)
        specs = registry.all()
        async with finale_reader(rt) as finale:
            outcome = await run_checks(
                specs, answers, plan_for(answers), qbo=qbo_reader(rt), finale=finale, now=datetime.now(UTC),
                views=registry.views_for(specs),
            )  # fmt: skip
    span = {s.name: s for s in outcome.spans}
    qbo_end = max(s.end_s for s in outcome.spans if s.name.startswith("qbo."))
    for slug in ("average-cost", "negative-qoh", "revenue-invoices"):
        assert span[f"check.{slug}"].end_s < qbo_end, slug
    assert span["check.deactivation"].start_s >= span["qbo.items"].end_s
    # The product index was built once products were in, before any check that uses it started.
    index = span["view.products_by_key"]
    assert index.start_s >= span["finale.products"].end_s
    assert index.end_s <= min(span[f"check.{s}"].start_s for s in ("inventory-items", "deactivation", "other-apps"))


async def test_a_need_left_out_of_the_plan_is_reported_not_loaded(shared: SandboxRuntime) -> None:
    answers = answers_for(shared)
    spec = registry.get("negative-qoh")
    plan = LoadPlan(frozenset({Need.FINALE_PRODUCTS}), answers.today, answers.enable_date, True)  # no stock
    async with finale_reader(shared) as finale:
        outcome = await run_checks([spec], answers, plan, qbo=None, finale=finale, now=datetime.now(UTC))
    (result,) = outcome.results
    assert result.status is Status.ERROR and "finale_stock" in result.summary


async def test_the_outcome_is_handed_over_before_the_data_is_let_go(shared: SandboxRuntime) -> None:
    answers = answers_for(shared)
    handed: list[int] = []
    async with finale_reader(shared) as finale:
        outcome = await run_checks(
            registry.all(), answers, plan_for(answers), qbo=qbo_reader(shared), finale=finale,
            now=datetime.now(UTC), on_outcome=lambda o: handed.append(len(o.results)),
        )  # fmt: skip
    assert handed == [len(outcome.results)] == [10]


async def test_each_need_settles_once_loaded_failed_or_not_read(shared: SandboxRuntime) -> None:
    settled: list[Need] = []
    plan = LoadPlan(
        frozenset({Need.QBO_COMPANY, Need.FINALE_PRODUCTS, Need.QBO_INVENTORY_BALANCE}), TODAY, None, True
    )  # no enable date: no D-1 balance to read
    load = Load(plan, qbo=qbo_reader(shared), finale=None, now=datetime.now(UTC), on_settled=settled.append)
    assert load.settled == {Need.FINALE_PRODUCTS, Need.QBO_INVENTORY_BALANCE}  # nothing to read for them
    await load.run()
    assert settled == [Need.QBO_COMPANY] and load.settled == plan.needs
    assert set(load.errors) == {Need.FINALE_PRODUCTS}
    snapshot = load.snapshot()
    assert snapshot.company is not None and snapshot.inventory_balance is None
