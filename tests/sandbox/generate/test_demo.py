"""The demo company generator: deterministic, and every planted fact agrees with the data recomputed here."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from sandbox.company import SandboxCompany
from sandbox.generate import book_close_date_for, demo_company, demo_enable_date
from tests.sandbox.generate.consistency import TODAYS, check_consistency, digest, planted


@pytest.fixture(scope="module", params=TODAYS, ids=str)
def demo(request: pytest.FixtureRequest) -> SandboxCompany:
    return demo_company(request.param)


def test_demo_is_deterministic() -> None:
    today = date(2025, 3, 18)
    assert digest(demo_company(today)) == digest(demo_company(today))
    assert digest(demo_company(today)) != digest(demo_company(today + timedelta(days=40)))


def test_demo_planted_facts_match_the_data(demo: SandboxCompany) -> None:
    check_consistency(demo)


def test_demo_enable_date_and_book_close() -> None:
    assert demo_enable_date(date(2025, 3, 18)) == date(2025, 3, 1)
    assert demo_enable_date(date(2025, 3, 10)) == date(2025, 2, 1)
    assert demo_enable_date(date(2025, 1, 3)) == date(2024, 12, 1)
    assert book_close_date_for(date(2025, 3, 1)) == date(2025, 1, 31)
    assert book_close_date_for(date(2024, 1, 1)) == date(2023, 11, 30)


def test_demo_company_identity_and_shape(demo: SandboxCompany) -> None:
    qbo, finale = demo.qbo, demo.finale
    assert qbo.company_name == "Acme Outdoor Goods" and qbo.realm_id == "9341453050298211"
    assert finale.account_path == "acmeoutdoor" and finale.api_key and finale.api_secret
    assert len(finale.facilities) == 3
    assert 55 <= len(finale.products) <= 70 and sum(not p.active for p in finale.products) >= 3
    other = [i for i in qbo.items if i.type in ("Service", "NonInventory")]
    assert len(other) >= 60
    assert len(planted(demo, "items_to_deactivate")) == 12
    assert len(planted(demo, "inventory_items_not_in_finale_fail")) == 1
    assert len(planted(demo, "inventory_items_not_in_finale_warn")) == 2
    assert 4 <= len(planted(demo, "products_without_average_cost")) <= 5
    assert len(planted(demo, "negative_stock")) == 3
    sales = [o for o in finale.orders if o.order_type == "SALES_ORDER"]
    assert 300 < len(sales) < 2_000
    assert {o.sale_source for o in sales} == {"Shopify", "Amazon", "Phone", "Wholesale", None}
    names = {a.name for a in qbo.accounts}
    assert {
        "Inventory Asset",
        "Inventory Asset - Warehouse 2",
        "Inventory Shrinkage",
        "Undeposited Funds",
    } <= names


def test_demo_amounts_are_realistic(demo: SandboxCompany) -> None:
    total = planted(demo, "total_to_expense")
    assert Decimal(2_000) < total < Decimal(100_000)
    assert total != total.to_integral_value()  # it has cents
    difference = planted(demo, "opening_balance_difference")
    assert difference != difference.to_integral_value()
    assert any(r["qty"] == 0 for r in planted(demo, "items_to_deactivate"))


def test_demo_matches_by_name_sku_and_case(demo: SandboxCompany) -> None:
    rows = planted(demo, "items_to_deactivate")
    assert {r["matched_on"] for r in rows} == {"name", "sku"}
    assert any(r["matched_on"] == "sku" and r["name"] != r["finale_product_id"] for r in rows)
    assert {c["field"] for c in planted(demo, "case_collisions")} == {"name", "sku"}


def test_demo_names_with_quotes_and_unicode(demo: SandboxCompany) -> None:
    names = {i.name for i in demo.qbo.items}
    assert 'Trail Mix "Original" – 12 oz' in names
    assert "Kids' Café Mug ☕" in names
    assert any(n.endswith(" (deleted)") for n in names)
    assert any("'" in p.internal_name for p in demo.finale.products)
    assert any('"' in p.internal_name for p in demo.finale.products)


def test_demo_orders_without_invoice(demo: SandboxCompany) -> None:
    without = planted(demo, "orders_without_invoice")
    assert len(without["Shopify"]) == 7 and len(without["Phone"]) == 5  # the dozen, over two sources
    enable = planted(demo, "enable_date")
    amazon_completed = [
        o.order_id
        for o in demo.finale.orders
        if o.sale_source == "Amazon" and o.status == "ORDER_COMPLETED" and o.order_date.date() >= enable
    ]
    assert sorted(without["Amazon"]) == sorted(amazon_completed) and amazon_completed
    # The order placed a few minutes before midnight of D-1 is not a finding; the one just after is.
    by_id = {o.order_id: o for o in demo.finale.orders}
    assert any(by_id[i].order_date.hour == 0 and by_id[i].order_date.date() == enable for i in without["Phone"])
    volume = planted(demo, "monthly_invoice_volume")
    assert volume["Shopify"] > volume["Amazon"] > volume["Wholesale"] > 0


def test_demo_inventory_value_history_reads_d1(demo: SandboxCompany) -> None:
    enable = planted(demo, "enable_date")
    history = dict(demo.finale.inventory_value_history)
    assert history[enable - timedelta(days=1)] == planted(demo, "finale_inventory_value_d1")
    assert any(d > enable for d in history) and any(d < enable - timedelta(days=1) for d in history)


def test_demo_is_a_fresh_copy_every_time() -> None:
    today = date(2025, 3, 18)
    first = demo_company(today)
    first.qbo.items[0].active = False
    assert demo_company(today).qbo.items[0].active
