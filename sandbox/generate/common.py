"""Shared pieces of the sample-company generators: money in cents, dates, name normalization."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SALES_ORDER = "SALES_ORDER"
PURCHASE_ORDER = "PURCHASE_ORDER"
CREATED, LOCKED, COMPLETED, CANCELLED = "ORDER_CREATED", "ORDER_LOCKED", "ORDER_COMPLETED", "ORDER_CANCELLED"
ITEM_TXN_ENTITIES = ("PurchaseOrder", "Bill", "Invoice", "SalesReceipt")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT)


def normalize_name(value: str) -> str:
    """How Preflight compares names and ids: trimmed, inner whitespace collapsed, case-folded."""
    return " ".join(value.split()).casefold()


def first_of_month(d: date, months: int = 0) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def demo_enable_date(today: date) -> date:
    """The first of the month that began at least 14 days before `today`."""
    return first_of_month(today - timedelta(days=14))


def book_close_date_for(enable_date: date) -> date:
    """The last day of the month two months before the enable date (the books are closed through it)."""
    return first_of_month(enable_date, -1) - timedelta(days=1)


def rand_cents(rng: random.Random, low: int, high: int) -> Decimal:
    """A Decimal between low and high dollars, with cents; drawn as integer cents so it is exact."""
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)
