"""The Finale side of a large company: products, stock with planted negatives, and sales orders."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sandbox.company import (
    FinaleAccountRec,
    FinaleInvoiceRec,
    FinaleOrderItemRec,
    FinaleOrderRec,
    FinaleProductRec,
    FinaleStockRec,
)
from sandbox.generate.catalog import FACILITIES, LARGE_NAMES, LARGE_SOURCES
from sandbox.generate.common import (
    CANCELLED,
    COMPLETED,
    CREATED,
    LOCKED,
    PURCHASE_ORDER,
    SALES_ORDER,
    ZERO,
    cents,
    first_of_month,
)
from sandbox.generate.planted import monthly_volume


def large_finale(
    rng: random.Random,
    *,
    seed: int,
    today: date,
    enable: date,
    product_ids: list[str],
    n_inv: int,
    costs: list[Decimal],
    qtys: list[Decimal],
    sales_orders: int,
    planted: dict[str, object],
) -> FinaleAccountRec:
    """The Finale account of `large_company`, drawing from its `rng` after the QBO side (the order matters)."""
    rand = rng.random
    products = len(product_ids)
    # --- Finale products: every 500th lacks an average cost as of D; some past the QBO range are inactive.
    finale = FinaleAccountRec(f"bench{seed}", f"bench-key-{seed}", f"bench-secret-{seed}", facilities=list(FACILITIES))
    made = datetime.combine(today - timedelta(days=1000), time(9, 0))
    since_old = (made + timedelta(days=2)).date()
    since_late = enable + timedelta(days=9)
    without_cost: list[dict[str, object]] = []
    active_ids: list[str] = []
    for i, pid in enumerate(product_ids):
        active = not (i >= n_inv and i % 50 == 49)
        average: Decimal | None = costs[i % len(costs)]
        since: date | None = since_old
        if active and i % 500 == 250:
            reason = ("none", "zero", "after_enable_date")[(i // 500) % 3]
            if reason == "none":
                average, since = None, None
            elif reason == "zero":
                average = ZERO
            else:
                since = since_late
            without_cost.append(
                {"product_id": pid, "average_cost": average, "average_cost_since": since, "reason": reason}
            )
        finale.products.append(
            FinaleProductRec(pid, LARGE_NAMES[i % len(LARGE_NAMES)], active, average, since, None, made, made)
        )
        if active:
            active_ids.append(pid)
    planted["products_without_average_cost"] = without_cost

    # --- Stock: on-hand rows (some by lot), with negatives every 1,000 products.
    fac = [f.facility_id for f in FACILITIES]
    fac_names = {f.facility_id: f.name for f in FACILITIES}
    stock = finale.stock
    lot_a, lot_b = "L-A", "L-B"
    negatives: list[dict[str, object]] = []
    n_po = max(1, products // 1_000)
    po_lines: list[list[FinaleOrderItemRec]] = [[] for _ in range(n_po)]
    for i, pid in enumerate(product_ids):
        home = fac[i % 3]
        problem = i % 1_000
        if problem == 500:
            stock.append(FinaleStockRec(pid, home, qtys[4] * -1))
            negatives.append(
                {"product_id": pid, "facility_id": home, "sublocation": fac_names[home], "qty": Decimal(-4)}
            )
            continue
        if problem == 600:
            stock.append(FinaleStockRec(pid, fac[2], qtys[10], lot_id=lot_a))
            stock.append(FinaleStockRec(pid, fac[2], -qtys[13], lot_id=lot_b))
            negatives.append(
                {
                    "product_id": pid,
                    "facility_id": fac[2],
                    "sublocation": fac_names[fac[2]],
                    "qty": Decimal(-3),
                }
            )
            continue
        if problem == 700:
            stock.append(FinaleStockRec(pid, fac[1], -qtys[6]))
            stock.append(FinaleStockRec(pid, fac[0], qtys[20]))
            negatives.append(
                {
                    "product_id": pid,
                    "facility_id": fac[1],
                    "sublocation": fac_names[fac[1]],
                    "qty": Decimal(-6),
                }
            )
            continue
        if i % 40 == 7:  # one lot below zero, the sublocation above: not a finding
            stock.append(FinaleStockRec(pid, home, qtys[12], lot_id=lot_a))
            stock.append(FinaleStockRec(pid, home, -qtys[2], lot_id=lot_b))
        elif i % 20 == 3:
            stock.append(FinaleStockRec(pid, home, qtys[int(rand() * 200) + 1], lot_id=lot_a))
            stock.append(FinaleStockRec(pid, home, qtys[int(rand() * 200) + 1], lot_id=lot_b))
        else:
            stock.append(FinaleStockRec(pid, home, qtys[int(rand() * 200) + 1]))
        if i % 5 == 0:
            stock.append(FinaleStockRec(pid, fac[(i + 1) % 3], qtys[int(rand() * 60) + 1]))
        if i % 10 == 4:
            po = i // 10 % n_po
            stock.append(FinaleStockRec(pid, fac[2], quantity_on_order=qtys[24], order_id=str(9_000_001 + po)))
            po_lines[po].append(FinaleOrderItemRec(pid, qtys[24], costs[i % len(costs)]))
    planted["negative_stock"] = negatives

    # --- Sales orders spread evenly from three months before D to today.
    first_day = first_of_month(enable, -3)
    span = (today - first_day).days + 1
    slots = [[datetime.combine(first_day + timedelta(days=d), time(8 + h)) for h in range(12)] for d in range(span)]
    open_from = (today - timedelta(days=2) - first_day).days
    enable_index = (enable - first_day).days
    sellable = active_ids
    n_sellable = len(sellable)
    prices = [cents(c * 2) for c in costs]
    orders = finale.orders
    invoices = finale.invoices
    orders_without: dict[str, list[str]] = {}
    for n in range(sales_orders):
        d = n * span // sales_orders
        when = slots[d][n % 12]
        r = rand()
        source = next(s for limit, s in LARGE_SOURCES if r < limit)
        r = rand()
        if r < 0.02:
            status = CANCELLED
        elif d >= open_from:
            status = LOCKED if n % 2 else CREATED
        else:
            status = COMPLETED
        order_id = str(1_000_001 + n)
        p = int(rand() * n_sellable)
        line = FinaleOrderItemRec(sellable[p], qtys[1 + n % 3], prices[p % len(prices)])
        order = FinaleOrderRec(order_id, SALES_ORDER, status, when, source, None, [line], [], [], when)
        orders.append(order)
        if status == LOCKED:
            stock.append(FinaleStockRec(line.product_id, fac[0], quantity_reserved=line.quantity, order_id=order_id))
        if status != COMPLETED or source == "Amazon":
            if status == COMPLETED and d >= enable_index:
                orders_without.setdefault("Amazon", []).append(order_id)
            continue
        if d >= enable_index:
            missing = source in ("Shopify", "Phone") and r > 0.997
            if missing:
                assert source is not None
                orders_without.setdefault(source, []).append(order_id)
                continue
        elif r > 0.99:
            continue  # never invoiced, but before D: not a finding
        invoice_id = str(5_000_001 + n)
        invoices.append(FinaleInvoiceRec(invoice_id, order_id, when))
        order.invoice_ids.append(invoice_id)
    for po, lines in enumerate(po_lines):
        if lines:
            when = slots[max(0, open_from - 5)][0]
            orders.append(
                FinaleOrderRec(
                    str(9_000_001 + po),
                    PURCHASE_ORDER,
                    LOCKED,
                    when,
                    None,
                    "Bench Supplier",
                    lines,
                    last_updated=when,
                )
            )
    planted["orders_without_invoice"] = orders_without
    planted["sources_without_invoicing"] = ["Amazon"] if "Amazon" in orders_without else []
    volume, average_volume = monthly_volume(orders, enable)
    planted["monthly_order_volume"] = volume
    planted["monthly_invoice_volume"] = average_volume
    return finale
