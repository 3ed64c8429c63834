"""Sales orders and the invoices that count for them, and the `lastUpdatedDate` windows that read a
capped answer again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from checks.snapshot import SalesOrder
from checks.sources.finale.jsonstream import transpose
from checks.sources.finale.values import _last_segment, to_decimal

UPDATED_WINDOW = timedelta(days=30)
TIMESTAMP = "%Y-%m-%dT%H:%M:%S"

ORDER_COLUMNS = frozenset(
    {"orderId", "statusId", "orderDate", "saleSourceId", "invoiceUrlList", "total", "lastUpdatedDate"}
)
INVOICE_COLUMNS = frozenset({"invoiceUrl", "primaryOrderUrl", "statusId", "lastUpdatedDate"})
CANCELLED_INVOICE = "INVOICE_CANCELLED"


def _order_rows(payload: Any) -> list[tuple[Any, ...]]:
    return list(
        transpose(
            payload,
            "sales order list",
            ("orderId",),
            ("statusId", "orderDate", "saleSourceId", "invoiceUrlList", "total", "lastUpdatedDate"),
        )
    )


def _orders_from(
    payload: Any, since: date | None, cap: int | None = None
) -> tuple[dict[Any, SalesOrder | None], int, tuple[datetime, datetime] | None]:
    """An order answer as ({orderId: SalesOrder, or None when dated before `since`}, rows, window span).

    The span to re-read in windows (`_window_range`) is worked out only when the answer reached `cap`,
    while its rows are at hand. This runs once per order of a large company: it stays lean (dates and
    statuses shared between the orders that have the same text, positional construction)."""
    rows = _order_rows(payload)
    span = _window_range((r[6] for r in rows), since) if cap is not None and len(rows) >= cap else None
    days: dict[Any, date | None] = {}  # orders share their dates: parse each text once
    texts: dict[Any, str] = {}  # and their statuses and sale sources
    orders: dict[Any, SalesOrder | None] = {}
    make = SalesOrder
    for order_id, status, order_date, source, invoice_urls, total, _updated in rows:
        try:
            day = days[order_date]
        except (KeyError, TypeError):  # TypeError: not hashable, so not a date either
            day = _parse_day(order_date)
            if isinstance(order_date, str):
                days[order_date] = day
        if day is None or (since is not None and day < since):
            orders[order_id] = None  # merged by the raw id, as the rows were
            continue
        status_text = texts.get(status)
        if status_text is None:
            status_text = texts[status] = str(status)
        if source is None or source == "":
            source_text = None
        else:
            source_text = texts.get(source)
            if source_text is None:
                source_text = texts[source] = str(source)
        orders[order_id] = make(
            order_id if type(order_id) is str else str(order_id),
            status_text,
            day,
            source_text,
            _urls(invoice_urls),
            None if total is None else total if type(total) is Decimal else to_decimal(total, "total"),
        )
    return orders, len(rows), span


def _urls(value: Any) -> tuple[str, ...]:
    return tuple(map(str, value)) if value else ()  # str() of a str is the same object


def _invoice_rows(payload: Any) -> list[tuple[Any, ...]]:
    return list(transpose(payload, "invoice list", ("invoiceUrl",), ("primaryOrderUrl", "statusId", "lastUpdatedDate")))


def _invoice_index(rows: Sequence[tuple[Any, ...]]) -> tuple[dict[str, set[str]], set[str]]:
    live: dict[str, set[str]] = {}
    cancelled: set[str] = set()
    for url, order_url, status, _updated in rows:
        if status == CANCELLED_INVOICE:
            cancelled.add(str(url))
        elif order_url:
            live.setdefault(_last_segment(order_url), set()).add(str(url))
    return live, cancelled


def _with_invoices(orders: list[SalesOrder], live: Mapping[str, set[str]], cancelled: set[str]) -> list[SalesOrder]:
    """Each order with the invoices that count: its own list and the invoices naming it, less cancelled ones."""
    out = []
    for order in orders:
        linked = live.get(order.order_id)
        if not linked and not cancelled:
            out.append(order)
            continue
        urls = {u for u in order.invoice_urls if u not in cancelled} | (linked or set())
        if urls == set(order.invoice_urls):
            out.append(order)
        else:
            out.append(replace(order, invoice_urls=tuple(sorted(urls))))
    return out


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo is not None else parsed


def _parse_day(value: Any) -> date | None:
    parsed = _parse_datetime(value)
    return parsed.date() if parsed is not None else None


def _window_range(updated: Iterable[Any], since: date | None) -> tuple[datetime, datetime]:
    """The `lastUpdatedDate` span to read in windows: from the earliest change seen (or the start date, when
    earlier: a future-dated order may not have changed since) to tomorrow or the latest change seen."""
    distinct = {u for u in updated if isinstance(u, str)}  # many orders share a timestamp: parse each once
    seen = [d for d in (_parse_datetime(u) for u in distinct) if d is not None]
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    start = min([*seen, now] + ([datetime.combine(since, datetime.min.time())] if since else []))
    end = max([*seen, now])
    return start.replace(hour=0, minute=0, second=0) - timedelta(days=1), end + timedelta(days=1)
