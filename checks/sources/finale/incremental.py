"""Finale re-checks that read what changed: the product list and the sales orders kept from the last read,
brought up to date with one `lastUpdatedDate` window each.

Finale answers a collection whole (up to 120,000 rows); its `lastUpdatedDate` filter takes a closed range of
at most 30 days. `IncrementalFinale` wraps the Finale reader: a first read is a full one and keeps the
products and the sales orders (with the invoice rows that decide which invoices count) in a `PieceStore`; a
re-check reads only the products, orders and invoices changed since, in one window from a day before the
kept moment to a day after now (Finale's timestamps carry no zone: the day each side covers any offset).

A full read replaces a piece when there is none, it was kept from another connection (a reconnect), it is
too old for one window, it was read for a later start date than asked now, or a window's answer reached the
entity cap. Stock (the inventoryitem collection supports no filter) and the two reports (no change filter)
are read whole whenever a check needs them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from checks.snapshot import FinaleProduct, SalesOrder, StockRow
from checks.sources.cache import PieceStore, keep_moment, keep_piece, load_piece, unusable
from checks.sources.finale.source import combine_orders

log = logging.getLogger(__name__)

WINDOW = timedelta(days=30)  # Finale's longest lastUpdatedDate range
SLACK = timedelta(days=1)  # before the kept moment and after now: covers any time zone
USABLE_FOR = WINDOW - 2 * SLACK


@runtime_checkable
class FinaleChangeReader(Protocol):
    """A Finale reader that can also read `lastUpdatedDate` windows (FinaleSource)."""

    async def products(self) -> list[FinaleProduct]: ...
    async def stock(self) -> list[StockRow]: ...
    async def sales_orders(self, since: date | None) -> list[SalesOrder]: ...
    async def average_costs(self, as_of: date) -> dict[str, Decimal | None]: ...
    async def inventory_value(self, on: date) -> Decimal: ...
    async def sales_order_parts(
        self, since: date | None
    ) -> tuple[dict[Any, SalesOrder | None], list[tuple[Any, ...]]]: ...
    async def changed_sales_orders(
        self, since: date | None, lo: datetime, hi: datetime
    ) -> tuple[dict[Any, SalesOrder | None], list[tuple[Any, ...]], bool]: ...
    async def changed_products(self, lo: datetime, hi: datetime) -> tuple[list[FinaleProduct], bool]: ...


class IncrementalFinale:
    """A FinaleReader over `reader` that keeps products and sales orders in `store` (one load at a time)."""

    def __init__(
        self, reader: FinaleChangeReader, store: PieceStore, *, epoch: str, now: datetime, tag: str = ""
    ) -> None:
        self.reader = reader
        self.tag = tag
        self.store = store
        self.epoch = epoch
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.full_reads: list[str] = []

    async def _piece(self, name: str) -> dict[str, Any] | None:
        piece = await asyncio.to_thread(load_piece, self.store, name + self.tag)
        reason = self._unusable(piece)
        if reason is not None:
            self.full_reads.append(f"{name}: {reason}")
            return None
        return piece

    def _unusable(self, piece: dict[str, Any] | None) -> str | None:
        return unusable(
            piece,
            epoch=self.epoch,
            now=self.now,
            usable_for=USABLE_FOR,
            too_old="kept too long ago for one lastUpdatedDate window",
        )

    def _window(self, piece: dict[str, Any]) -> tuple[datetime, datetime]:
        synced: datetime = piece["synced"]
        lo = (synced - SLACK).astimezone(UTC).replace(tzinfo=None, microsecond=0)
        hi = (self.now + SLACK).astimezone(UTC).replace(tzinfo=None, microsecond=0)
        return lo, hi

    async def _keep(self, name: str, data: dict[str, Any]) -> None:
        await asyncio.to_thread(keep_piece, self.store, name + self.tag, self.epoch, self.now, data)

    async def _keep_moment(self, name: str, piece: dict[str, Any]) -> None:
        await asyncio.to_thread(keep_moment, self.store, name + self.tag, piece, self.now)

    # ------------------------------------------------------------ the reads

    async def products(self) -> list[FinaleProduct]:
        piece = await self._piece("finale.products")
        if piece is not None:
            changed, capped = await self.reader.changed_products(*self._window(piece))
            if not capped:
                if not changed:
                    await self._keep_moment("finale.products", piece)
                    return list(piece["products"])
                by_id = {p.product_id: p for p in piece["products"]}
                for product in changed:
                    by_id[product.product_id] = product
                products = list(by_id.values())
                await self._keep("finale.products", {"products": products})
                return products
            self.full_reads.append("finale.products: the window reached the entity cap")
        products = await self.reader.products()
        await self._keep("finale.products", {"products": products})
        return products

    async def sales_orders(self, since: date | None) -> list[SalesOrder]:
        piece = await self._piece("finale.sales_orders")
        if piece is not None:
            kept_since: date | None = piece.get("since")
            if kept_since is None or (since is not None and since >= kept_since):
                orders, rows, capped = await self.reader.changed_sales_orders(kept_since, *self._window(piece))
                if not capped:
                    merged = piece["orders"]
                    invoices = {row[0]: row for row in piece["invoices"]}
                    if orders or rows:
                        merged.update(orders)
                        invoices.update((row[0], row) for row in rows)
                        await self._keep(
                            "finale.sales_orders",
                            {"since": kept_since, "orders": merged, "invoices": list(invoices.values())},
                        )
                    else:
                        await self._keep_moment("finale.sales_orders", piece)
                    return await asyncio.to_thread(_combine, merged, list(invoices.values()), since)
                self.full_reads.append("finale.sales_orders: the window reached the entity cap")
            else:
                self.full_reads.append("finale.sales_orders: kept for a later start date")
        merged, rows = await self.reader.sales_order_parts(since)
        await self._keep("finale.sales_orders", {"since": since, "orders": merged, "invoices": rows})
        return await asyncio.to_thread(combine_orders, merged, rows)

    async def stock(self) -> list[StockRow]:
        return await self.reader.stock()

    async def average_costs(self, as_of: date) -> dict[str, Decimal | None]:
        return await self.reader.average_costs(as_of)

    async def inventory_value(self, on: date) -> Decimal:
        return await self.reader.inventory_value(on)


def _combine(
    merged: dict[Any, SalesOrder | None], invoice_rows: list[tuple[Any, ...]], since: date | None
) -> list[SalesOrder]:
    """As a full read for `since` would give them: orders dated before it left out."""
    if since is not None:
        merged = {k: (o if o is not None and o.order_date >= since else None) for k, o in merged.items()}
    return combine_orders(merged, invoice_rows)
