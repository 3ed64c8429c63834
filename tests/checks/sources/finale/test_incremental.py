"""Incremental Finale reads equal full reads after any sequence of changes, in lastUpdatedDate windows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.sources.cache import MemoryPieces
from checks.sources.finale.incremental import IncrementalFinale
from sandbox.company import FinaleInvoiceRec, FinaleOrderRec, FinaleProductRec
from tests.checks.sources.finale.support import Running, run
from tests.sandbox.finale.accounts import small_account

SINCE = date(2024, 1, 1)
OPS = st.one_of(
    st.tuples(st.just("product"), st.integers(0, 9)),
    st.tuples(st.just("rename"), st.integers(0, 9)),
    st.tuples(st.just("deactivate"), st.integers(0, 9)),
    st.tuples(st.just("order"), st.integers(-30, 400)),
    st.tuples(st.just("invoice"), st.integers(0, 9)),
    st.tuples(st.just("cancel"), st.integers(0, 9)),
    st.tuples(st.just("backdate"), st.integers(0, 9)),
    st.tuples(st.just("reconnect")),
    st.tuples(st.just("jump"), st.integers(29, 40)),
    st.tuples(st.just("nothing")),
)


@pytest.fixture
def sim() -> Iterator[Running]:
    yield from run(small_account())


class World:
    def __init__(self, sim: Running) -> None:
        self.sim, self.store, self.epoch = sim, MemoryPieces(), 0
        self.offset = timedelta(0)  # how far both clocks have jumped

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def stamp(self) -> datetime:
        return self.now().replace(tzinfo=None, microsecond=0)

    def apply(self, op: tuple[Any, ...]) -> None:
        account, kind = self.sim.account, op[0]
        if kind == "product":
            pid = f"NEW-{len(account.products)}"
            account.products.append(FinaleProductRec(pid, pid, last_updated=self.stamp()))
        elif kind in ("rename", "deactivate"):
            product = account.products[op[1] % len(account.products)]
            if kind == "rename":
                product.internal_name += "+"
            else:
                product.active = not product.active
            product.last_updated = self.stamp()
        elif kind == "order":
            oid = f"SO-N{len(account.orders)}"
            day = datetime.combine(SINCE, datetime.min.time()) + timedelta(days=op[1])
            account.orders.append(
                FinaleOrderRec(oid, "SALES_ORDER", "ORDER_COMPLETED", day, "Shopify", last_updated=self.stamp())
            )
        elif kind in ("invoice", "backdate"):
            sales = [o for o in account.orders if o.order_type == "SALES_ORDER"]
            order = sales[op[1] % len(sales)]
            if kind == "invoice":
                iid = f"INV-N{len(account.invoices)}"
                account.invoices.append(
                    FinaleInvoiceRec(iid, order.order_id, order.order_date, last_updated=self.stamp())
                )
                order.invoice_ids.append(iid)
            else:
                order.order_date -= timedelta(days=40)
            order.last_updated = self.stamp()
        elif kind == "cancel":
            if account.invoices:
                invoice = account.invoices[op[1] % len(account.invoices)]
                invoice.status = "INVOICE_CANCELLED"
                invoice.last_updated = self.stamp()
        elif kind == "reconnect":
            self.epoch += 1
        elif kind == "jump":
            self.offset += timedelta(days=op[1])

    async def reads(self, reader: Any) -> dict[str, Any]:
        return {"products": await reader.products(), "orders": await reader.sales_orders(SINCE)}

    async def incremental(self) -> tuple[IncrementalFinale, dict[str, Any]]:
        async with self.sim.source() as source:
            reader = IncrementalFinale(source, self.store, epoch=f"acct@{self.epoch}", now=self.now())
            return reader, await self.reads(reader)

    async def full(self) -> dict[str, Any]:
        async with self.sim.source() as source:
            return await self.reads(source)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=6))
def test_incremental_reads_equal_full_reads_after_any_changes(sim: Running, ops: list[tuple[Any, ...]]) -> None:
    sim.account.products[:] = small_account().products
    sim.account.orders[:] = small_account().orders
    sim.account.invoices[:] = small_account().invoices
    world = World(sim)

    async def scenario() -> None:
        await world.incremental()
        for op in ops:
            world.apply(op)
            reader, incremental = await world.incremental()
            assert incremental == await world.full(), f"after {op}: {reader.full_reads}"

    asyncio.run(scenario())


async def test_an_unchanged_recheck_reads_one_window_per_collection(sim: Running) -> None:
    world = World(sim)
    await world.incremental()
    sim.state.reset_counts()
    reader, got = await world.incremental()
    assert reader.full_reads == []
    assert got == await world.full()
    assert sim.state.request_count("/api/product/") == 1 + 1  # the window, then the full read to compare
    assert sim.state.request_count("/api/order/") == 1 + 1
    assert sim.state.request_count("/api/invoice/") == 1 + 1


async def test_a_reconnect_or_a_long_pause_reads_in_full(sim: Running) -> None:
    world = World(sim)
    await world.incremental()
    world.apply(("reconnect",))
    reader, _ = await world.incremental()
    assert any("another connection" in r for r in reader.full_reads)
    world.apply(("jump", 29))
    reader, got = await world.incremental()
    assert any("too long ago" in r for r in reader.full_reads)
    assert got == await world.full()
