"""Large companies for benchmarks: a given size, with a sprinkling of every problem."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sandbox.company import QboCompanyRec, QboItemRec, SandboxCompany
from sandbox.generate.builder import QboBuilder
from sandbox.generate.common import ZERO, book_close_date_for, demo_enable_date, rand_cents
from sandbox.generate.large_finale import large_finale
from sandbox.generate.planted import (
    add_counts,
    deactivation_row,
    item_value,
    not_in_finale_row,
    txn_refs,
    value_history,
)


def large_company(
    *, items: int = 50_000, products: int = 100_000, sales_orders: int = 200_000, today: date, seed: int = 7
) -> SandboxCompany:
    """A company of the given size with a sprinkling of every problem, for benchmarks.

    `items` QBO items, `products` Finale products and `sales_orders` Finale sales orders, exactly. Objects
    that repeat (dates, datetimes, Decimals, account ids, names) are shared to keep memory down; the planted
    facts use the same keys as the demo's. Sales orders carry no shipment ids.
    """
    if items < 200 or products < 1_000 or sales_orders < 100:
        raise ValueError("a large company needs at least 200 items, 1,000 products and 100 sales orders")
    rng = random.Random(seed)
    rand = rng.random
    enable = demo_enable_date(today)
    d1 = enable - timedelta(days=1)
    close = book_close_date_for(enable)
    qbo = QboCompanyRec(
        realm_id=str(9_130_000_000_000_000 + seed),
        company_name=f"Benchmark Outdoor {seed}",
        legal_name=f"Benchmark Outdoor {seed} Inc.",
        company_start_date=date(today.year - 6, 1, 1),
        book_close_date=close,
    )
    b = QboBuilder(qbo)
    chart = b.add_chart()
    planted: dict[str, object] = {
        "enable_date": enable,
        "book_close_date": close,
        "accounts": dict(chart.ids),
    }

    product_ids = [f"P{i:06d}" for i in range(products)]
    n_inv = min(items // 10, products // 2)
    costs = [Decimal(c).scaleb(-2) for c in range(125, 25_000, 83)]  # shared purchase costs, 1.25 .. 249.xx
    qtys = [Decimal(q) for q in range(0, 401)]
    long_ago = datetime.combine(today - timedelta(days=900), time(10, 15))
    created_pool = [long_ago + timedelta(days=k, minutes=37 * k) for k in range(0, 700, 7)]
    inv_start = today - timedelta(days=800)
    asset_ids = (chart["inventory_asset"], chart["inventory_asset_2"])
    cogs, income, services_income = chart["cogs"], chart["sales_income"], chart["services_income"]
    shrinkage = chart["shrinkage"]

    # --- Inventory items: index i belongs to product i unless it is unknown to Finale or deleted.
    to_deactivate: list[dict[str, object]] = []
    case_collisions: list[dict[str, object]] = []
    fail_items: list[QboItemRec] = []
    warn_items: list[QboItemRec] = []
    matched_items: list[QboItemRec] = []
    deleted_ids: list[str] = []
    for i in range(n_inv):
        pid = product_ids[i]
        name, sku, matched_on = pid, None, "name"
        role = "matched"
        if i % 250 == 17:
            name, sku, role = f"OLD-{pid}", f"X{i}", "fail"
        elif i % 250 == 113:
            name, sku, role = f"OLD-{pid}", None, "warn"
        elif i % 100 == 42:
            name, sku, role = f"Item {pid} (deleted)", pid, "deleted"
        else:
            variant = i % 20
            if variant in (14, 15, 16):
                name, sku, matched_on = f"Item {pid}", pid, "sku"
            elif variant == 17:
                name = pid.lower()
            elif variant == 18:
                name, sku, matched_on = f"Item {pid}", " " + pid.lower(), "sku"
            elif variant == 19:
                name = pid + " "
        cost = costs[i % len(costs)]
        created_at = created_pool[i % len(created_pool)]
        item = b.add_item(
            QboItemRec(
                id=b.new_id(),
                name=name,
                type="Inventory",
                active=role != "deleted",
                sku=sku,
                qty_on_hand=qtys[0] if role == "deleted" else qtys[int(rand() * 60) + 1 if i % 37 else 0],
                purchase_cost=cost,
                unit_price=cost,
                asset_account_id=asset_ids[i % 2],
                expense_account_id=cogs,
                income_account_id=income,
                inv_start_date=inv_start,
                create_time=created_at,
                update_time=created_at,
            )
        )
        if role == "matched":
            matched_items.append(item)
            to_deactivate.append(deactivation_row(item, pid, matched_on, shrinkage))
            compared = name if matched_on == "name" else sku
            if compared != pid:
                case_collisions.append(
                    {
                        "qbo_item_id": item.id,
                        "qbo_name": name,
                        "qbo_type": "Inventory",
                        "field": matched_on,
                        "finale_product_id": pid,
                    }
                )
        elif role == "fail":
            fail_items.append(item)
        elif role == "warn":
            warn_items.append(item)
        else:
            deleted_ids.append(item.id)

    # --- Other items: a burst by another app, duplicate pairs, type collisions, then plain services.
    n_burst = max(25, items // 2_000)
    n_dup = max(1, items // 2_500)
    n_collide = max(1, items // 2_500)
    burst_start = datetime.combine(today - timedelta(days=10), time(14, 2, 11))
    burst_ids: list[str] = []
    for k in range(n_burst):
        when = burst_start + timedelta(seconds=k * 240 // n_burst)  # all within four minutes
        item = b.add_item(
            QboItemRec(
                b.new_id(),
                f"SHOPIFY-{k:05d}",
                "NonInventory",
                income_account_id=income,
                create_time=when,
                update_time=when,
            )
        )
        burst_ids.append(item.id)
    duplicates: list[dict[str, object]] = []
    for k in range(n_dup):
        names = [f"Svc Fee {k}", f" svc  fee {k}"]
        ids = []
        for name in names:
            created_at = created_pool[k % len(created_pool)]
            item = b.add_item(
                QboItemRec(
                    b.new_id(),
                    name,
                    "Service",
                    income_account_id=services_income,
                    create_time=created_at,
                    update_time=created_at,
                )
            )
            ids.append(item.id)
        duplicates.append({"ids": ids, "names": names})
    collisions: list[dict[str, object]] = []
    for k in range(n_collide):
        index = n_inv + 1 + 7 * k
        pid = product_ids[index + 1 if index % 50 == 49 else index]  # an active product
        created_at = created_pool[k % len(created_pool)]
        item = b.add_item(
            QboItemRec(
                b.new_id(),
                pid,
                "NonInventory",
                income_account_id=income,
                create_time=created_at,
                update_time=created_at,
            )
        )
        collisions.append(
            {"qbo_item_id": item.id, "qbo_name": pid, "qbo_type": "NonInventory", "finale_product_id": pid}
        )
    service_ids: list[str] = []
    for k in range(items - len(qbo.items)):
        created_at = created_pool[k % len(created_pool)]
        item_type = "Service" if k % 3 else "NonInventory"
        item = b.add_item(
            QboItemRec(
                b.new_id(),
                f"S{k}",
                item_type,
                unit_price=costs[k % len(costs)],
                income_account_id=services_income,
                expense_account_id=chart["supplies_expense"],
                create_time=created_at,
                update_time=created_at,
            )
        )
        service_ids.append(item.id)
    planted.update(
        other_app_burst_count=n_burst,
        other_app_burst_item_ids=burst_ids,
        other_app_burst_window=(burst_start, b.items_by_id[burst_ids[-1]].create_time),
        duplicate_names=duplicates,
        type_collisions=collisions,
        case_collisions=case_collisions,
    )

    # --- Transactions: restocks and wholesale invoices before D, the unknown items still in use after D.
    b.post(
        qbo.company_start_date,
        "Opening balance",
        [(chart["checking"], Decimal("250000.00")), (chart["opening_balance_equity"], Decimal("-250000.00"))],
    )
    one, two = qtys[1], qtys[2]
    for start in range(0, len(matched_items), 25):
        group = matched_items[start : start + 25]
        billed = enable - timedelta(days=20 + start % 90)
        b.txn("Bill", billed, f"B-{start}", [(it.id, min(qtys[10], it.qty_on_hand or one)) for it in group])
        b.txn("Invoice", billed + timedelta(days=3), f"I-{start}", [(it.id, two) for it in group])
    for k, item in enumerate(warn_items):
        if k % 2 == 0:
            b.txn("Bill", enable - timedelta(days=120), f"BW-{k}", [(item.id, one)])
    for k, item in enumerate(fail_items):
        b.txn("PurchaseOrder", enable + timedelta(days=2), f"PO-F{k}", [(item.id, qtys[5])])
        b.txn("Invoice", enable + timedelta(days=5), f"I-F{k}", [(item.id, one)])
    for k in range(min(50, len(service_ids))):
        b.txn("SalesReceipt", enable + timedelta(days=k % 10), f"SR-{k}", [(service_ids[k], one)])
    b.post_inventory_openings(aggregate=True)
    qbo.ledger.sort(key=lambda p: p.txn_date)

    planted["items_to_deactivate"] = to_deactivate
    planted["total_to_expense"] = sum((item_value(i) for i in matched_items), ZERO)
    fail_rows = []
    for item in fail_items:
        row = not_in_finale_row(item)
        row["transactions"] = txn_refs(qbo, item.id, enable)
        fail_rows.append(row)
    planted["inventory_items_not_in_finale_fail"] = fail_rows
    planted["inventory_items_not_in_finale_warn"] = [not_in_finale_row(i) for i in warn_items]
    planted["ignored_inactive_items"] = deleted_ids

    finale = large_finale(
        rng,
        seed=seed,
        today=today,
        enable=enable,
        product_ids=product_ids,
        n_inv=n_inv,
        costs=costs,
        qtys=qtys,
        sales_orders=sales_orders,
        planted=planted,
    )

    by_account = b.inventory_balance(d1)
    qbo_d1 = sum(by_account.values(), ZERO)
    difference = -rand_cents(rng, 2_000, 20_000)
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
