from __future__ import annotations

from decimal import Decimal

from checks.results import Status
from checks.snapshot import StockRow
from tests.checks.factories import answers, product, run, snapshot

SLUG = "negative-qoh"


def row(pid: str, sub: str, qty: str, lot: str | None = None) -> StockRow:
    return StockRow(
        product_id=pid,
        sublocation=f"/acme/api/facility/{sub}",
        sublocation_name=f"Shelf {sub}",
        lot_id=lot,
        quantity_on_hand=Decimal(qty),
    )


def test_no_negative_stock_passes() -> None:
    stock = (row("A", "1", "5"), row("A", "2", "0"), row("B", "1", "1.5"))
    result = run(SLUG, snapshot(stock=stock, products=(product("A"), product("B"))), answers())
    assert result.status is Status.PASS and result.id == "negative-qoh.I001"
    assert "2 products" in result.summary


def test_lots_are_summed_per_product_and_sublocation() -> None:
    stock = (
        row("A", "1", "-3", "L1"),
        row("A", "1", "5", "L2"),  # A at shelf 1: +2, fine
        row("B", "1", "4"),
        row("B", "2", "-2.5", "L1"),
        row("B", "2", "1", "L2"),  # B at shelf 2: -1.5, even though B's total is +2.5
    )
    result = run(SLUG, snapshot(stock=stock, products=(product("A"), product("B", 'Mug "XL" – ☕'))), answers())
    assert result.status is Status.FAIL and result.id == "negative-qoh.F001"
    assert [(f.id, f.name, f.extra["sublocation"], f.quantity) for f in result.findings] == [
        ("B", 'Mug "XL" – ☕', "Shelf 2", Decimal("-1.5"))
    ]
    assert "-1.5 at Shelf 2" in result.summary
    assert "average cost" in result.summary


def test_every_negative_place_is_listed() -> None:
    stock = tuple(row(f"P{i}", str(i % 3), "-1") for i in range(1200))
    result = run(SLUG, snapshot(stock=stock, products=()), answers())
    assert len(result.findings) == 1200
    assert "1,200 Finale products" in result.summary


def test_stock_rows_whose_ids_differ_only_by_space_or_case_are_one_product() -> None:
    stock = (row("A-1 ", "1", "-3", "L1"), row("a-1", "1", "5", "L2"), row("B", "1", "-1"))
    result = run(SLUG, snapshot(stock=stock, products=(product("A-1"), product(" b ", "Blue mug"))), answers())
    assert result.status is Status.FAIL
    # A-1 at shelf 1 adds up to +2 across both spellings; B is found by its name despite the spaces.
    assert [(f.id, f.name, f.quantity) for f in result.findings] == [("B", "Blue mug", Decimal("-1"))]
