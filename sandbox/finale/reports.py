"""Finale's Reporting API over the sandbox model: two saved reports and the URLs a person would copy.

`GET /{account}/doc/report/pivotTable/{id}/{name}?format=jsonObject&data=...&filters=...` answers a JSON
array of row objects keyed by the report's column titles, with values as the UI shows them ("1,234.50",
"--"). `pivotTableStream` (the address a browser shows) answers an HTML page, as the real one does.

Filters honoured (`filters` = Base64 JSON array of `[name, value, extra]`):
- `stockEffectiveDate`: the as-of date. Value `[from, to]` (the report is as of `to`; null `to` = today),
  a plain date string, or null (today). Dates as `YYYY-MM-DD` or `M/D/YYYY`.
- `productStatus`: a list of `PRODUCT_ACTIVE` / `PRODUCT_INACTIVE`, or null (all).
Every other filter is accepted and ignored, like the opaque `rowDimensions` and `metrics` parameters.

Reports:
- average cost (`AVERAGE_COST_REPORT_ID`): one row per product: "Product ID", "Description", "Status",
  "Average cost" ("--" when no average cost was established on or before the as-of date).
- inventory value (`INVENTORY_VALUE_REPORT_ID`): a header row repeating the column titles, one row per product
  with stock ("Product ID", "Description", "Units\\nQoH", "Value" = on-hand units x average cost), and a
  "TOTAL:" footer whose "Value" is the account's inventory asset value on the as-of date
  (`FinaleAccountRec.inventory_value(on)`, "0.00" when nothing was recorded by then). Product rows use current
  stock, so only the footer is meant to be exact.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from sandbox.company import FinaleAccountRec
from sandbox.finale.collections import BadRequest

AVERAGE_COST_REPORT_ID = "1713370000001"
INVENTORY_VALUE_REPORT_ID = "1713370000002"
AS_OF_FILTER = "stockEffectiveDate"
STATUS_FILTER = "productStatus"

QOH = "Units\nQoH"
AVERAGE_COST_COLUMNS = ("Product ID", "Description", "Status", "Average cost")
INVENTORY_VALUE_COLUMNS = ("Product ID", "Description", QOH, "Value")

STREAM_PAGE = """<!DOCTYPE html>
<html><head><title>Finale Inventory</title></head>
<body><div id="app">Loading report&hellip;</div>
<script src="/static/report-viewer.js"></script></body></html>
"""


# ---------------------------------------------------------------- URLs a person copies from Finale


def _b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def report_url(
    base_url: str,
    account_path: str,
    report_id: str,
    *,
    data: str,
    title: str,
    stream: bool = True,
    filters: list[list[Any]] | None = None,
) -> str:
    """A report address. `stream=True` gives what the browser shows (and a person copies): a
    `pivotTableStream` link for a PDF; `stream=False` gives the data form a client requests."""
    kind, name, fmt = (
        ("pivotTableStream", "Reports.pdf", "pdf") if stream else ("pivotTable", "Report.json", "jsonObject")
    )
    query = {
        "format": fmt,
        "data": data,
        "attrName": "##user001",
        # Opaque layout parameters of a saved report; the sandbox ignores them, clients must keep them.
        "rowDimensions": "~lJrNAQA",
        "metrics": "~kprNAgA",
        "filters": _b64(filters if filters is not None else [[STATUS_FILTER, None, None], [AS_OF_FILTER, None, None]]),
        "reportTitle": title,
    }
    return f"{base_url.rstrip('/')}/{account_path}/doc/report/{kind}/{report_id}/{name}?{urlencode(query)}"


def average_cost_report_url(base_url: str, account_path: str, *, stream: bool = True) -> str:
    return report_url(
        base_url,
        account_path,
        AVERAGE_COST_REPORT_ID,
        data="product",
        title="Average cost by product",
        stream=stream,
    )


def inventory_value_report_url(base_url: str, account_path: str, *, stream: bool = True) -> str:
    return report_url(
        base_url,
        account_path,
        INVENTORY_VALUE_REPORT_ID,
        data="stock",
        title="Inventory value",
        stream=stream,
    )


# ---------------------------------------------------------------- display strings


def display_number(value: Decimal, *, places: int | None = None) -> str:
    """As the UI shows numbers: thousands separators, at least two decimals for money."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(value, ",f")
    if places is not None and places > 0 and "." not in text:
        text += "." + "0" * places
    elif places is None and "." in text:
        whole, frac = text.split(".")
        text = f"{whole}.{frac.ljust(2, '0')}"
    elif places is None:
        text += ".00"
    return text


def display_quantity(value: Decimal) -> str:
    text = format(value.normalize() if value == value.to_integral_value() else value, ",f")
    return text


