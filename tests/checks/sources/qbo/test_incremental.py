"""Incremental QBO reads equal full reads, item for item and to the cent, after any sequence of changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.catalog._moves import valuation_days
from checks.snapshot import Need
from checks.sources.cache import MemoryPieces
from checks.sources.qbo.incremental import IncrementalQbo
from sandbox.company import Posting, QboItemRec, QboJournalEntryRec, QboTxnLine, QboTxnRec
from tests.checks.sources.qbo.support import make_source
from tests.sandbox.qbo.companies import Sandbox, serve, small_company

ALL = frozenset(Need)
ENABLE = date(2024, 3, 1)

OPS = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 3)),
    st.tuples(st.just("rename"), st.integers(0, 20)),
    st.tuples(st.just("deactivate"), st.integers(0, 20)),
    st.tuples(st.just("cost"), st.integers(0, 20), st.integers(1, 5000)),
    st.tuples(st.just("stock"), st.integers(0, 20), st.integers(-5, 5)),
    st.tuples(st.just("invoice"), st.integers(0, 20), st.integers(-400, 10)),
    # an item deactivated and written off on a back-dated day (read again as of the day before)
    st.tuples(st.just("write_off"), st.integers(0, 20), st.integers(-60, 20), st.integers(1, 5)),
    st.tuples(st.just("journal"), st.integers(-30, 900), st.integers(1, 99999)),
    st.tuples(st.just("reconnect")),
    st.tuples(st.just("jump"), st.integers(31, 45)),
    st.tuples(st.just("nothing")),
)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with serve() as sb:
        yield sb


@dataclass
class World:
    sb: Sandbox
    store: MemoryPieces = field(default_factory=MemoryPieces)
    epoch: int = 0

    @property
    def company(self) -> Any:
        return self.sb.company

    def now(self) -> Any:
        return self.company.now()

    def item(self, n: int) -> QboItemRec:
        items = self.company.items
        return items[n % len(items)]

    def touch(self, item: QboItemRec) -> None:
        item.update_time = self.now()
        item.sync_token += 1

    def apply(self, op: tuple[Any, ...]) -> None:
        company, now = self.company, self.now()
        kind = op[0]
        if kind == "create":
            new_id = company.next_id()
            company.items.append(
                QboItemRec(
                    new_id,
                    f"New {new_id}",
                    "Inventory" if op[1] % 2 == 0 else "Service",
                    qty_on_hand=Decimal(op[1]),
                    purchase_cost=Decimal("1.25"),
                    asset_account_id="81",
                    create_time=now,
                    update_time=now,
                )
            )
        elif kind == "rename":
            item = self.item(op[1])
            item.name = f"{item.name} v{item.sync_token + 1}"
            self.touch(item)
        elif kind == "deactivate":
            item = self.item(op[1])
            item.active = not item.active
            self.touch(item)
        elif kind == "cost":
            item = self.item(op[1])
            item.purchase_cost = Decimal(op[2]) / 100
            self.touch(item)
        elif kind == "stock":
            item = self.item(op[1])
            if item.type != "Inventory":
                return
            diff = Decimal(op[2])
            item.qty_on_hand = (item.qty_on_hand or Decimal(0)) + diff
            self.touch(item)
            value = (diff * item.purchase_cost).quantize(Decimal("0.01"))
            day = now.date()
            company.transactions.append(
                QboTxnRec(
                    "InventoryAdjustment",
                    company.next_id(),
                    day,
                    lines=[QboTxnLine(item.id, diff, value)],
                    adjust_account_id="91",
                    update_time=now,
                )
            )
            company.ledger += [Posting(day, "81", value), Posting(day, "91", -value)]
        elif kind == "write_off":
            item = self.item(op[1])
            if item.type != "Inventory":
                return
            day = ENABLE + timedelta(days=op[2])
            diff = -Decimal(op[3])
            item.active = False
            item.qty_on_hand = (item.qty_on_hand or Decimal(0)) + diff
            self.touch(item)
            value = (diff * item.purchase_cost).quantize(Decimal("0.01"))
            company.transactions.append(
                QboTxnRec(
                    "InventoryAdjustment",
                    company.next_id(),
                    day,
                    lines=[QboTxnLine(item.id, diff, value)],
                    adjust_account_id="91",
                    update_time=now,
                )
            )
            company.ledger += [Posting(day, "81", value), Posting(day, "91", -value)]
        elif kind == "invoice":
            item = self.item(op[1])
            day = ENABLE + timedelta(days=op[2])
            company.transactions.append(
                QboTxnRec(
                    "Invoice",
                    company.next_id(),
                    day,
                    f"INV-{len(company.transactions)}",
                    [QboTxnLine(item.id, Decimal(1), Decimal("15"))],
                    update_time=now,
                )
            )
        elif kind == "journal":
            day = ENABLE - timedelta(days=op[1])  # back-dated, often before D-1
            amount = Decimal(op[2]) / 100
            lines = [Posting(day, "81", amount, "count"), Posting(day, "34", -amount, "count")]
            company.journal_entries.append(QboJournalEntryRec(company.next_id(), day, lines, update_time=now))
            company.ledger += lines
        elif kind == "reconnect":
            self.epoch += 1
        elif kind == "jump":
            company.clock_offset += timedelta(days=op[1])

    def incremental(self) -> tuple[IncrementalQbo, Any]:
        source = make_source(self.sb)
        reader = IncrementalQbo(source, self.store, epoch=f"realm@{self.epoch}", now=self.now(), needs=ALL)
        return reader, source

    def reads(self, reader: Any) -> dict[str, Any]:
        today = self.now().date()
        items, adjustments = reader.items(), reader.adjustments()
        days = valuation_days(items, adjustments, self.company.book_close_date)  # as the loader asks them
        return {
            "items": items,
            "accounts": reader.accounts(),
            "txns": reader.item_transactions(ENABLE),
            "adjustments": adjustments,
            "adjustments_since": reader.adjustments(ENABLE),
            "journal_entries": reader.journal_entries(ENABLE - timedelta(days=1)),
            "valuation": reader.inventory_valuation(today),
            "write_off_valuation": {day: reader.inventory_valuation(day) for day in days},
            "balance": reader.inventory_balance(ENABLE - timedelta(days=1)),
        }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=6))
def test_incremental_reads_equal_full_reads_after_any_changes(sandbox: Sandbox, ops: list[tuple[Any, ...]]) -> None:
    sandbox.state.add_company(small_company(sandbox.realm_id))
    world = World(sandbox)
    first, _ = world.incremental()
    world.reads(first)  # the first read is a full one and keeps every piece
    for op in ops:
        world.apply(op)
        reader, _ = world.incremental()
        incremental = world.reads(reader)
        full = world.reads(make_source(sandbox))
        assert incremental == full, f"after {op}: {reader.full_reads}"


def test_an_unchanged_recheck_asks_cdc_once_and_reads_nothing_else(sandbox: Sandbox) -> None:
    world = World(sandbox)
    world.reads(world.incremental()[0])
    sandbox.state.reset_counters()
    reader, _ = world.incremental()
    world.reads(reader)
    assert reader.full_reads == []
    assert sum(sandbox.state.requests.values()) == 1
    assert list(sandbox.state.requests) == [f"/v3/company/{sandbox.realm_id}/cdc"]


def test_item_changes_are_merged_and_only_the_reports_are_read_again(sandbox: Sandbox) -> None:
    world = World(sandbox)
    world.reads(world.incremental()[0])
    world.apply(("rename", 0))
    world.apply(("cost", 1, 999))
    sandbox.state.reset_counters()
    reader, _ = world.incremental()
    got = world.reads(reader)
    paths = sorted(p.rsplit("/", 1)[-1] for p in sandbox.state.requests.elements())
    # CDC, then the valuation, the balance sheet and the accounts (balances) again; no item page.
    assert paths == ["BalanceSheet", "InventoryValuationSummary", "cdc", "query"]
    assert got == world.reads(make_source(sandbox))


def test_a_reconnect_a_long_pause_or_a_full_cdc_answer_reads_everything_again(sandbox: Sandbox) -> None:
    world = World(sandbox)
    world.reads(world.incremental()[0])
    world.apply(("reconnect",))
    reader, _ = world.incremental()
    world.reads(reader)
    assert any("another connection" in r for r in reader.full_reads)

    world.apply(("jump", 31))
    reader, _ = world.incremental()
    world.reads(reader)
    assert any("too long ago" in r for r in reader.full_reads)

    for _ in range(1000):
        world.apply(("create", 1))
    reader, _ = world.incremental()
    assert world.reads(reader) == world.reads(make_source(sandbox))
    assert any("1000 changes" in r for r in reader.full_reads)
