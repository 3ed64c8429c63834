"""Average cost and inventory value from the owner's saved Finale reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from aiohttp import web

from checks.sources.errors import ConfigurationError
from checks.sources.finale import FinaleSource
from sandbox.finale import average_cost_report_url
from tests.checks.sources.finale.support import Running, source, stand_in
from tests.sandbox.finale.accounts import UNICODE_ID


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


def test_a_grouped_report_lists_a_product_once_whatever_its_spacing_or_case() -> None:
    from checks.sources.finale.reports import _average_costs_from

    rows = [
        {"Product ID": "W-100 ", "Average cost": "--"},  # listed in one group without a cost
        {"Product ID": "w-100", "Average cost": "12.50"},  # and with one in another
        {"Product ID": "B-2", "Average cost": "3.00"},
    ]
    assert _average_costs_from(rows) == {"W-100": Decimal("12.50"), "B-2": Decimal("3.00")}


async def test_a_product_id_with_a_trailing_space_is_found_in_the_average_cost_report(
    sim: Running, finale: FinaleSource
) -> None:
    """Read from the simulator as from Finale: the product list keeps the space, the report parser trims it."""
    from checks.results import Status
    from sandbox.company import FinaleProductRec
    from tests.checks.factories import answers, run, snapshot

    as_of = date(2024, 2, 29)
    sim.account.products.append(
        FinaleProductRec(
            "TRAIL-1 ", "Trailing space", average_cost=Decimal("4.00"), average_cost_since=date(2024, 1, 1)
        )
    )
    sim.state.invalidate()
    products = tuple(await finale.products())
    assert "TRAIL-1 " in {p.product_id for p in products}
    costs = await finale.average_costs(as_of)
    result = run(
        "average-cost",
        snapshot(products=products, average_costs=costs, enable_date=as_of),
        answers(enable_date=as_of, enable_date_decided=True),
    )
    assert result.status is Status.FAIL  # the account has products that really lack a cost
    assert "TRAIL-1" not in {f.id.strip() for f in result.findings}
    assert all(f.detail != "not in Finale's average cost report" for f in result.findings if "TRAIL" in f.id)


def test_a_general_ledger_report_gives_the_inventory_account_balance_on_d1() -> None:
    """An owner may save Finale's general ledger of account 101 as the report: account, date, balance."""
    from checks.sources.finale.reports import _inventory_value_from

    rows = [
        {"Account": "101 // Inventory account", "Date": "Nov 30, 2026", "Balance": "18,000.00"},
        {"Account": "451 // Purchases clearing account", "Date": "Dec 15, 2026", "Balance": "(2,500.00)"},
        {"Account": "101 // Inventory account", "Date": "Dec 30, 2026", "Balance": "20,161.39"},
        {"Account": "101 // Inventory account", "Date": "Jan 4, 2027", "Balance": "21,000.00"},  # after D-1
        {"Account": "TOTAL:", "Date": "", "Balance": "38,661.39"},
    ]
    assert _inventory_value_from(rows, date(2026, 12, 31)) == Decimal("20161.39")
    assert _inventory_value_from(rows, date(2026, 12, 1)) == Decimal("18000.00")
    iso = [{"GL Account": "Inventory", "Posting date": "2026-12-31", "Ending balance": "1,234.56"}]
    assert _inventory_value_from(iso, date(2026, 12, 31)) == Decimal("1234.56")


def test_a_general_ledger_without_the_inventory_account_says_what_to_do() -> None:
    from checks.sources.finale.reports import _inventory_value_from

    rows = [{"Account": "201 // AP account", "Date": "2026-12-30", "Balance": "10.00"}]
    with pytest.raises(ConfigurationError, match="inventory account"):
        _inventory_value_from(rows, date(2026, 12, 31))
    later = [{"Account": "101 // Inventory account", "Date": "2027-01-05", "Balance": "10.00"}]
    with pytest.raises(ConfigurationError, match="on or before 2026-12-31"):
        _inventory_value_from(later, date(2026, 12, 31))
