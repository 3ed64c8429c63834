"""Finale accounts built by hand for the simulator's and the client's tests (no generator involved)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sandbox.company import (
    FinaleAccountRec,
    FinaleFacilityRec,
    FinaleInvoiceRec,
    FinaleOrderItemRec,
    FinaleOrderRec,
    FinaleProductRec,
    FinaleStockRec,
)

KEY = "key-3f9a"
SECRET = "secret-8c21-do-not-show"
QUOTED = 'Bolt 3/8" "heavy" l\'acier'
UNICODE_ID = "TÉ-ÜBER-日本"


def small_account(path: str = "acmegoods") -> FinaleAccountRec:
    """A few of everything, with the awkward cases the checks must survive."""
    d = Decimal
    products = [
        FinaleProductRec("W-100", "Widget", average_cost=d("1234.5"), average_cost_since=date(2024, 1, 1)),
        FinaleProductRec("B-3/8", QUOTED, average_cost=d("0.1275"), average_cost_since=date(2023, 6, 1)),
        FinaleProductRec(UNICODE_ID, "Thé vert «premium» 日本茶", average_cost=d("12"), average_cost_since=None),
        # Established only after the usual as-of date of the tests.
        FinaleProductRec("LATE-1", "Late costed", average_cost=d("5.00"), average_cost_since=date(2024, 3, 15)),
        FinaleProductRec("NOCOST", "Never costed", average_cost=None),
        FinaleProductRec(
            "OLD-9", "Discontinued", active=False, average_cost=d("2.50"), average_cost_since=date(2020, 1, 1)
        ),
    ]
    facilities = [
        FinaleFacilityRec("10000", "Shelf A", parent_name="Main warehouse"),
        FinaleFacilityRec("10001", "Back room «B»", parent_name="Main warehouse"),
        FinaleFacilityRec("10002", "Annex", parent_name="Overflow"),
    ]
    stock = [
        FinaleStockRec("W-100", "10000", quantity_on_hand=d("10")),
        FinaleStockRec("W-100", "10001", quantity_on_hand=d("-3.25")),
        FinaleStockRec("B-3/8", "10000", quantity_on_hand=d("0.125"), lot_id="LOT-7"),
        FinaleStockRec(UNICODE_ID, "10002", quantity_on_hand=d("-0.001")),
        # Not on hand: on order for a purchase order, reserved for a sales order.
        FinaleStockRec("W-100", "10000", quantity_on_order=d("50"), order_id="PO-1"),
        FinaleStockRec("NOCOST", "10000", quantity_reserved=d("2"), order_id="SO-1"),
    ]
    orders = [
        FinaleOrderRec(
            "SO-1",
            "SALES_ORDER",
            "ORDER_COMPLETED",
            datetime(2024, 2, 1, 10, 30),
            sale_source="Shopify",
            items=[FinaleOrderItemRec("W-100", d("2"), d("19.99"))],
            invoice_ids=["INV-1"],
            last_updated=datetime(2024, 2, 2, 8, 0),
        ),
        FinaleOrderRec(
            "SO-2",
            "SALES_ORDER",
            "ORDER_LOCKED",
            datetime(2024, 2, 29, 23, 59, 59),
            sale_source=None,
            items=[FinaleOrderItemRec("B-3/8", d("3"), d("0.333"))],
            last_updated=datetime(2024, 3, 1, 8, 0),
        ),
        FinaleOrderRec(
            "SO-OLD",
            "SALES_ORDER",
            "ORDER_COMPLETED",
            datetime(2024, 1, 31, 23, 0),
            sale_source="Amazon",
            items=[FinaleOrderItemRec("W-100", d("1"), d("10"))],
            last_updated=datetime(2024, 1, 31, 23, 5),
        ),
        FinaleOrderRec(
            "PO-1",
            "PURCHASE_ORDER",
            "ORDER_LOCKED",
            datetime(2024, 2, 10),
            items=[FinaleOrderItemRec("W-100", d("50"), d("9.5"))],
            last_updated=datetime(2024, 2, 10, 9, 0),
        ),
        FinaleOrderRec(
            'SO "Ω" 3',
            "SALES_ORDER",
            "ORDER_CANCELLED",
            datetime(2024, 3, 5, 12, 0),
            sale_source="Etsy «EU»",
            last_updated=datetime(2024, 3, 6, 9, 0),
        ),
    ]
    invoices = [FinaleInvoiceRec("INV-1", "SO-1", datetime(2024, 2, 3, 9, 0))]
    history = [
        (date(2023, 12, 31), d("1000.00")),
        (date(2024, 1, 31), d("1234.50")),
        (date(2024, 2, 29), d("98765.4321")),
    ]
    return FinaleAccountRec(
        account_path=path,
        api_key=KEY,
        api_secret=SECRET,
        facilities=facilities,
        products=products,
        stock=stock,
        orders=orders,
        invoices=invoices,
        inventory_value_history=history,
    )


def busy_account(
    n_sales: int,
    *,
    start: datetime = datetime(2024, 1, 1, 8, 0),
    spread_days: int = 200,
    n_purchase: int = 100,
) -> FinaleAccountRec:
    """Many sales orders, dated and last changed across `spread_days`, plus some purchase orders."""
    account = FinaleAccountRec(account_path="bigshop", api_key=KEY, api_secret=SECRET)
    step = timedelta(days=spread_days) / max(n_sales, 1)
    for i in range(n_sales):
        when = start + step * i
        account.orders.append(
            FinaleOrderRec(
                f"{100000 + i}",
                "SALES_ORDER",
                "ORDER_COMPLETED" if i % 3 else "ORDER_LOCKED",
                when,
                sale_source=("Shopify", "Amazon", None)[i % 3],
                items=[FinaleOrderItemRec("W-100", Decimal(i % 5 + 1), Decimal("2.05"))],
                invoice_ids=[f"INV-{i}"] if i % 2 else [],
                last_updated=when + timedelta(hours=1),
            )
        )
    for i in range(n_purchase):
        when = start + timedelta(days=i % max(spread_days, 1))
        account.orders.append(FinaleOrderRec(f"PO-{i}", "PURCHASE_ORDER", "ORDER_COMPLETED", when, last_updated=when))
    return account
