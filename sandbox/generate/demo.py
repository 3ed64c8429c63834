"""Acme Outdoor Goods, the demo company: its QBO side and every problem planted in it."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sandbox.company import QboCompanyRec, QboItemRec, SandboxCompany
from sandbox.generate.builder import QboBuilder
from sandbox.generate.catalog import DEMO_COMPANY_NAME, DEMO_MATCHED, DEMO_NON_INVENTORY, DEMO_REALM_ID, DEMO_SERVICES
from sandbox.generate.common import ZERO, book_close_date_for, cents, demo_enable_date, normalize_name, rand_cents
from sandbox.generate.demo_finale import demo_finale
from sandbox.generate.planted import (
    add_counts,
    deactivation_row,
    item_value,
    not_in_finale_row,
    txn_refs,
    value_history,
)


def demo_company(today: date) -> SandboxCompany:
    """Acme Outdoor Goods, in which every Preflight check has something to find (see the package docstring)."""
    rng = random.Random(20240611)
    enable = demo_enable_date(today)
    d1 = enable - timedelta(days=1)
    close = book_close_date_for(enable)

    qbo = QboCompanyRec(
        realm_id=DEMO_REALM_ID,
        company_name=DEMO_COMPANY_NAME,
        legal_name="Acme Outdoor Goods LLC",
        company_start_date=date(today.year - 5, 1, 1),
        book_close_date=close,
    )
    b = QboBuilder(qbo)
    chart = b.add_chart()
    planted: dict[str, object] = {
        "enable_date": enable,
        "book_close_date": close,
        "accounts": dict(chart.ids),
    }

    def created(days_ago: int, hour: int = 10) -> datetime:
        when = datetime.combine(today - timedelta(days=days_ago), time(hour, rng.randint(0, 59), rng.randint(0, 59)))
        return when

    # --- Inventory items that are Finale products: each must be deactivated.
    to_deactivate: list[dict[str, object]] = []
    matched: dict[str, QboItemRec] = {}
    case_collisions: list[dict[str, object]] = []
    for name, sku, product_id, matched_on, qty, cost, account in DEMO_MATCHED:
        when = created(rng.randint(420, 1500))
        item = b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=name,
                type="Inventory",
                sku=sku,
                qty_on_hand=Decimal(qty),
                purchase_cost=Decimal(cost),
                unit_price=cents(Decimal(cost) * Decimal("1.95")),
                asset_account_id=chart[account],
                expense_account_id=chart["cogs"],
                income_account_id=chart["sales_income"],
                inv_start_date=when.date(),
                create_time=when,
                update_time=when,
            )
        )
        matched[product_id] = item
        to_deactivate.append(deactivation_row(item, product_id, matched_on, chart["shrinkage"]))
        compared = name if matched_on == "name" else sku
        assert compared is not None and normalize_name(compared) == normalize_name(product_id)
        if compared != product_id:
            case_collisions.append(
                {
                    "qbo_item_id": item.id,
                    "qbo_name": item.name,
                    "qbo_type": item.type,
                    "field": matched_on,
                    "finale_product_id": product_id,
                }
            )

    # --- Inventory items Finale does not know: one still in use after D (fail), two not (warn).
    def inventory_item(name: str, sku: str | None, qty: int, cost: str, account: str) -> QboItemRec:
        when = created(rng.randint(500, 1200))
        return b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=name,
                type="Inventory",
                sku=sku,
                qty_on_hand=Decimal(qty),
                purchase_cost=Decimal(cost),
                unit_price=cents(Decimal(cost) * Decimal("1.8")),
                asset_account_id=chart[account],
                expense_account_id=chart["cogs"],
                income_account_id=chart["sales_income"],
                inv_start_date=when.date(),
                create_time=when,
                update_time=when,
            )
        )

    lantern = inventory_item("Legacy Lantern Kit", "LANT-KIT-OLD", 12, "36.40", "inventory_asset")
    cooler = inventory_item("Cooler 45qt (old SKU)", "CLR-45-OLD", 7, "79.15", "inventory_asset")
    rack = inventory_item("Display Rack - Wood", None, 2, "210.00", "inventory_asset_2")
    # Deleted long ago: QBO wrote its stock off and renamed it; its Sku is still a Finale productId.
    fuel = inventory_item("Camp Fuel 8 oz (deleted)", "FUEL-8OZ", 0, "4.25", "inventory_asset")
    fuel.active = False

    # --- Services and non-inventory items; a few made recently by hand (not a burst).
    service_ids: dict[str, str] = {}
    for kind, names in (("Service", DEMO_SERVICES), ("NonInventory", DEMO_NON_INVENTORY)):
        for name in names:
            days_ago = {"Sticker Pack": 45, "Warranty - 1 year": 31}.get(name, rng.randint(300, 1600))
            when = created(days_ago, rng.randint(8, 17))
            price = rand_cents(rng, 5, 120) if not name.startswith("Gift Card") else Decimal(name[11:]) + ZERO
            item = b.add_item(
                QboItemRec(
                    id=b.new_id(),
                    name=name,
                    type=kind,
                    unit_price=price,
                    purchase_cost=cents(price * Decimal("0.4")) if kind == "NonInventory" else ZERO,
                    income_account_id=chart["services_income"] if kind == "Service" else chart["sales_income"],
                    expense_account_id=chart["supplies_expense"] if kind == "NonInventory" else None,
                    create_time=when,
                    update_time=when,
                )
            )
            service_ids[name] = item.id
    planted["duplicate_names"] = [
        {
            "ids": [service_ids["Gift Wrapping"], service_ids["gift  wrapping "]],
            "names": ["Gift Wrapping", "gift  wrapping "],
        }
    ]
    planted["type_collisions"] = [
        {
            "qbo_item_id": service_ids["HAT-SUN-OS"],
            "qbo_name": "HAT-SUN-OS",
            "qbo_type": "NonInventory",
            "finale_product_id": "HAT-SUN-OS",
        }
    ]
    planted["case_collisions"] = case_collisions

    # --- A burst of NonInventory items another app (a Shopify connector) created ten days ago.
    burst_start = datetime.combine(today - timedelta(days=10), time(14, 2, 11))
    burst_ids: list[str] = []
    for k in range(25):
        when = burst_start + timedelta(seconds=7 * k + rng.randint(0, 5))
        item = b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=f"SHOPIFY-{rng.randint(10**10, 10**11 - 1)}",
                type="NonInventory",
                description="Created by Shopify Connector",
                unit_price=rand_cents(rng, 8, 90),
                income_account_id=chart["sales_income"],
                create_time=when,
                update_time=when,
            )
        )
        burst_ids.append(item.id)
    last_burst = max(b.items_by_id[i].create_time for i in burst_ids)
    planted.update(
        other_app_burst_count=len(burst_ids),
        other_app_burst_item_ids=burst_ids,
        other_app_burst_window=(burst_start, last_burst),
    )

    # --- Ledger: opening cash, then transactions before and after D.
    start = qbo.company_start_date
    b.post(
        start,
        "Opening balance",
        [(chart["checking"], Decimal("48210.55")), (chart["opening_balance_equity"], Decimal("-48210.55"))],
    )
    svc = service_ids
    # The deleted item's stock was written off to shrinkage when it was made inactive.
    fuel_gone = today - timedelta(days=rng.randint(400, 430))
    b.txn(
        "InventoryAdjustment",
        fuel_gone,
        "ADJ-1007",
        [(fuel.id, Decimal(-40))],
        note="Inventory quantity adjustment (item deactivated)",
        adjust_account_id=chart["shrinkage"],
    )
    fuel.update_time = datetime.combine(fuel_gone, time(16, 40))

    doc = iter(range(1041, 10_000))
    restock = [item for item in matched.values() if item.qty_on_hand]
    for group in (restock[0:4], restock[4:8], restock[8:]):
        billed = enable - timedelta(days=rng.randint(60, 100))
        txn_lines = [(it.id, min(Decimal(rng.randint(6, 30)), it.qty_on_hand or Decimal(0))) for it in group]
        b.txn("PurchaseOrder", billed - timedelta(days=12), f"PO-{next(doc)}", txn_lines)
        b.txn("Bill", billed, f"B-{next(doc)}", txn_lines)
    b.txn("Bill", enable - timedelta(days=48), f"B-{next(doc)}", [(lantern.id, Decimal(10))])
    b.txn("Bill", enable - timedelta(days=150), f"B-{next(doc)}", [(cooler.id, Decimal(5))])
    b.txn(
        "Invoice",
        enable - timedelta(days=121),
        f"{next(doc)}",
        [(cooler.id, Decimal(3)), (svc["Shipping"], Decimal(1))],
    )
    wholesale = list(matched.values())
    for k in range(5):
        picks = rng.sample(wholesale, 3)
        txn_lines = [(it.id, Decimal(rng.randint(2, 8))) for it in picks] + [(svc["Shipping"], Decimal(1))]
        billed = enable - timedelta(days=rng.randint(8, 110))
        b.txn("Invoice", billed, f"{next(doc)}", txn_lines, note=f"Wholesale order {k + 1}")
    for _ in range(6):
        sold = enable - timedelta(days=rng.randint(5, 90))
        txn_lines = [
            (rng.choice(wholesale).id, Decimal(1)),
            (svc[rng.choice(DEMO_SERVICES[4:14])], Decimal(1)),
        ]
        b.txn("SalesReceipt", sold, f"{next(doc)}", txn_lines)
    b.txn("Bill", enable - timedelta(days=33), f"B-{next(doc)}", [(svc["Store Supplies"], Decimal(3))])
    # After D: the unknown lantern is still bought and sold in QBO (the inventory-items check must fail).
    lantern_po = b.txn(
        "PurchaseOrder",
        enable + timedelta(days=2),
        f"PO-{next(doc)}",
        [(lantern.id, Decimal(20)), (svc["Shipping Boxes (bundle)"], Decimal(2))],
    )
    lantern_inv = b.txn(
        "Invoice",
        enable + timedelta(days=5),
        f"{next(doc)}",
        [(lantern.id, Decimal(4)), (svc["Shipping"], Decimal(1))],
    )
    assert lantern_po.txn_date <= today and lantern_inv.txn_date <= today
    b.txn(
        "SalesReceipt",
        enable + timedelta(days=3),
        f"{next(doc)}",
        [(svc["Guided Hike (half day)"], Decimal(2))],
    )
    b.txn("Bill", enable + timedelta(days=1), f"B-{next(doc)}", [(svc["Store Supplies"], Decimal(2))])
    # The sales receipts before D were deposited.
    deposited = sum(
        (
            ln.amount
            for t in qbo.transactions
            if t.entity == "SalesReceipt" and t.txn_date < enable - timedelta(days=2)
            for ln in t.lines
        ),
        ZERO,
    )
    b.journal(
        enable - timedelta(days=2),
        "JE-214",
        "Deposit of undeposited funds",
        [(chart["checking"], deposited), (chart["undeposited_funds"], -deposited)],
    )
    b.post_inventory_openings()
    qbo.ledger.sort(key=lambda p: p.txn_date)

    planted["items_to_deactivate"] = to_deactivate
    planted["total_to_expense"] = sum((item_value(i) for i in matched.values()), ZERO)
    fail_row = not_in_finale_row(lantern)
    fail_row["transactions"] = txn_refs(qbo, lantern.id, enable)
    planted["inventory_items_not_in_finale_fail"] = [fail_row]
    planted["inventory_items_not_in_finale_warn"] = [not_in_finale_row(cooler), not_in_finale_row(rack)]
    planted["ignored_inactive_items"] = [fuel.id]

    finale = demo_finale(rng, today, enable, planted)
    # Opening balance: QBO on D-1 against Finale's value on D-1.
    by_account = b.inventory_balance(d1)
    qbo_d1 = sum(by_account.values(), ZERO)
    difference = rand_cents(rng, 1500, 6000)
    finale_d1 = qbo_d1 + difference
    finale.inventory_value_history = value_history(rng, enable, today, finale_d1)
    planted.update(
        qbo_inventory_balance_d1=qbo_d1,
        qbo_inventory_balance_d1_by_account=by_account,
        qbo_inventory_value_today=sum((item_value(i) for i in qbo.items if i.type == "Inventory"), ZERO),
        finale_inventory_value_d1=finale_d1,
        opening_balance_difference=difference,
    )
    add_counts(planted)
    return SandboxCompany(qbo, finale, planted)
