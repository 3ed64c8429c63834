"""The demo company's Finale account: products, stock, sales orders and invoices."""

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
from sandbox.generate.catalog import (
    DEMO_ACCOUNT_PATH,
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_CUSTOMERS,
    DEMO_DAILY_ORDERS,
    DEMO_INACTIVE_PRODUCTS,
    DEMO_PRODUCTS,
    FACILITIES,
    WHOLESALE_CUSTOMERS,
)
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


def demo_finale(rng: random.Random, today: date, enable: date, planted: dict[str, object]) -> FinaleAccountRec:
    d1 = enable - timedelta(days=1)

    def created(days_ago: int, hour: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, rng.randint(0, 59), rng.randint(0, 59)))

    finale = FinaleAccountRec(DEMO_ACCOUNT_PATH, DEMO_API_KEY, DEMO_API_SECRET, facilities=list(FACILITIES))
    without_cost: list[dict[str, object]] = []
    for product_id, name, cost_text in (*DEMO_PRODUCTS, *DEMO_INACTIVE_PRODUCTS):
        active = (product_id, name, cost_text) in DEMO_PRODUCTS
        made = created(rng.randint(600, 1700), rng.randint(8, 18))
        average = Decimal(cost_text) if cost_text is not None else None
        since = made.date() + timedelta(days=rng.randint(0, 20)) if average is not None else None
        if product_id == "TPOLE-CRB":
            since = d1  # set the day before D: established in time
        reason = None
        if product_id == "HAMMOCK-DBL":
            made = datetime.combine(enable + timedelta(days=3), time(11, 5))
            since, reason = enable + timedelta(days=4), "after_enable_date"
        elif product_id == "TARP-10X10":
            since, reason = enable + timedelta(days=9), "after_enable_date"
        elif active and average is None:
            reason = "none"
        elif active and average is not None and average <= 0:
            average, reason = ZERO, "zero"
        rec = FinaleProductRec(
            product_id=product_id,
            internal_name=name,
            active=active,
            average_cost=average,
            average_cost_since=since,
            item_cost=Decimal("11.30") if product_id == "GAITER-TRL" else (average if rng.random() < 0.5 else None),
            created_date=made,
            last_updated=made + timedelta(days=rng.randint(0, 90)),
        )
        finale.products.append(rec)
        if reason is not None:
            without_cost.append(
                {
                    "product_id": product_id,
                    "average_cost": average,
                    "average_cost_since": since,
                    "reason": reason,
                }
            )
    planted["products_without_average_cost"] = without_cost

    # Stock: on-hand rows per product and sublocation (some by lot), plus on-order and reserved rows.
    fac_a, fac_b, bulk = (f.facility_id for f in FACILITIES)
    special = {"FUEL-16OZ", "SUNSCR-SPF50", "HDLMP-500", "BUGSPR-4OZ"}
    active_ids = [p for p, _, _ in DEMO_PRODUCTS]
    for product_id in active_ids:
        if product_id in special:
            continue
        home = rng.choice(FACILITIES).facility_id
        finale.stock.append(FinaleStockRec(product_id, home, quantity_on_hand=Decimal(rng.randint(4, 160))))
        if rng.random() < 0.35:
            other = fac_b if home != fac_b else bulk
            finale.stock.append(FinaleStockRec(product_id, other, quantity_on_hand=Decimal(rng.randint(1, 60))))
    for product_id, _, _ in DEMO_INACTIVE_PRODUCTS[:3]:
        finale.stock.append(FinaleStockRec(product_id, bulk, quantity_on_hand=Decimal(rng.randint(1, 5))))
    finale.stock += [
        # One plain negative row.
        FinaleStockRec("FUEL-16OZ", fac_a, quantity_on_hand=Decimal(-4)),
        # Lots that net out below zero.
        FinaleStockRec("SUNSCR-SPF50", bulk, quantity_on_hand=Decimal(10), lot_id="L-2406"),
        FinaleStockRec("SUNSCR-SPF50", bulk, quantity_on_hand=Decimal(-13), lot_id="L-2409"),
        FinaleStockRec("SUNSCR-SPF50", fac_a, quantity_on_hand=Decimal(24), lot_id="L-2409"),
        # Negative on one shelf, positive overall: only the per-sublocation view finds it.
        FinaleStockRec("HDLMP-500", fac_b, quantity_on_hand=Decimal(-6)),
        FinaleStockRec("HDLMP-500", fac_a, quantity_on_hand=Decimal(20)),
        # One negative lot, but the sublocation is positive: not a finding.
        FinaleStockRec("BUGSPR-4OZ", bulk, quantity_on_hand=Decimal(12), lot_id="L-2403"),
        FinaleStockRec("BUGSPR-4OZ", bulk, quantity_on_hand=Decimal(-2), lot_id="L-2407"),
    ]
    planted["negative_stock"] = [
        {"product_id": "FUEL-16OZ", "facility_id": fac_a, "sublocation": "Shelf A", "qty": Decimal(-4)},
        {
            "product_id": "SUNSCR-SPF50",
            "facility_id": bulk,
            "sublocation": "Bulk Storage",
            "qty": Decimal(-3),
        },
        {"product_id": "HDLMP-500", "facility_id": fac_b, "sublocation": "Shelf B", "qty": Decimal(-6)},
    ]

    # Sales orders over the three months before D and the weeks since.
    prices = {p: cents(Decimal(c or "10") * Decimal("2.1")) for p, _, c in DEMO_PRODUCTS}
    sellable = [p for p in active_ids if p not in {"HAMMOCK-DBL"}]
    first_day = first_of_month(enable, -3)
    drafts: list[tuple[datetime, str | None, str, bool]] = []  # when, source, status, invoiced
    day = first_day
    while day <= today:
        for source, base, extra in DEMO_DAILY_ORDERS:
            for _ in range(base + (rng.random() < extra)):
                when = datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)))
                if rng.random() < 0.03:
                    status = CANCELLED
                elif day >= today - timedelta(days=2):
                    status = rng.choice((CREATED, LOCKED))
                else:
                    status = COMPLETED
                # Amazon invoicing was never set up; a few old orders were never invoiced either.
                invoiced = status == COMPLETED and source != "Amazon" and (day >= enable or rng.random() > 0.02)
                drafts.append((when, source, status, invoiced))
        day += timedelta(days=1)
    # Around midnight of D: the order just before does not count, the one just after does.
    drafts.append((datetime.combine(d1, time(23, 40)), "Shopify", COMPLETED, False))
    drafts.append((datetime.combine(enable, time(0, 15)), "Phone", COMPLETED, False))
    drafts.sort(key=lambda d: d[0])
    # A dozen completed orders since D lost their invoices: 7 from Shopify, 5 from Phone (one is above).
    for source, count in (("Shopify", 7), ("Phone", 4)):
        candidates = [
            i for i, d in enumerate(drafts) if d[1] == source and d[2] == COMPLETED and d[3] and d[0].date() >= enable
        ]
        for i in rng.sample(candidates, count):
            drafts[i] = (*drafts[i][:3], False)

    for n, (when, source, status, invoiced) in enumerate(drafts):
        order_id = str(10001 + n)
        lines = [
            FinaleOrderItemRec(p, Decimal(rng.randint(1, 3)), prices[p])
            for p in rng.sample(sellable, 1 if rng.random() < 0.7 else 2)
        ]
        if source == "Wholesale":
            customer = rng.choice(WHOLESALE_CUSTOMERS)
            lines = [
                FinaleOrderItemRec(ln.product_id, ln.quantity * 6, cents(ln.unit_price * Decimal("0.7")))
                for ln in lines
            ]
        elif source == "Amazon":
            customer = "Amazon Customer"
        else:
            customer = rng.choice(DEMO_CUSTOMERS)
        order = FinaleOrderRec(order_id, SALES_ORDER, status, when, source, customer, lines, last_updated=when)
        if status == COMPLETED:
            order.shipment_ids.append(str(60001 + n))
            order.last_updated = when + timedelta(hours=rng.randint(2, 30))
        if invoiced:
            invoice = FinaleInvoiceRec(str(30001 + n), order_id, when + timedelta(hours=rng.randint(1, 20)))
            finale.invoices.append(invoice)
            order.invoice_ids.append(invoice.invoice_id)
        if status == LOCKED:
            for ln in lines:
                finale.stock.append(
                    FinaleStockRec(ln.product_id, fac_a, quantity_reserved=ln.quantity, order_id=order_id)
                )
        finale.orders.append(order)

    # Purchase orders: open ones put stock on order, which is not on hand.
    for k, product_id in enumerate(("TENT-4P-GRN", "MEAL-CHILI-2S", "FUEL-16OZ", "PACK-65L-BLK")):
        po_id = str(90001 + k)
        status = COMPLETED if k == 0 else LOCKED
        when = datetime.combine(enable - timedelta(days=40) if k == 0 else today - timedelta(days=3 + k), time(9, 30))
        po_qty = Decimal(rng.randint(12, 48))
        po_cost = Decimal(next(c for p, _, c in DEMO_PRODUCTS if p == product_id) or "1")
        finale.orders.append(
            FinaleOrderRec(
                po_id,
                PURCHASE_ORDER,
                status,
                when,
                None,
                "Granite Peak Supply",
                [FinaleOrderItemRec(product_id, po_qty, po_cost)],
                last_updated=when,
            )
        )
        if status == LOCKED:
            finale.stock.append(FinaleStockRec(product_id, bulk, quantity_on_order=po_qty, order_id=po_id))

    orders_without: dict[str, list[str]] = {}
    for o in finale.orders:
        if (
            o.order_type == SALES_ORDER
            and o.status == COMPLETED
            and o.order_date.date() >= enable
            and not o.invoice_ids
        ):
            assert o.sale_source is not None
            orders_without.setdefault(o.sale_source, []).append(o.order_id)
    planted["orders_without_invoice"] = orders_without
    planted["sources_without_invoicing"] = ["Amazon"]
    volume, average_volume = monthly_volume(finale.orders, enable)
    planted["monthly_order_volume"] = volume
    planted["monthly_invoice_volume"] = average_volume

    return finale
