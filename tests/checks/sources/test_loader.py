"""The Snapshot loader against both simulators over real HTTP: only what is needed, in parallel, and a
failed source reported for exactly the needs it served."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from checks.snapshot import Need
from checks.sources.finale import FinaleSource
from checks.sources.loader import NOT_CONNECTED, LoadPlan, load_snapshot
from checks.sources.qbo import QboConfig, QboSource, QboTokens
from sandbox.company import SandboxCompany
from sandbox.generate import demo_company
from sandbox.runtime import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxRuntime

TODAY = date.today()


def qbo_reader(rt: SandboxRuntime, saved: list[QboTokens] | None = None) -> QboSource:
    access, refresh, expires = rt.qbo_tokens()
    config = QboConfig(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        redirect_uri="http://127.0.0.1:3000/qbo/callback",
        realm_id=rt.realm_id,
        environment=rt.qbo_discovery_url,
        api_base=rt.qbo_api_base,
        requests_per_second=10_000,
        requests_per_minute=1_000_000,
        backoff_base=0.001,
        backoff_max=0.01,
    )
    return QboSource(config, QboTokens(access, refresh, expires), saved.append if saved is not None else None)


@asynccontextmanager
async def finale_reader(rt: SandboxRuntime, secret: str | None = None) -> AsyncIterator[FinaleSource]:
    a = rt.finale_access()
    async with FinaleSource(
        a.base_url,
        a.account,
        a.api_key,
        secret or a.api_secret,
        average_cost_report_url=a.report_urls["average_cost"],
        inventory_value_report_url=a.report_urls["inventory_value"],
        backoff=0.001,
    ) as source:
        yield source


def plan(needs: frozenset[Need], company: SandboxCompany, *, dated: bool = True) -> LoadPlan:
    enable = company.planted["enable_date"] if dated else None
    assert enable is None or isinstance(enable, date)
    return LoadPlan(needs=needs, today=TODAY, enable_date=enable, enable_date_decided=dated)


@pytest.fixture(scope="module")
def shared() -> Iterator[SandboxRuntime]:
    """One company for the read-only tests of this module; counters are reset by `runtime`."""
    with SandboxRuntime(demo_company(TODAY)) as rt:
        yield rt


@pytest.fixture
def runtime(shared: SandboxRuntime) -> SandboxRuntime:
    shared.qbo_state.reset_counters()
    shared.finale_state.reset_counts()
    shared.finale_state.clear_faults()
    return shared


def qbo_paths(rt: SandboxRuntime) -> dict[str, int]:
    prefix = f"/v3/company/{rt.realm_id}/"
    return {path.removeprefix(prefix): n for path, n in rt.qbo_state.requests.items()}


async def load(rt: SandboxRuntime, needs: frozenset[Need], **kw: Any) -> Any:
    async with finale_reader(rt) as finale:
        return await load_snapshot(
            plan(needs, rt.company, **kw), qbo=qbo_reader(rt), finale=finale, now=datetime.now(UTC)
        )


async def test_only_the_requested_needs_are_fetched(runtime: SandboxRuntime) -> None:
    rt = runtime
    snapshot = await load(rt, frozenset({Need.QBO_COMPANY}))
    assert snapshot.company is not None and snapshot.company.book_close_date == rt.company.planted["book_close_date"]
    assert sorted(qbo_paths(rt)) == [f"companyinfo/{rt.realm_id}", "preferences"]
    assert rt.finale_state.request_count() == 0
    assert snapshot.items is None and snapshot.products is None and snapshot.errors == {}

    rt.qbo_state.reset_counters()
    snapshot = await load(rt, frozenset({Need.FINALE_STOCK}))
    assert rt.qbo_state.requests == {}
    assert snapshot.stock and snapshot.products is None
    assert rt.finale_state.request_count() == rt.finale_state.request_count(
        "inventoryitem"
    ) + rt.finale_state.request_count("facility")
    assert rt.finale_state.request_count("product") == 0

    rt.finale_state.reset_counts()
    snapshot = await load(rt, frozenset({Need.QBO_INVENTORY_BALANCE, Need.FINALE_INVENTORY_VALUE}))
    d1 = rt.company.planted["enable_date"] - timedelta(days=1)
    assert snapshot.inventory_balance_date == d1
    assert sum(snapshot.inventory_balance.values()) == rt.company.planted["qbo_inventory_balance_d1"]
    assert snapshot.finale_inventory_value == rt.company.planted["finale_inventory_value_d1"]
    assert "reports/BalanceSheet" in qbo_paths(rt) and set(qbo_paths(rt)) <= {"reports/BalanceSheet", "query"}
    assert rt.finale_state.request_count() == 1


async def test_without_an_enable_date_nothing_dated_is_fetched(runtime: SandboxRuntime) -> None:
    rt = runtime
    # Inventory adjustments are not a dated read: QBO cannot filter them by date, and every write-off counts.
    needs = frozenset({Need.QBO_INVENTORY_BALANCE, Need.QBO_JOURNAL_ENTRIES, Need.FINALE_INVENTORY_VALUE})
    snapshot = await load(rt, needs, dated=False)
    assert rt.qbo_state.requests == {} and rt.finale_state.request_count() == 0
    assert snapshot.inventory_balance is None and snapshot.journal_entries is None and snapshot.errors == {}


async def test_every_need_loads_and_qbo_and_finale_run_in_parallel() -> None:
    company = demo_company(TODAY)
    needs_q = frozenset({Need.QBO_COMPANY})
    needs_f = frozenset({Need.FINALE_PRODUCTS})
    with SandboxRuntime(company, qbo_latency=0.25, finale_latency=0.25) as rt:

        async def timed(needs: frozenset[Need]) -> float:
            started = time.perf_counter()
            snapshot = await load(rt, needs)
            assert snapshot.errors == {}
            return time.perf_counter() - started

        alone_q, alone_f = await timed(needs_q), await timed(needs_f)
        ticks = 0

        async def ticker() -> None:  # the event loop stays free while QBO's sync client waits in a thread
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        task = asyncio.create_task(ticker())
        both = await timed(needs_q | needs_f)
        task.cancel()
    assert both < alone_q + alone_f - 0.15, (alone_q, alone_f, both)
    assert ticks >= 5


async def test_a_full_load_fills_every_field(runtime: SandboxRuntime) -> None:
    snapshot = await load(runtime, frozenset(Need))
    assert snapshot.errors == {}
    for name in (
        "company",
        "items",
        "accounts",
        "valuation",
        "item_transactions",
        "inventory_balance",
        "adjustments",
        "products",
        "stock",
        "sales_orders",
        "average_costs",
        "finale_inventory_value",
    ):
        assert getattr(snapshot, name) is not None, name


async def test_a_failed_source_is_an_error_for_exactly_the_needs_it_served(runtime: SandboxRuntime) -> None:
    rt = runtime
    rt.finale_state.inject_500(50, path_contains="inventoryitem")
    needs = frozenset({Need.FINALE_STOCK, Need.FINALE_PRODUCTS, Need.QBO_ITEMS})
    snapshot = await load(rt, needs)
    assert set(snapshot.errors) == {Need.FINALE_STOCK}
    error = snapshot.errors[Need.FINALE_STOCK]
    assert error.auth is False and "Finale" in error.message
    assert snapshot.products and snapshot.items and snapshot.stock is None


async def test_rejected_credentials_are_marked_auth(runtime: SandboxRuntime) -> None:
    rt = runtime
    qbo = qbo_reader(rt)
    assert qbo._tokens is not None
    rt.qbo_state.revoke_refresh_token(qbo._tokens.refresh_token)
    rt.qbo_state.expire_access_tokens()
    async with finale_reader(rt) as finale:
        snapshot = await load_snapshot(
            plan(frozenset({Need.QBO_COMPANY, Need.QBO_ITEMS, Need.FINALE_PRODUCTS}), rt.company),
            qbo=qbo,
            finale=finale,
            now=datetime.now(UTC),
        )
    assert set(snapshot.errors) == {Need.QBO_COMPANY, Need.QBO_ITEMS}
    assert all(e.auth and "connect qbo" in e.message for e in snapshot.errors.values())
    assert snapshot.products

    secret = "not-the-secret-7d1e"
    async with finale_reader(rt, secret=secret) as finale:
        snapshot = await load_snapshot(
            plan(frozenset({Need.FINALE_PRODUCTS, Need.FINALE_STOCK}), rt.company),
            qbo=None,
            finale=finale,
            now=datetime.now(UTC),
        )
    assert set(snapshot.errors) == {Need.FINALE_PRODUCTS, Need.FINALE_STOCK}
    assert all(e.auth and secret not in e.message for e in snapshot.errors.values())


async def test_sources_that_are_not_connected() -> None:
    company = demo_company(TODAY)
    needs = frozenset({Need.QBO_COMPANY, Need.QBO_ACCOUNTS, Need.FINALE_STOCK})
    snapshot = await load_snapshot(plan(needs, company), qbo=None, finale=None, now=datetime.now(UTC))
    assert {n: e.message for n, e in snapshot.errors.items()} == {
        Need.QBO_COMPANY: NOT_CONNECTED["qbo"],
        Need.QBO_ACCOUNTS: NOT_CONNECTED["qbo"],
        Need.FINALE_STOCK: NOT_CONNECTED["finale"],
    }
    assert not any(e.auth for e in snapshot.errors.values())
    assert snapshot.company is None and snapshot.stock is None


async def test_each_write_off_is_valued_from_the_report_as_of_the_day_before() -> None:
    with SandboxRuntime(demo_company(TODAY)) as rt:
        await _valued_the_day_before(rt)


async def _valued_the_day_before(rt: SandboxRuntime) -> None:
    rt.fix("deactivate")  # QBO writes the stock off today, one inventory adjustment per item
    today = datetime.now(rt.company.qbo.tz).date()
    needs = frozenset({Need.QBO_COMPANY, Need.QBO_ITEMS, Need.QBO_ADJUSTMENTS, Need.QBO_WRITE_OFF_VALUATION})
    rt.qbo_state.reset_counters()
    snapshot = await load(rt, needs)
    assert snapshot.errors == {}
    assert snapshot.write_off_valuation is not None and set(snapshot.write_off_valuation) == {today - timedelta(days=1)}
    lines = {v.item_id: v.asset_value for v in snapshot.write_off_valuation[today - timedelta(days=1)]}
    for row in rt.planted_list("items_to_deactivate"):
        if row["asset_value"]:
            assert lines[str(row["id"])] == row["asset_value"]
    # The adjustments are read whole (QBO refuses a TxnDate filter on them), the report once for that day.
    assert sum(n for path, n in rt.qbo_state.requests.items() if path.endswith("InventoryValuationSummary")) == 1


async def test_a_write_off_valuation_without_the_items_says_why(runtime: SandboxRuntime) -> None:
    rt = runtime
    needs = frozenset({Need.QBO_ADJUSTMENTS, Need.QBO_WRITE_OFF_VALUATION})  # no items: nothing to tell inactive
    snapshot = await load(rt, needs)
    assert Need.QBO_WRITE_OFF_VALUATION in snapshot.errors
    assert "could not be valued" in snapshot.errors[Need.QBO_WRITE_OFF_VALUATION].message
