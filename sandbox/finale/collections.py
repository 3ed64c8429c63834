"""Finale's REST collections rendered from the sandbox model, in Finale's column-major form.

A collection GET answers `{"productId": [...], "productUrl": [...], ...}`: one array per field, index i of
every array being entity i (finale.md 1.5). Columns are built straight from the model and serialised one
array at a time, so a 200,000-order account never becomes 200,000 dicts.

`filter=` is Base64 JSON of `{field: [lo, hi]}` closed ranges on top-level scalar fields (null = unbounded,
equal bounds = equality). As documented, `lastUpdatedDate` is applied first and must be a closed range of at
most 30 days; then the other ranges; then the entity cap; then `limit`. Date bounds may be written
`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (a trailing `Z` or offset is converted to UTC and dropped, since the
model's times are naive); a date-only upper bound includes that whole day.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote

from sandbox.company import (
    FinaleAccountRec,
    FinaleFacilityRec,
    FinaleInvoiceRec,
    FinaleOrderRec,
    FinaleProductRec,
    FinaleStockRec,
)

Kind = Literal["str", "date", "num", "list"]
FILTERABLE = frozenset({"product", "order", "invoice"})
COLLECTIONS = frozenset({"product", "inventoryitem", "facility", "order", "invoice"})


class BadRequest(Exception):
    """The request is malformed; the message becomes the body of an HTTP 400."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    get: Callable[[Any], Any]  # the model value: str, datetime, Decimal, list of str, or None


# ---------------------------------------------------------------- URLs


def resource_url(account: str, collection: str, resource_id: str) -> str:
    # Ids may hold spaces, quotes, slashes or non-ASCII; Finale's URLs are percent-encoded paths.
    return f"/{account}/api/{collection}/{quote(resource_id, safe='')}"


def parent_facilities(account: FinaleAccountRec) -> dict[str, str]:
    """Parent location name -> facility id. The model names parents only, so the simulator gives them ids."""
    taken = {f.facility_id for f in account.facilities}
    parents: dict[str, str] = {}
    n = 90000
    for facility in account.facilities:
        if facility.parent_name and facility.parent_name not in parents:
            while str(n) in taken:
                n += 1
            parents[facility.parent_name] = str(n)
            taken.add(str(n))
    return parents


# ---------------------------------------------------------------- fields per collection


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def product_fields(acct: str) -> list[Field]:
    return [
        Field("productId", "str", lambda p: p.product_id),
        Field("productUrl", "str", lambda p: resource_url(acct, "product", p.product_id)),
        Field("internalName", "str", lambda p: p.internal_name),
        Field("statusId", "str", lambda p: "PRODUCT_ACTIVE" if p.active else "PRODUCT_INACTIVE"),
        Field("productTypeId", "str", lambda p: "GOOD"),
        Field("cost", "num", lambda p: p.item_cost),  # the item cost field, not the average cost
        Field("createdDate", "date", lambda p: p.created_date),
        Field("lastUpdatedDate", "date", lambda p: p.last_updated),
    ]


def order_fields(acct: str) -> list[Field]:
    return [
        Field("orderId", "str", lambda o: o.order_id),
        Field("orderUrl", "str", lambda o: resource_url(acct, "order", o.order_id)),
        Field("orderTypeId", "str", lambda o: o.order_type),
        Field("statusId", "str", lambda o: o.status),
        Field("orderDate", "date", lambda o: o.order_date),
        Field("saleSourceId", "str", lambda o: o.sale_source),
        Field("total", "num", lambda o: o.total),
        Field("invoiceUrlList", "list", lambda o: [resource_url(acct, "invoice", i) for i in o.invoice_ids]),
        Field("shipmentUrlList", "list", lambda o: [resource_url(acct, "shipment", s) for s in o.shipment_ids]),
        Field("lastUpdatedDate", "date", lambda o: o.last_updated),
    ]


def invoice_fields(acct: str) -> list[Field]:
    return [
        Field("invoiceId", "str", lambda i: i.invoice_id),
        Field("invoiceUrl", "str", lambda i: resource_url(acct, "invoice", i.invoice_id)),
        Field("invoiceTypeId", "str", lambda i: "SALES_INVOICE"),
        Field("primaryOrderUrl", "str", lambda i: resource_url(acct, "order", i.order_id)),
        Field("statusId", "str", lambda i: i.status),
        Field("invoiceDate", "date", lambda i: i.invoice_date),
        Field("createdDate", "date", lambda i: i.invoice_date),
        # An invoice never edited since was last updated on its date.
        Field("lastUpdatedDate", "date", lambda i: i.last_updated or i.invoice_date),
    ]


