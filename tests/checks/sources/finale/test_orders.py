"""Sales orders past Finale's entity cap, read in lastUpdatedDate windows, and their invoices."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from checks.sources.errors import FinaleError
from tests.checks.sources.finale.support import Running, run
from tests.sandbox.finale.accounts import busy_account, small_account


async def test_cap_is_worked_around_with_last_updated_windows(busy: Running) -> None:
    async with busy.source(max_concurrency=3) as source:
        orders = await source.sales_orders(date(2024, 1, 1))
    expected = [o for o in busy.account.orders if o.order_type == "SALES_ORDER"]
    assert len(orders) == len(expected) == 1300
    assert sorted(o.order_id for o in orders) == sorted(o.order_id for o in expected)  # each exactly once
    assert busy.state.request_count("/api/order/") > 2
    sample = {o.order_id: o for o in orders}["100001"]
    assert sample.invoice_urls == ("/bigshop/api/invoice/INV-1",) and sample.total == Decimal("4.10")


async def test_windows_respect_the_start_date(busy: Running) -> None:
    since = date(2024, 4, 1)
    async with busy.source() as source:
        orders = await source.sales_orders(since)
    expected = {
        o.order_id for o in busy.account.orders if o.order_type == "SALES_ORDER" and o.order_date.date() >= since
    }
    assert len(expected) > 500
    assert [o.order_id for o in orders if o.order_date < since] == []
    assert {o.order_id for o in orders} == expected and len(orders) == len(expected)


def test_busy_windows_are_halved_until_complete() -> None:
    # 1,500 orders within 20 days: a single 30-day window is itself over the cap.
    for running in run(busy_account(1500, spread_days=20), cap=400):

        async def go(running: Running = running) -> list[str]:
            async with running.source() as source:
                return [o.order_id for o in await source.sales_orders(None)]

        ids = asyncio.run(go())
        assert len(ids) == len(set(ids)) == 1500


async def test_more_orders_in_one_minute_than_the_cap_is_an_error() -> None:
    account = busy_account(30, spread_days=0)
    for running in run(account, cap=10):
        async with running.source() as source:
            with pytest.raises(FinaleError, match="within one minute"):
                await source.sales_orders(None)


def test_order_dates_with_times_stay_on_their_day() -> None:
    # Guards the window arithmetic: a window boundary exactly on an order's change is read once.
    account = busy_account(600, spread_days=60, start=datetime(2024, 1, 1))
    for o in account.orders[:5]:
        o.last_updated = datetime(2024, 1, 1) + timedelta(days=30)
    for running in run(account, cap=500):

        async def go(running: Running = running) -> list[str]:
            async with running.source() as source:
                return [o.order_id for o in await source.sales_orders(None)]

        ids = asyncio.run(go())
        assert len(ids) == len(set(ids)) == 600


async def test_cancelled_invoices_do_not_count_and_invoices_naming_an_order_do() -> None:
    from sandbox.company import FinaleInvoiceRec, FinaleOrderRec

    account = small_account()
    day = datetime(2026, 3, 2, 10, 0)
    # Only a cancelled invoice: the order is not invoiced.
    account.orders.append(FinaleOrderRec("SO-CXL", "SALES_ORDER", "ORDER_COMPLETED", day, invoice_ids=["C-1"]))
    account.invoices.append(FinaleInvoiceRec("C-1", "SO-CXL", day, status="INVOICE_CANCELLED"))
    # The invoice points at its order, which does not list it.
    account.orders.append(FinaleOrderRec("SO-LINK", "SALES_ORDER", "ORDER_COMPLETED", day))
    account.invoices.append(FinaleInvoiceRec("I-9", "SO-LINK", day))
    for running in run(account):
        async with running.source() as finale:
            orders = {o.order_id: o for o in await finale.sales_orders(date(2026, 3, 1))}
    assert orders["SO-CXL"].invoice_urls == ()
    assert orders["SO-LINK"].invoice_urls == (f"/{account.account_path}/api/invoice/I-9",)


async def test_invoices_beyond_the_cap_are_read_in_windows() -> None:
    from sandbox.company import FinaleInvoiceRec

    account = busy_account(1300, spread_days=200)
    for order in account.orders:
        if order.order_type == "SALES_ORDER" and not order.invoice_ids:
            # Invoiced, but only the invoice knows it: every one must be found despite the cap of 500.
            account.invoices.append(FinaleInvoiceRec(f"LATE-{order.order_id}", order.order_id, order.order_date))
    for running in run(account, cap=500):
        async with running.source(max_concurrency=3) as finale:
            orders = await finale.sales_orders(None)
        assert running.state.request_count("/api/invoice/") > 1
    sales = [o for o in orders]
    assert len(sales) == 1300
    assert all(o.invoice_urls for o in sales)
