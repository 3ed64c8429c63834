"""FinaleSource against the Finale simulator over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from checks.sources.errors import ConfigurationError, FinaleAuthError, FinaleError
from checks.sources.finale import FinaleSource
from sandbox.company import FinaleAccountRec
from sandbox.finale import (
    FinaleSimState,
    average_cost_report_url,
    create_finale_app,
    inventory_value_report_url,
)
from sandbox.server import BackgroundServer
from tests.sandbox.finale.accounts import KEY, QUOTED, SECRET, UNICODE_ID, busy_account, small_account


def source(url: str, account: str, key: str = KEY, secret: str = SECRET, **options: Any) -> FinaleSource:
    """A client whose retry waits are tiny, so tests of 429s and failures run in milliseconds."""
    fast: dict[str, Any] = {"backoff": 0.001, "max_wait": 0.01, "max_retries": 3, **options}
    return FinaleSource(url, account, key, secret, **fast)


class Running:
    def __init__(self, state: FinaleSimState, server: BackgroundServer, account: FinaleAccountRec) -> None:
        self.state, self.server, self.account, self.url = state, server, account, server.url

    def source(self, **kwargs: Any) -> FinaleSource:
        options: dict[str, Any] = {
            "average_cost_report_url": average_cost_report_url(self.url, self.account.account_path),
            "inventory_value_report_url": inventory_value_report_url(self.url, self.account.account_path),
            "entity_cap": self.state.entity_cap,
            **kwargs,
        }
        return source(self.url, self.account.account_path, **options)


def run(account: FinaleAccountRec, cap: int = 500) -> Iterator[Running]:
    state = FinaleSimState(account, entity_cap=cap)
    with BackgroundServer(create_finale_app(state)) as server:
        yield Running(state, server, account)


@pytest.fixture
def sim() -> Iterator[Running]:
    yield from run(small_account())


@pytest.fixture
async def finale(sim: Running) -> AsyncIterator[FinaleSource]:
    async with sim.source() as source:
        yield source


# ---------------------------------------------------------------- collections


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


async def test_check_credentials_accepts_good_ones_and_explains_bad_ones(sim: Running) -> None:
    async with sim.source() as good:
        await good.check_credentials()
    async with source(sim.url, "acmegoods", secret="wrong-secret") as bad:
        with pytest.raises(FinaleAuthError) as caught:
            await bad.check_credentials()
        assert "rejected the API key and secret" in str(caught.value)
        assert "API keys" in str(caught.value)
        assert "wrong-secret" not in f"{caught.value} {caught.value.detail} {bad!r}"
        with pytest.raises(FinaleAuthError):
            await bad.products()
    assert sim.state.request_count() == 3  # a 401 is not retried


async def test_unknown_account_is_a_clear_error(sim: Running) -> None:
    async with source(sim.url, "nosuchco") as client:
        with pytest.raises(FinaleError, match="no account 'nosuchco'.*FINALE_ACCOUNT"):
            await client.check_credentials()


def test_missing_configuration_is_reported_before_any_call() -> None:
    with pytest.raises(ConfigurationError, match="FINALE_ACCOUNT"):
        FinaleSource("https://app.finaleinventory.com", " ", KEY, SECRET)
    with pytest.raises(ConfigurationError, match="API key or secret"):
        FinaleSource("https://app.finaleinventory.com", "acme", KEY, "")
    with pytest.raises(ConfigurationError, match="FINALE_BASE_URL"):
        FinaleSource("app.finaleinventory.com", "acme", KEY, SECRET)


# ---------------------------------------------------------------- the entity cap


@pytest.fixture
def busy() -> Iterator[Running]:
    # 1,300 sales orders over 200 days: more than the cap of 500, about 195 changed in any 30 days.
    yield from run(busy_account(1300, spread_days=200))


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


# ---------------------------------------------------------------- busy, failing and unreachable Finale


async def test_429_is_retried_after_the_capped_retry_after(sim: Running) -> None:
    sim.state.inject_429(2, retry_after=30)  # 30 s asked; max_wait caps it for the test
    async with sim.source() as source:
        started = time.perf_counter()
        products = await source.products()
    assert len(products) == 6 and time.perf_counter() - started < 5
    assert sim.state.request_count("/api/product/") == 3


async def test_dropped_connections_are_retried(sim: Running) -> None:
    sim.state.inject_drop(2, path_contains="/api/order/")
    async with sim.source() as source:
        orders = await source.sales_orders(date(2024, 2, 1))
    assert len(orders) == 3 and sim.state.pending_faults == 0


async def test_persistent_500_gives_up_with_a_clear_error(sim: Running) -> None:
    sim.state.inject_500(100)
    async with sim.source(max_retries=2) as source:
        with pytest.raises(FinaleError) as caught:
            await source.products()
    assert "could not be reached" in str(caught.value) and "Try again" in str(caught.value)
    assert not isinstance(caught.value, FinaleAuthError)
    assert sim.state.request_count() == 3


async def test_persistent_429_says_finale_is_busy(sim: Running) -> None:
    sim.state.inject_429(100, retry_after=0)
    async with sim.source(max_retries=1) as source:
        with pytest.raises(FinaleError, match="busy"):
            await source.stock()


async def test_timeouts_are_retried_then_reported(sim: Running) -> None:
    sim.state.latency = 0.5
    async with sim.source(timeout=0.1, max_retries=1) as source:
        with pytest.raises(FinaleError, match="timed out"):
            await source.products()
    assert sim.state.request_count() == 2


async def test_connection_refused_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with source(f"http://127.0.0.1:{port}", "acme") as client:
        with pytest.raises(FinaleError, match="could not connect to Finale at http://127.0.0.1") as caught:
            await client.products()
    assert SECRET not in str(caught.value) and KEY not in str(caught.value)


def stand_in(routes: dict[str, Callable[[], web.Response]]) -> BackgroundServer:
    """A stand-in Finale that answers fixed bodies: shapes the simulator never produces."""

    async def handler(request: web.Request) -> web.Response:
        return routes[request.path]()

    app = web.Application()
    for path in routes:
        app.router.add_get(path, handler)
    return BackgroundServer(app)


async def test_ragged_or_missing_columns_and_web_pages_are_clear_errors() -> None:
    with stand_in(
        {
            "/acme/api/product/": lambda: web.json_response({"productId": ["A", "B"], "statusId": ["PRODUCT_ACTIVE"]}),
            "/acme/api/facility/": lambda: web.json_response({"facilityName": ["x"]}),
            "/acme/api/order/": lambda: web.Response(text="<html>Sign in</html>", content_type="text/html"),
            "/empty/api/inventoryitem/": lambda: web.json_response({}),
            "/empty/api/facility/": lambda: web.json_response({}),
        }
    ) as server:
        async with source(server.url, "acme") as client:
            with pytest.raises(FinaleError, match="different lengths"):
                await client.products()
            with pytest.raises(FinaleError, match="without the facilityUrl column"):
                await client.check_credentials()
            with pytest.raises(FinaleError, match="web page instead of data"):
                await client.sales_orders(None)
        async with source(server.url, "empty") as client:
            assert await client.stock() == []  # an empty object is an empty collection


# ---------------------------------------------------------------- reports


async def test_average_costs_as_of_a_date(sim: Running, finale: FinaleSource) -> None:
    costs = await finale.average_costs(date(2024, 2, 29))
    assert costs == {
        "W-100": Decimal("1234.50"),
        "B-3/8": Decimal("0.1275"),
        UNICODE_ID: Decimal("12.00"),
        "LATE-1": None,
        "NOCOST": None,
        "OLD-9": Decimal("2.50"),
    }
    assert (await finale.average_costs(date(2024, 3, 15)))["LATE-1"] == Decimal("5.00")
    # The configured URL is the page form; the client asked for the data form only.
    assert sim.state.request_count("/pivotTableStream/") == 0
    assert sim.state.request_count("/pivotTable/") == 2


async def test_inventory_value_reads_the_total_of_the_day(sim: Running, finale: FinaleSource) -> None:
    assert await finale.inventory_value(date(2024, 1, 31)) == Decimal("1234.50")
    assert await finale.inventory_value(date(2024, 2, 28)) == Decimal("1234.50")
    assert await finale.inventory_value(date(2024, 2, 29)) == Decimal("98765.43")
    sim.account.inventory_value_history.append((date(2024, 3, 31), Decimal("-1500.25")))
    assert await finale.inventory_value(date(2024, 4, 1)) == Decimal("-1500.25")


async def test_report_without_a_total_row_is_summed_and_header_rows_are_skipped() -> None:
    rows = [
        {"Product ID": "Product ID", "Stock value": "Stock value"},
        {"Product ID": "Main warehouse", "Stock value": ""},
        {"Product ID": "A", "Stock value": "1,234.50"},
        {"Product ID": "B", "Stock value": "(34.50)"},
        {"Product ID": "C", "Stock value": "--"},
    ]
    costs = [
        {"Product ID": "A", "Avg cost": "1,234.50"},
        {"Product ID": "B", "Avg cost": "--"},
        {"Product ID": "TOTAL:", "Avg cost": "1,234.50"},
    ]
    path = "/acme/doc/report/pivotTable/{}/Reports.json"
    with stand_in(
        {path.format(1): lambda: web.json_response(rows), path.format(2): lambda: web.json_response(costs)}
    ) as server:
        stream = server.url + "/acme/doc/report/pivotTableStream/{}/Reports.pdf?format=pdf"
        async with source(
            server.url,
            "acme",
            inventory_value_report_url=stream.format(1),
            average_cost_report_url=stream.format(2),
        ) as client:
            assert await client.inventory_value(date(2024, 1, 1)) == Decimal("1200.00")
            with pytest.raises(ConfigurationError, match="no 'Average cost' column"):
                await client.average_costs(date(2024, 1, 1))


async def test_missing_report_urls_say_which_setting_to_fill(sim: Running) -> None:
    async with sim.source(average_cost_report_url=None, inventory_value_report_url="") as source:
        with pytest.raises(ConfigurationError) as caught:
            await source.average_costs(date(2024, 1, 1))
        assert "FINALE_AVERAGE_COST_REPORT_URL" in str(caught.value) and "copy" in str(caught.value)
        with pytest.raises(ConfigurationError, match="FINALE_INVENTORY_VALUE_REPORT_URL"):
            await source.inventory_value(date(2024, 1, 1))
    assert sim.state.request_count() == 0


async def test_report_urls_must_point_at_this_finale_account(sim: Running) -> None:
    elsewhere = average_cost_report_url("https://reports.example.com", "acmegoods")
    other_account = average_cost_report_url(sim.url, "someoneelse")
    for url, message in [
        (elsewhere, "points to reports.example.com"),
        (other_account, "another Finale account"),
        (sim.url + "/acmegoods/api/product/", "not a Finale report address"),
    ]:
        async with sim.source(average_cost_report_url=url) as source:
            with pytest.raises(ConfigurationError, match=message):
                await source.average_costs(date(2024, 1, 1))
    assert sim.state.request_count() == 0


async def test_report_retries_when_finale_is_busy(sim: Running, finale: FinaleSource) -> None:
    sim.state.inject_429(1, retry_after=1, path_contains="/doc/report/")
    sim.state.inject_drop(1, path_contains="/doc/report/")
    assert await finale.inventory_value(date(2024, 2, 29)) == Decimal("98765.43")
    assert sim.state.request_count("/pivotTable/") == 3


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


# ---------------------------------------------------------------- invoices cross-checked


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