def facility_fields(acct: str, parents: dict[str, str]) -> list[Field]:
    # Rows are FinaleFacilityRec for sublocations and (name, id) tuples for the synthesised parents.
    def fid(f: FinaleFacilityRec | tuple[str, str]) -> str:
        return f[1] if isinstance(f, tuple) else f.facility_id

    def parent_url(f: FinaleFacilityRec | tuple[str, str]) -> str | None:
        if isinstance(f, tuple) or not f.parent_name:
            return None
        return resource_url(acct, "facility", parents[f.parent_name])

    return [
        Field("facilityId", "str", fid),
        Field("facilityUrl", "str", lambda f: resource_url(acct, "facility", fid(f))),
        Field("facilityName", "str", lambda f: f[0] if isinstance(f, tuple) else f.name),
        Field("facilityTypeId", "str", lambda f: "WAREHOUSE" if isinstance(f, tuple) else "SUBLOCATION"),
        Field("parentFacilityUrl", "str", parent_url),
        Field("statusId", "str", lambda f: "FACILITY_ACTIVE"),
    ]


def inventory_item_fields(acct: str, parents: dict[str, str], facilities: dict[str, FinaleFacilityRec]) -> list[Field]:
    def qty(attr: str) -> Callable[[FinaleStockRec], Decimal | None]:
        def get(s: FinaleStockRec) -> Decimal | None:
            value: Decimal = getattr(s, attr)
            # Exactly one quantity is set per row; an on-hand row (no order) always carries quantityOnHand.
            if attr == "quantity_on_hand" and s.order_id is None:
                return value
            return value if value != 0 else None

        return get

    def parent_url(s: FinaleStockRec) -> str | None:
        facility = facilities.get(s.facility_id)
        if facility is None or not facility.parent_name:
            return None
        return resource_url(acct, "facility", parents[facility.parent_name])

    return [
        Field("facilityUrl", "str", lambda s: resource_url(acct, "facility", s.facility_id)),
        Field("parentFacilityUrl", "str", parent_url),
        Field("productId", "str", lambda s: s.product_id),
        Field("productUrl", "str", lambda s: resource_url(acct, "product", s.product_id)),
        Field("lotId", "str", lambda s: s.lot_id),
        Field(
            "orderUrl",
            "str",
            lambda s: None if s.order_id is None else resource_url(acct, "order", s.order_id),
        ),
        Field("quantityOnHand", "num", qty("quantity_on_hand")),
        Field("quantityOnOrder", "num", qty("quantity_on_order")),
        Field("quantityReserved", "num", qty("quantity_reserved")),
        Field("normalizedPackingString", "str", lambda s: None),
    ]


# ---------------------------------------------------------------- serialisation


def number(value: Decimal) -> str:
    """A JSON number written exactly (no float round trip, no exponent)."""
    return format(value, "f")


def dumps(value: Any) -> str:
    """JSON for a single (row-major) resource; Decimals become exact JSON numbers."""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, datetime):
        return json.dumps(value.isoformat(timespec="seconds"))
    return json.dumps(value, ensure_ascii=False)


def _column(field: Field, rows: Sequence[Any]) -> str:
    get = field.get
    if field.kind == "num":
        return "[" + ",".join("null" if (v := get(r)) is None else number(v) for r in rows) + "]"
    if field.kind == "date":
        values: list[Any] = [_dt(get(r)) for r in rows]
    else:
        values = [get(r) for r in rows]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def column_major(fields: Sequence[Field], rows: Sequence[Any]) -> bytes:
    body = "{" + ",".join(f"{json.dumps(f.name)}:{_column(f, rows)}" for f in fields) + "}"
    return body.encode("utf-8")


# ---------------------------------------------------------------- filters


def decode_filter(raw: str) -> dict[str, Any]:
    text = raw.strip().replace("-", "+").replace("_", "/").replace(" ", "+")
    try:
        decoded = json.loads(base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"filter is not Base64-encoded JSON: {exc}") from exc
    if not isinstance(decoded, dict):
        raise BadRequest("filter must be a JSON object of field -> [lower, upper]")
    for name, bounds in decoded.items():
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise BadRequest(f"filter {name!r} must be a two-element range [lower, upper]")
    return decoded


def _datetime_bound(value: Any, name: str, *, upper: bool) -> datetime:
    if not isinstance(value, str):
        raise BadRequest(f"filter {name!r}: date bounds must be strings")
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text)
            return datetime.combine(day.date(), time.max) if upper else day
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"filter {name!r}: {value!r} is not a date") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _bound(field: Field, value: Any, *, upper: bool) -> Any:
    if value is None:
        return None
    if field.kind == "date":
        return _datetime_bound(value, field.name, upper=upper)
    if field.kind == "num":
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise BadRequest(f"filter {field.name!r}: {value!r} is not a number") from exc
    if not isinstance(value, str):
        raise BadRequest(f"filter {field.name!r}: bounds must be strings")
    return value


