"""The rows `company.planted` records for each check, computed from the company as built."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from sandbox.company import FinaleOrderRec, QboCompanyRec, QboItemRec
from sandbox.generate.common import CANCELLED, ITEM_TXN_ENTITIES, SALES_ORDER, cents, first_of_month


def item_value(item: QboItemRec) -> Decimal:
    return cents((item.qty_on_hand or Decimal(0)) * item.purchase_cost)


def deactivation_row(item: QboItemRec, product_id: str, matched_on: str, shrinkage_id: str) -> dict[str, object]:
    return {
        "id": item.id,
        "name": item.name,
        "sku": item.sku,
        "qty": item.qty_on_hand,
        "purchase_cost": item.purchase_cost,
        "asset_value": item_value(item),
        "finale_product_id": product_id,
        "matched_on": matched_on,
        "asset_account_id": item.asset_account_id,
        "expense_account_id": shrinkage_id,
    }


def not_in_finale_row(item: QboItemRec) -> dict[str, object]:
    return {
        "id": item.id,
        "name": item.name,
        "sku": item.sku,
        "qty": item.qty_on_hand,
        "asset_value": item_value(item),
    }


def txn_refs(qbo: QboCompanyRec, item_id: str, since: date) -> list[dict[str, object]]:
    return [
        {"entity": t.entity, "id": t.id, "doc_number": t.doc_number, "txn_date": t.txn_date}
        for t in qbo.transactions
        if t.entity in ITEM_TXN_ENTITIES and t.txn_date >= since and any(ln.item_id == item_id for ln in t.lines)
    ]


def monthly_volume(
    orders: Iterable[FinaleOrderRec], enable_date: date
) -> tuple[dict[str | None, dict[str, int]], dict[str | None, int]]:
    """Orders a month by source (not cancelled), and the average over the full months before D."""
    volume: dict[str | None, dict[str, int]] = {}
    for o in orders:
        if o.order_type != SALES_ORDER or o.status == CANCELLED:
            continue
        month = f"{o.order_date.year:04d}-{o.order_date.month:02d}"
        by_month = volume.setdefault(o.sale_source, {})
        by_month[month] = by_month.get(month, 0) + 1
    full_months = [f"{m.year:04d}-{m.month:02d}" for m in (first_of_month(enable_date, -k) for k in (3, 2, 1))]
    average = {
        source: round(sum(by_month.get(m, 0) for m in full_months) / len(full_months))
        for source, by_month in volume.items()
    }
    return volume, average


def add_counts(planted: dict[str, object]) -> None:
    counts = {key: len(value) for key, value in planted.items() if isinstance(value, list)}
    without = planted["orders_without_invoice"]
    assert isinstance(without, dict)
    counts["orders_without_invoice"] = sum(len(ids) for ids in without.values())
    planted["counts"] = counts


def value_history(rng: random.Random, enable_date: date, today: date, value_d1: Decimal) -> list[tuple[date, Decimal]]:
    """Month-end values before D-1, the exact value on D-1, and later values that must not be read for D-1."""
    history: list[tuple[date, Decimal]] = []
    for k in range(5, 0, -1):
        month_end = first_of_month(enable_date, -k) - timedelta(days=1)
        history.append((month_end, cents(value_d1 * Decimal(rng.randint(880, 1080)) / 1000)))
    history.append((enable_date - timedelta(days=1), value_d1))
    history.append((enable_date + timedelta(days=6), cents(value_d1 * Decimal("1.0315"))))
    history.append((today, cents(value_d1 * Decimal("0.9742"))))
    return history