# ---------------------------------------------------------------- filters


def _parse_day(value: Any) -> date:
    if not isinstance(value, str):
        raise BadRequest(f"{AS_OF_FILTER}: {value!r} is not a date")
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadRequest(f"{AS_OF_FILTER}: {value!r} is not a date (YYYY-MM-DD or M/D/YYYY)")


def decode_filters(raw: str | None) -> list[list[Any]]:
    if not raw:
        return []
    text = raw.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
    try:
        decoded = json.loads(base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"filters is not Base64-encoded JSON: {exc}") from exc
    if not isinstance(decoded, list) or not all(isinstance(f, list) and f and isinstance(f[0], str) for f in decoded):
        raise BadRequest("filters must be a JSON array of [name, value, ...] entries")
    return decoded


def as_of_date(filters: list[list[Any]], today: date) -> date:
    for entry in filters:
        if entry[0] != AS_OF_FILTER or len(entry) < 2 or entry[1] is None:
            continue
        value = entry[1]
        if isinstance(value, list):
            if len(value) != 2:
                raise BadRequest(f"{AS_OF_FILTER} must be [from, to]")
            return today if value[1] is None else _parse_day(value[1])
        return _parse_day(value)
    return today


def status_filter(filters: list[list[Any]]) -> set[str] | None:
    for entry in filters:
        if entry[0] == STATUS_FILTER and len(entry) >= 2 and entry[1] is not None:
            value = entry[1]
            return {value} if isinstance(value, str) else set(value)
    return None


# ---------------------------------------------------------------- the reports


def _average_cost_on(product: Any, on: date) -> Decimal | None:
    if product.average_cost is None:
        return None
    if product.average_cost_since is not None and product.average_cost_since > on:
        return None
    cost: Decimal = product.average_cost
    return cost


def average_cost_rows(account: FinaleAccountRec, on: date, statuses: set[str] | None) -> list[dict[str, str]]:
    rows = []
    for p in account.products:
        status = "PRODUCT_ACTIVE" if p.active else "PRODUCT_INACTIVE"
        if statuses is not None and status not in statuses:
            continue
        cost = _average_cost_on(p, on)
        rows.append(
            {
                "Product ID": p.product_id,
                "Description": p.internal_name,
                "Status": "Active" if p.active else "Inactive",
                "Average cost": "--" if cost is None else display_number(cost),
            }
        )
    return rows


def inventory_value_rows(account: FinaleAccountRec, on: date, statuses: set[str] | None) -> list[dict[str, str]]:
    on_hand: dict[str, Decimal] = defaultdict(Decimal)
    for s in account.stock:
        if s.order_id is None:
            on_hand[s.product_id] += s.quantity_on_hand
    rows: list[dict[str, str]] = [dict(zip(INVENTORY_VALUE_COLUMNS, INVENTORY_VALUE_COLUMNS, strict=True))]
    units = Decimal(0)
    for p in account.products:
        status = "PRODUCT_ACTIVE" if p.active else "PRODUCT_INACTIVE"
        qty = on_hand.get(p.product_id)
        if qty is None or (statuses is not None and status not in statuses):
            continue
        units += qty
        value = qty * (_average_cost_on(p, on) or Decimal(0))
        rows.append(
            {
                "Product ID": p.product_id,
                "Description": p.internal_name,
                QOH: display_quantity(qty),
                "Value": display_number(value, places=2),
            }
        )
    total = account.inventory_value(on)
    rows.append(
        {
            "Product ID": "TOTAL:",
            "Description": "",
            QOH: display_quantity(units),
            "Value": display_number(total if total is not None else Decimal(0), places=2),
        }
    )
    return rows


def render_report(
    account: FinaleAccountRec, report_id: str, *, fmt: str, filters_param: str | None, today: date
) -> tuple[bytes, str] | None:
    """The report body and its content type, or None for an unknown report id."""
    filters = decode_filters(filters_param)
    on = as_of_date(filters, today)
    statuses = status_filter(filters)
    if report_id == AVERAGE_COST_REPORT_ID:
        columns, rows = AVERAGE_COST_COLUMNS, average_cost_rows(account, on, statuses)
    elif report_id == INVENTORY_VALUE_REPORT_ID:
        columns, rows = INVENTORY_VALUE_COLUMNS, inventory_value_rows(account, on, statuses)
    else:
        return None
    if fmt in ("jsonObject", "json"):
        return json.dumps(rows, ensure_ascii=False).encode("utf-8"), "application/json"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(r for r in rows if r != dict(zip(columns, columns, strict=True)))
        return out.getvalue().encode("utf-8"), "text/csv"
    raise BadRequest(f"format {fmt!r} is not available from the sandbox (use jsonObject or csv)")
