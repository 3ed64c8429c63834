"""What the checks read from Finale: products, stock, sales orders, average costs, the inventory value."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from checks.snapshot import FinaleProduct, SalesOrder, StockRow
from checks.sources.errors import ConfigurationError, FinaleError
from checks.sources.finale.client import FinaleConnection, _off_loop
from checks.sources.finale.jsonstream import transpose
from checks.sources.finale.orders import (
    INVOICE_COLUMNS,
    ORDER_COLUMNS,
    TIMESTAMP,
    UPDATED_WINDOW,
    _invoice_index,
    _invoice_rows,
    _orders_from,
    _window_range,
    _with_invoices,
)
from checks.sources.finale.reports import _average_costs_from, _inventory_value_from, _report_missing, report_data_url
from checks.sources.finale.values import _last_segment, to_decimal

log = logging.getLogger(__name__)


# The columns the reads below use; an answer's other columns are dropped as they are decoded.
PRODUCT_COLUMNS = frozenset({"productId", "productUrl", "internalName", "statusId"})
STOCK_COLUMNS = frozenset({"facilityUrl", "quantityOnHand", "productId", "productUrl", "lotId", "orderUrl"})


class FinaleSource(FinaleConnection):
    """Reads one Finale account. Use as `async with FinaleSource(...) as finale:` or call `aclose()`."""

    def __repr__(self) -> str:  # never shows the key or secret
        return f"FinaleSource(account={self.account!r}, base={self._origin!r})"

    # ------------------------------------------------------------ public reads

    async def check_credentials(self) -> None:
        """One cheap call (the small facility list) that proves the account, key and secret work."""
        payload = await self._collection("facility")
        for _ in transpose(payload, "facility list", ("facilityUrl",)):
            pass

    async def products(self) -> list[FinaleProduct]:
        payload = await self._collection("product", keep=PRODUCT_COLUMNS)
        return await _off_loop(self._products_from, payload)

    def _products_from(self, payload: Any) -> list[FinaleProduct]:
        return [
            FinaleProduct(
                product_id=str(pid),
                name=str(name) if name is not None else str(pid),
                active=status == "PRODUCT_ACTIVE",
                product_url=str(url) if url is not None else self._resource_path("product", str(pid)),
            )
            for pid, url, name, status in transpose(
                payload, "product list", ("productId",), ("productUrl", "internalName", "statusId")
            )
        ]

    async def stock(self) -> list[StockRow]:
        """On-hand rows of inventoryitem (no order, quantityOnHand set), named after their sublocation."""
        items, facilities = await asyncio.gather(
            self._collection("inventoryitem", keep=STOCK_COLUMNS), self._collection("facility")
        )
        rows = await _off_loop(_stock_rows, items)
        product_ids: dict[str, str] = {}
        if any(r[2] is None and r[5] is None and r[1] is not None for r in rows):
            # No productId: productUrl is not always /product/{productId}, so resolve it via the catalogue.
            product_ids = {p.product_url: p.product_id for p in await self.products()}
        return await _off_loop(self._stock_from, facilities, rows, product_ids)

    def _stock_from(self, facilities: Any, rows: list[tuple[Any, ...]], product_ids: dict[str, str]) -> list[StockRow]:
        names = {
            url: str(name) if name is not None else str(url)
            for url, name in transpose(facilities, "facility list", ("facilityUrl",), ("facilityName",))
        }
        result = []
        for facility_url, qoh, pid, product_url, lot_id, order_url in rows:
            if order_url is not None or qoh is None:
                continue
            product_id = pid if pid is not None else product_ids.get(product_url) or _last_segment(product_url)
            result.append(
                StockRow(
                    product_id=str(product_id),
                    sublocation=str(facility_url),
                    sublocation_name=names.get(facility_url, str(facility_url)),
                    lot_id=str(lot_id) if lot_id not in (None, "") else None,
                    quantity_on_hand=to_decimal(qoh, "quantityOnHand"),
                )
            )
        return result

    async def sales_orders(self, since: date | None) -> list[SalesOrder]:
        """Sales orders dated on or after `since` (all of them when None), each exactly once, with the
        invoices that count for them (see `sales_order_parts`)."""
        merged, invoice_rows = await self.sales_order_parts(since)
        return await _off_loop(combine_orders, merged, invoice_rows)

    async def sales_order_parts(self, since: date | None) -> tuple[dict[Any, SalesOrder | None], list[tuple[Any, ...]]]:
        """The orders as read ({orderId: SalesOrder, None when dated before `since`}) and the invoice rows.

        One filtered request usually answers. When the answer is cut at the entity cap, the orders are read
        again in `lastUpdatedDate` windows of at most 30 days (concurrently, bounded), each window halved
        again while its own answer is still cut, and merged by orderId.
        """
        spec: dict[str, list[Any]] = {"orderTypeId": ["SALES_ORDER", "SALES_ORDER"]}
        if since is not None:
            spec["orderDate"] = [datetime.combine(since, datetime.min.time()).strftime(TIMESTAMP), None]
        # Each answer becomes SalesOrders as soon as it arrives (off the event loop), so the raw rows of one
        # answer are gone before the next is decoded. Merged by orderId, a later answer's row wins and keeps
        # the first one's position; an order dated before `since` is dropped (None) wherever it is seen.
        merged, n_rows, span = await self._collection(
            "order", spec, convert=lambda payload: _orders_from(payload, since, self.entity_cap), keep=ORDER_COLUMNS
        )
        if n_rows >= self.entity_cap:
            assert span is not None
            start, end = span
            log.info("Finale order answer hit the %d-entity cap; reading %s..%s in windows", n_rows, start, end)
            bounds = []
            lo = start
            while lo < end:
                bounds.append((lo, min(lo + UPDATED_WINDOW, end)))
                lo += UPDATED_WINDOW
            for window in await asyncio.gather(*(self._order_window(spec, since, a, b) for a, b in bounds)):
                merged.update(window)
        # Then the invoices (after the orders, so the two large answers are never decoded at once): an order's
        # invoice list can name a cancelled invoice, and an invoice may name its order without being listed.
        return merged, await self._invoice_rows(since)

    async def changed_sales_orders(
        self, since: date | None, lo: datetime, hi: datetime
    ) -> tuple[dict[Any, SalesOrder | None], list[tuple[Any, ...]], bool]:
        """The sales orders and invoices changed within one `lastUpdatedDate` window (at most 30 days), as
        `sales_order_parts` gives them, and whether either answer reached the entity cap."""
        window = {"lastUpdatedDate": [lo.strftime(TIMESTAMP), hi.strftime(TIMESTAMP)]}
        orders_spec = {"orderTypeId": ["SALES_ORDER", "SALES_ORDER"], **window}
        orders, n_rows, _ = await self._collection(
            "order", orders_spec, convert=lambda p: _orders_from(p, since), keep=ORDER_COLUMNS
        )
        rows: list[tuple[Any, ...]] = await self._collection(
            "invoice", window, convert=_invoice_rows, keep=INVOICE_COLUMNS
        )
        return orders, rows, n_rows >= self.entity_cap or len(rows) >= self.entity_cap

    async def changed_products(self, lo: datetime, hi: datetime) -> tuple[list[FinaleProduct], bool]:
        """The products changed within one `lastUpdatedDate` window, and whether the answer reached the cap."""
        spec = {"lastUpdatedDate": [lo.strftime(TIMESTAMP), hi.strftime(TIMESTAMP)]}
        payload = await self._collection("product", spec, keep=PRODUCT_COLUMNS)
        products = await _off_loop(self._products_from, payload)
        return products, len(products) >= self.entity_cap

    async def _invoice_rows(self, since: date | None) -> list[tuple[Any, ...]]:
        """Invoice rows (url, order url, status, last updated) dated on or after `since`."""
        spec: dict[str, list[Any]] = {}
        if since is not None:
            # An order's invoice is never dated before the order.
            spec["invoiceDate"] = [datetime.combine(since, datetime.min.time()).strftime(TIMESTAMP), None]
        rows: list[tuple[Any, ...]] = await self._collection(
            "invoice", spec or None, convert=_invoice_rows, keep=INVOICE_COLUMNS
        )
        if len(rows) >= self.entity_cap:
            # Cut at the cap: read again in lastUpdatedDate windows, as for orders.
            lo, end = _window_range((r[3] for r in rows), since)
            windows = []
            while lo < end:
                hi = min(lo + UPDATED_WINDOW, end)
                window = {**spec, "lastUpdatedDate": [lo.strftime(TIMESTAMP), hi.strftime(TIMESTAMP)]}
                windows.append(self._collection("invoice", window, convert=_invoice_rows, keep=INVOICE_COLUMNS))
                lo = hi
            rows = [row for part in await asyncio.gather(*windows) for row in part]
        return rows

    async def average_costs(self, as_of: date) -> dict[str, Decimal | None]:
        """Average cost per product id on `as_of` from the configured report; None where Finale shows "--"."""
        url = self._report_url(self._average_cost_report_url, as_of, "average cost", "FINALE_AVERAGE_COST_REPORT_URL")
        rows = await self._report(url, "average cost report")
        return await _off_loop(_average_costs_from, rows)

    async def inventory_value(self, on: date) -> Decimal:
        """Finale's inventory asset value on `on`: the report's "TOTAL:" value, else the sum of its rows."""
        url = self._report_url(
            self._inventory_value_report_url, on, "the inventory value", "FINALE_INVENTORY_VALUE_REPORT_URL"
        )
        rows = await self._report(url, "inventory value report")
        return await _off_loop(_inventory_value_from, rows, on)

    # ------------------------------------------------------------ orders in windows

    async def _order_window(
        self, spec: Mapping[str, list[Any]], since: date | None, lo: datetime, hi: datetime
    ) -> dict[str, SalesOrder | None]:
        window = {**spec, "lastUpdatedDate": [lo.strftime(TIMESTAMP), hi.strftime(TIMESTAMP)]}
        orders, n_rows, _ = await self._collection(
            "order", window, convert=lambda p: _orders_from(p, since), keep=ORDER_COLUMNS
        )
        if n_rows < self.entity_cap:
            return orders
        if hi - lo <= timedelta(minutes=1):
            raise FinaleError(
                "Finale has more sales orders changed within one minute than its API returns at once, so "
                "Preflight cannot list them all. Contact Finale support.",
                detail=f"order window {lo}..{hi} still at the {self.entity_cap}-entity cap",
            )
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        halves = await asyncio.gather(
            self._order_window(spec, since, lo, mid), self._order_window(spec, since, mid, hi)
        )
        return {**halves[0], **halves[1]}

    # ------------------------------------------------------------ reports

    def _report_url(self, configured: str | None, as_of: date, what: str, setting: str) -> str:
        if not configured or not configured.strip():
            raise ConfigurationError(_report_missing(what, setting))
        return report_data_url(
            configured.strip(),
            as_of,
            origin=self._origin,
            prefix=self._prefix,
            account=self.account,
            setting=setting,
        )


def combine_orders(
    merged: Mapping[Any, SalesOrder | None], invoice_rows: Sequence[tuple[Any, ...]]
) -> list[SalesOrder]:
    """The orders with the invoices that count: an order's invoice list can name a cancelled invoice, and an
    invoice may name its order without being listed."""
    live, cancelled = _invoice_index(invoice_rows)
    return _with_invoices([o for o in merged.values() if o is not None], live, cancelled)


def _stock_rows(payload: Any) -> list[tuple[Any, ...]]:
    return list(
        transpose(
            payload,
            "stock list",
            ("facilityUrl", "quantityOnHand"),
            ("productId", "productUrl", "lotId", "orderUrl"),
        )
    )
