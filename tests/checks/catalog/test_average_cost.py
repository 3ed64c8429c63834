from __future__ import annotations

from datetime import date
from decimal import Decimal

from checks.results import Pending, Status
from checks.snapshot import FinaleProduct, Snapshot
from tests.checks.factories import answers, product, run, snapshot

SLUG = "average-cost"
D = date(2025, 7, 1)


def snap(products: list[FinaleProduct], costs: dict[str, Decimal | None], enable_date: date | None = D) -> Snapshot:
    return snapshot(products=tuple(products), average_costs=costs, enable_date=enable_date)


def test_every_active_product_with_a_positive_cost_passes() -> None:
    products = [product("A"), product("B"), product("OLD", active=False)]
    result = run(
        SLUG,
        snap(products, {"A": Decimal("0.01"), "B": Decimal("12")}),
        answers(enable_date=D, enable_date_decided=True),
    )
    assert result.status is Status.PASS and result.id == "average-cost.I001"
    assert "2 active Finale products" in result.summary and "2025-07-01" in result.summary


def test_missing_none_zero_and_negative_costs_fail() -> None:
    products = [
        product("A"),
        product("B"),
        product("C"),
        product("D"),
        product("E"),
        product("X", active=False),
    ]
    costs: dict[str, Decimal | None] = {"A": None, "B": Decimal("0"), "C": Decimal("-1.5"), "E": Decimal("3")}
    result = run(SLUG, snap(products, costs), answers(enable_date=D, enable_date_decided=True))
    assert result.status is Status.FAIL and result.id == "average-cost.F001"
    found = {f.id: f.detail for f in result.findings}
    assert found == {
        "A": "no average cost",
        "B": "average cost is 0",
        "C": "negative average cost -1.5",
        "D": "not in Finale's average cost report",
    }
    assert "4 active Finale products of 5" in result.summary
    assert "Average Cost Change" in result.hint


def test_undecided_checks_todays_costs_and_fails_early() -> None:
    result = run(SLUG, snap([product("A")], {"A": None}, None), answers())
    assert result.status is Status.FAIL and result.id == "average-cost.F001"
    assert "as of today" in result.summary


def test_undecided_with_all_costs_waits_for_the_date() -> None:
    result = run(SLUG, snap([product("A")], {"A": Decimal("2")}, None), answers())
    assert result.status is Status.NEEDS_INPUT and result.id == "average-cost.N001"
    assert result.pending is Pending.ENABLE_DATE


def test_blank_date_passes_with_todays_costs_and_says_so() -> None:
    result = run(SLUG, snap([product("A")], {"A": Decimal("2")}, None), answers(enable_date_decided=True))
    assert result.status is Status.PASS and result.id == "average-cost.I002"
    assert "whole history" in result.summary


def test_costs_fetched_for_another_date_are_not_trusted() -> None:
    result = run(
        SLUG,
        snap([product("A")], {"A": Decimal("2")}, date(2025, 1, 1)),
        answers(enable_date=D, enable_date_decided=True),
    )
    assert result.status is Status.ERROR and result.id == "average-cost.E904"


def test_product_ids_differing_only_by_surrounding_space_or_case_match_the_report() -> None:
    """Finale's report trims ids ("W-100") while the product list may keep a trailing space ("W-100 ")."""
    products = [product("W-100 "), product("b-3/8"), product(" Gadget")]
    costs: dict[str, Decimal | None] = {"W-100": Decimal("1234.50"), "B-3/8": Decimal("0.13"), "gadget": None}
    result = run(SLUG, snap(products, costs), answers(enable_date=D, enable_date_decided=True))
    assert result.status is Status.FAIL
    # Only the product whose cost is really missing is listed, and not as missing from the report.
    assert [(f.id, f.detail) for f in result.findings] == [(" Gadget", "no average cost")]