def _select(rows: list[Any], field: Field, lo: Any, hi: Any) -> list[Any]:
    if lo is None and hi is None:
        return rows
    get = field.get
    if lo is not None and hi is not None:
        return [r for r in rows if (v := get(r)) is not None and lo <= v <= hi]
    if lo is not None:
        return [r for r in rows if (v := get(r)) is not None and lo <= v]
    return [r for r in rows if (v := get(r)) is not None and v <= hi]


def apply_filter(
    rows: list[Any],
    fields: Sequence[Field],
    spec: dict[str, Any],
    *,
    entity_cap: int,
    max_window_days: int,
) -> list[Any]:
    by_name = {f.name: f for f in fields}
    ranges: list[tuple[Field, Any, Any]] = []
    for name, (lo, hi) in spec.items():
        field = by_name.get(name)
        if field is None or field.kind == "list":
            raise BadRequest(f"filter field {name!r} is not a top-level scalar field of this collection")
        ranges.append((field, _bound(field, lo, upper=False), _bound(field, hi, upper=True)))
    updated = [r for r in ranges if r[0].name == "lastUpdatedDate"]
    for field, lo, hi in updated:
        raw_lo, raw_hi = spec["lastUpdatedDate"]
        if lo is None or hi is None:
            raise BadRequest("lastUpdatedDate filter must be a closed range (both bounds) of at most 30 days")
        # The span is measured between the bounds as written (a date means its midnight).
        span = _datetime_bound(raw_hi, field.name, upper=False) - _datetime_bound(raw_lo, field.name, upper=False)
        if span > timedelta(days=max_window_days):
            raise BadRequest(f"lastUpdatedDate filter range is limited to {max_window_days} days")
        rows = _select(rows, field, lo, hi)
    for field, lo, hi in ranges:
        if field.name != "lastUpdatedDate":
            rows = _select(rows, field, lo, hi)
    return rows[:entity_cap]


# ---------------------------------------------------------------- the collections of an account


def collection_rows(account: FinaleAccountRec, collection: str) -> tuple[list[Field], list[Any]]:
    acct = account.account_path
    if collection == "product":
        return product_fields(acct), list(account.products)
    if collection == "order":
        return order_fields(acct), list(account.orders)
    if collection == "invoice":
        return invoice_fields(acct), list(account.invoices)
    parents = parent_facilities(account)
    if collection == "facility":
        parent_rows: list[Any] = [(name, fid) for name, fid in parents.items()]
        return facility_fields(acct, parents), parent_rows + list(account.facilities)
    if collection == "inventoryitem":
        facilities = {f.facility_id: f for f in account.facilities}
        return inventory_item_fields(acct, parents, facilities), list(account.stock)
    raise KeyError(collection)


def render_collection(
    account: FinaleAccountRec,
    collection: str,
    *,
    filter_param: str | None,
    limit: int | None,
    entity_cap: int,
    max_window_days: int,
) -> bytes:
    fields, rows = collection_rows(account, collection)
    # inventoryitem supports no filtering (finale.md 2.2): the parameter is ignored, as Finale does.
    if collection in FILTERABLE:
        spec = decode_filter(filter_param) if filter_param else {}
        rows = apply_filter(rows, fields, spec, entity_cap=entity_cap, max_window_days=max_window_days)
    if limit is not None:
        rows = rows[:limit]
    return column_major(fields, rows)


# ---------------------------------------------------------------- single resources (row-major)


def _row(fields: Sequence[Field], rec: Any) -> dict[str, Any]:
    return {f.name: (_dt(f.get(rec)) if f.kind == "date" else f.get(rec)) for f in fields}


def render_resource(account: FinaleAccountRec, collection: str, resource_id: str) -> bytes | None:
    acct = account.account_path
    if collection == "product":
        product: FinaleProductRec | None = next((p for p in account.products if p.product_id == resource_id), None)
        return None if product is None else dumps(_row(product_fields(acct), product)).encode()
    if collection == "order":
        order: FinaleOrderRec | None = next((o for o in account.orders if o.order_id == resource_id), None)
        if order is None:
            return None
        row = _row(order_fields(acct), order)
        url = row["orderUrl"]
        row["orderItemList"] = [
            {
                "orderItemUrl": f"{url}/orderItem/{n:08d}",
                "productId": item.product_id,
                "productUrl": resource_url(acct, "product", item.product_id),
                "unitListPrice": item.unit_price,
                "unitPrice": item.unit_price,
                "quantity": item.quantity,
            }
            for n, item in enumerate(order.items, start=1)
        ]
        return dumps(row).encode()
    if collection == "invoice":
        invoice: FinaleInvoiceRec | None = next((i for i in account.invoices if i.invoice_id == resource_id), None)
        return None if invoice is None else dumps(_row(invoice_fields(acct), invoice)).encode()
    if collection == "facility":
        fields, rows = collection_rows(account, "facility")
        for rec in rows:
            if fields[0].get(rec) == resource_id:
                return dumps(_row(fields, rec)).encode()
    return None
