"""The Finale connection: credentials, configuration, busy, failing and unreachable Finale, odd answers."""

from __future__ import annotations

import socket
import time
from datetime import date

import pytest
from aiohttp import web

from checks.sources.errors import ConfigurationError, FinaleAuthError, FinaleError
from checks.sources.finale import FinaleSource
from tests.checks.sources.finale.support import Running, source, stand_in
from tests.sandbox.finale.accounts import KEY, SECRET


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


async def test_a_redirect_loop_is_a_finale_error() -> None:
    with stand_in(
        {"/acme/api/product/": lambda: web.Response(status=302, headers={"Location": "/acme/api/product/"})}
    ) as server:
        async with source(server.url, "acme") as client:
            with pytest.raises(FinaleError, match="could not complete its request to Finale") as caught:
                await client.products()
    assert "TooManyRedirects" in str(caught.value) and "Try again in a few minutes" in str(caught.value)
    assert SECRET not in str(caught.value) and KEY not in str(caught.value)


async def test_the_finale_session_only_reads() -> None:
    """Whatever a future change asks of it, the client's own session sends nothing but GET."""
    import aiohttp

    from checks.sources.finale.client import read_only_trace

    async with aiohttp.ClientSession(trace_configs=[read_only_trace()]) as session:
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            with pytest.raises(FinaleError, match="only reads Finale"):
                await session.request(method, "http://127.0.0.1:9/demo/api/product")
