"""FinaleSource against the Finale simulator over real HTTP: what the checks read."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from checks.sources.finale import FinaleSource
from tests.checks.sources.finale.support import Running
from tests.sandbox.finale.accounts import QUOTED, UNICODE_ID


async def test_products_are_transposed_with_names_intact(finale: FinaleSource) -> None:
    products = await finale.products()
    assert [p.product_id for p in products] == ["W-100", "B-3/8", UNICODE_ID, "LATE-1", "NOCOST", "OLD-9"]
    by_id = {p.product_id: p for p in products}
    assert by_id["B-3/8"].name == QUOTED
    assert by_id["B-3/8"].product_url == "/acmegoods/api/product/B-3%2F8"
    assert by_id[UNICODE_ID].name == "Thé vert «premium» 日本茶"
    assert by_id["OLD-9"].active is False and by_id["W-100"].active is True


async def test_stock_is_on_hand_rows_with_exact_quantities_and_sublocation_names(
    finale: FinaleSource,
) -> None:
    rows = await finale.stock()
    assert [(r.product_id, r.sublocation_name, r.lot_id, r.quantity_on_hand) for r in rows] == [
        ("W-100", "Shelf A", None, Decimal("10")),
        ("W-100", "Back room «B»", None, Decimal("-3.25")),
        ("B-3/8", "Shelf A", "LOT-7", Decimal("0.125")),
        (UNICODE_ID, "Annex", None, Decimal("-0.001")),
    ]
    assert all(type(r.quantity_on_hand) is Decimal for r in rows)
    assert rows[1].sublocation == "/acmegoods/api/facility/10001"


async def test_sales_orders_are_filtered_by_type_and_date(sim: Running, finale: FinaleSource) -> None:
    orders = await finale.sales_orders(date(2024, 2, 1))
    assert [o.order_id for o in orders] == ["SO-1", "SO-2", 'SO "Ω" 3']
    so1, so2, cancelled = orders
    assert so1.order_date == date(2024, 2, 1) and so1.sale_source == "Shopify"
    assert so1.invoice_urls == ("/acmegoods/api/invoice/INV-1",) and so1.total == Decimal("39.98")
    assert so2.sale_source is None and so2.invoice_urls == () and so2.total == Decimal("0.999")
    assert cancelled.status == "ORDER_CANCELLED" and cancelled.sale_source == "Etsy «EU»"
    assert sim.state.request_count("/api/order/") == 1  # one filtered request, no windows for a small account
    everything = await finale.sales_orders(None)
    assert {o.order_id for o in everything} == {"SO-1", "SO-2", "SO-OLD", 'SO "Ω" 3'}


async def test_the_source_can_run_many_calls_at_once(sim: Running, finale: FinaleSource) -> None:
    sim.state.latency = 0.05
    results = await asyncio.gather(
        finale.products(),
        finale.stock(),
        finale.sales_orders(date(2024, 1, 1)),
        finale.average_costs(date(2024, 2, 29)),
        finale.inventory_value(date(2024, 2, 29)),
    )
    assert [len(r) if isinstance(r, list | dict) else r for r in results] == [6, 4, 4, 6, Decimal("98765.43")]
