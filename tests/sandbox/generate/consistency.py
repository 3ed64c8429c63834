"""Recomputes every planted fact of a generated company from its data, independently of the generator."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sandbox.company import SandboxCompany
from sandbox.generate import book_close_date_for

TODAYS = [date(2025, 3, 18), date(2025, 1, 3), date(2024, 2, 29), date(2025, 3, 15)]
ITEM_TXNS = {"PurchaseOrder", "Bill", "Invoice", "SalesReceipt"}


def digest(company: SandboxCompany) -> str:
    return hashlib.sha256(repr(company).encode()).hexdigest()


def norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def planted(company: SandboxCompany, key: str) -> Any:
    return company.planted[key]


# ---------------------------------------------------------------- independent recomputation


def deactivation(company: SandboxCompany) -> dict[str, tuple[str, Decimal, Decimal]]:
    """Active Inventory items whose Name or Sku is a Finale productId: id -> (product id, qty, value)."""
    product_ids = {norm(p.product_id): p.product_id for p in company.finale.products}
    found = {}
    for item in company.qbo.items:
        if not item.active or item.type != "Inventory":
            continue
        keys = [norm(item.name)] + ([norm(item.sku)] if item.sku else [])
        hit = next((product_ids[k] for k in keys if k in product_ids), None)
        if hit is not None:
            qty = item.qty_on_hand or Decimal(0)
            found[item.id] = (hit, qty, (qty * item.purchase_cost).quantize(Decimal("0.01")))
    return found


def not_in_finale(company: SandboxCompany, enable: date) -> tuple[set[str], set[str]]:
    matched = deactivation(company)
    unknown = {i.id for i in company.qbo.items if i.active and i.type == "Inventory" and i.id not in matched}
    used_since = {
        ln.item_id for t in company.qbo.transactions if t.entity in ITEM_TXNS and t.txn_date >= enable for ln in t.lines
    }
    return unknown & used_since, unknown - used_since


def negative_pairs(company: SandboxCompany) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in company.finale.stock:
        if row.order_id is None:
            sums[(row.product_id, row.facility_id)] += row.quantity_on_hand
    return {k: v for k, v in sums.items() if v < 0}


def orders_without_invoice(company: SandboxCompany, enable: date) -> dict[str | None, set[str]]:
    found: dict[str | None, set[str]] = defaultdict(set)
    for o in company.finale.orders:
        completed = o.order_type == "SALES_ORDER" and o.status == "ORDER_COMPLETED"
        if completed and o.order_date.date() >= enable and not o.invoice_ids:
            found[o.sale_source].add(o.order_id)
    return dict(found)


def inventory_balance(company: SandboxCompany, on: date) -> Decimal:
    ids = {a.id for a in company.qbo.accounts if a.account_sub_type == "Inventory"}
    return sum((company.qbo.balance(i, on) for i in ids), Decimal(0))


def check_consistency(company: SandboxCompany) -> None:
    """Every planted fact, recomputed from the data."""
    qbo, finale = company.qbo, company.finale
    enable = planted(company, "enable_date")
    d1 = enable - timedelta(days=1)
    assert enable.day == 1
    assert planted(company, "book_close_date") == qbo.book_close_date == book_close_date_for(enable)
    assert qbo.book_close_date is not None and qbo.book_close_date < enable
    assert (qbo.book_close_date + timedelta(days=1)).day == 1
    assert planted(company, "accounts")["shrinkage"] == qbo.shrinkage_account_id

    # Ids are unique and numeric across QBO entities, so next_id never collides.
    ids = [x.id for x in qbo.items] + [x.id for x in qbo.accounts]
    ids += [x.id for x in qbo.transactions] + [x.id for x in qbo.journal_entries]
    assert len(ids) == len(set(ids)) and all(i.isdigit() for i in ids)
    assert len({p.product_id for p in finale.products}) == len(finale.products)
    assert len({o.order_id for o in finale.orders}) == len(finale.orders)

    # Deactivation: ids, quantities, values and the total.
    expected = deactivation(company)
    rows = planted(company, "items_to_deactivate")
    assert {r["id"]: (r["finale_product_id"], r["qty"], r["asset_value"]) for r in rows} == expected
    assert planted(company, "total_to_expense") == sum((v for _, _, v in expected.values()), Decimal(0))
    assert all(r["expense_account_id"] == qbo.shrinkage_account_id for r in rows)

    fail, warn = not_in_finale(company, enable)
    assert {r["id"] for r in planted(company, "inventory_items_not_in_finale_fail")} == fail
    assert {r["id"] for r in planted(company, "inventory_items_not_in_finale_warn")} == warn
    assert fail and warn
    for row in planted(company, "inventory_items_not_in_finale_fail"):
        assert row["transactions"] and all(t["txn_date"] >= enable for t in row["transactions"])

    # Inactive "(deleted)" items are never findings, though their Sku is a Finale productId.
    product_ids = {p.product_id for p in finale.products}
    for item_id in planted(company, "ignored_inactive_items"):
        item = next(i for i in qbo.items if i.id == item_id)
        assert not item.active and item.name.endswith(" (deleted)") and item.sku in product_ids
        assert item_id not in expected

    # Other apps: the burst, duplicates, type and case collisions.
    start, end = planted(company, "other_app_burst_window")
    assert end - start < timedelta(minutes=5)
    in_window = {i.id for i in qbo.items if start - timedelta(hours=1) <= i.create_time <= end + timedelta(hours=1)}
    assert in_window == set(planted(company, "other_app_burst_item_ids"))
    assert len(in_window) == planted(company, "other_app_burst_count") >= 25
    assert all(i.type == "NonInventory" for i in qbo.items if i.id in in_window)

    groups: dict[str, set[str]] = defaultdict(set)
    for item in qbo.items:
        groups[norm(item.name)].add(item.id)
    dupes = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    assert dupes == sorted(sorted(d["ids"]) for d in planted(company, "duplicate_names"))

    normalized_ids = {norm(p): p for p in product_ids}
    collisions = {i.id for i in qbo.items if i.type != "Inventory" and norm(i.name) in normalized_ids}
    assert collisions == {c["qbo_item_id"] for c in planted(company, "type_collisions")}
    case = {
        (i.id, field)
        for i in qbo.items
        for field, value in (("name", i.name), ("sku", i.sku))
        if value and norm(value) in normalized_ids and value not in product_ids
    }
    assert case == {(c["qbo_item_id"], c["field"]) for c in planted(company, "case_collisions")}

    # Average cost as of D, over active products only.
    missing = {
        p.product_id
        for p in finale.products
        if p.active
        and (
            p.average_cost is None
            or p.average_cost <= 0
            or p.average_cost_since is None
            or p.average_cost_since > enable
        )
    }
    assert missing == {r["product_id"] for r in planted(company, "products_without_average_cost")}
    assert {r["reason"] for r in planted(company, "products_without_average_cost")} == {
        "none",
        "zero",
        "after_enable_date",
    }

    # Negative stock, per product and sublocation, on-hand rows only.
    assert negative_pairs(company) == {
        (r["product_id"], r["facility_id"]): r["qty"] for r in planted(company, "negative_stock")
    }
    names = {f.facility_id: f.name for f in finale.facilities}
    assert all(names[r["facility_id"]] == r["sublocation"] for r in planted(company, "negative_stock"))
    for row in finale.stock:
        assert [row.quantity_on_hand, row.quantity_on_order, row.quantity_reserved].count(Decimal(0)) == 2
    orders = {o.order_id: o for o in finale.orders}
    for row in finale.stock:
        if row.quantity_on_order:
            assert orders[row.order_id or ""].order_type == "PURCHASE_ORDER"
        if row.quantity_reserved:
            assert orders[row.order_id or ""].status == "ORDER_LOCKED"

    # Invoices: each one belongs to its order; only completed orders have them.
    for inv in finale.invoices:
        assert inv.invoice_id in orders[inv.order_id].invoice_ids
    assert sum(len(o.invoice_ids) for o in finale.orders) == len(finale.invoices)
    assert all(o.status == "ORDER_COMPLETED" for o in finale.orders if o.invoice_ids)
    without = orders_without_invoice(company, enable)
    assert without == {k: set(v) for k, v in planted(company, "orders_without_invoice").items()}
    invoiced_sources = {o.sale_source for o in finale.orders if o.invoice_ids and o.order_date.date() >= enable}
    completed_sources = {
        o.sale_source
        for o in finale.orders
        if o.order_type == "SALES_ORDER" and o.status == "ORDER_COMPLETED" and o.order_date.date() >= enable
    }
    assert (
        sorted(str(s) for s in completed_sources - invoiced_sources)
        == planted(company, "sources_without_invoicing")
        == ["Amazon"]
    )
    assert not any(o.invoice_ids for o in finale.orders if o.sale_source == "Amazon")
    # Open and cancelled orders, and earlier ones, lack invoices too: they must not count.
    assert any(not o.invoice_ids and o.status in ("ORDER_CREATED", "ORDER_LOCKED") for o in finale.orders)
    assert any(not o.invoice_ids and o.status == "ORDER_CANCELLED" for o in finale.orders)
    assert any(
        not o.invoice_ids
        and o.status == "ORDER_COMPLETED"
        and o.sale_source != "Amazon"
        and o.order_date.date() < enable
        for o in finale.orders
    )

    volume: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in finale.orders:
        if o.order_type == "SALES_ORDER" and o.status != "ORDER_CANCELLED":
            volume[o.sale_source][o.order_date.strftime("%Y-%m")] += 1
    assert {k: dict(v) for k, v in volume.items()} == planted(company, "monthly_order_volume")

    # The ledger: balanced, and the Inventory accounts agree with the items today and with the plant on D-1.
    assert sum((p.amount for p in qbo.ledger), Decimal(0)) == 0
    for je in qbo.journal_entries:
        assert sum((p.amount for p in je.lines), Decimal(0)) == 0
    today_value = sum(
        ((i.qty_on_hand or Decimal(0)) * i.purchase_cost for i in qbo.items if i.type == "Inventory"),
        Decimal(0),
    )
    last = max(p.txn_date for p in qbo.ledger)
    assert inventory_balance(company, last) == today_value == planted(company, "qbo_inventory_value_today")
    qbo_d1 = inventory_balance(company, d1)
    assert qbo_d1 == planted(company, "qbo_inventory_balance_d1")
    by_account = planted(company, "qbo_inventory_balance_d1_by_account")
    assert len(by_account) == 2 and all(v != 0 for v in by_account.values())
    assert {k: qbo.balance(k, d1) for k in by_account} == by_account
    finale_d1 = finale.inventory_value(d1)
    assert finale_d1 == planted(company, "finale_inventory_value_d1")
    assert finale.inventory_value(enable) == finale_d1
    assert planted(company, "opening_balance_difference") == finale_d1 - qbo_d1 != 0

    counts = planted(company, "counts")
    assert counts["negative_stock"] == len(planted(company, "negative_stock"))
    assert counts["orders_without_invoice"] == sum(len(v) for v in without.values())

    for key in (
        "total_to_expense",
        "qbo_inventory_balance_d1",
        "finale_inventory_value_d1",
        "opening_balance_difference",
    ):
        assert planted(company, key).as_tuple().exponent == -2, key
