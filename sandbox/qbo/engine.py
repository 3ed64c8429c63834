"""Running a parsed query against a company: filter, sort, page, render.

Large companies (tens of thousands of items) are the point: items come from a pre-sorted index, each WHERE
condition is compiled once into a predicate, and a page ordered by Id stops scanning once it is full.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sandbox.company import QboCompanyRec, QboTxnRec
from sandbox.qbo import render
from sandbox.qbo.query import Condition, Query, Value
from sandbox.qbo.state import ItemIndex, id_key

TXN_ENTITIES = frozenset({"PurchaseOrder", "Bill", "Invoice", "SalesReceipt", "InventoryAdjustment"})


class QueryValidationError(ValueError):
    """The statement parsed but names something QBO would not accept (unknown property, bad literal)."""


@dataclass(frozen=True, slots=True)
class Field:
    kind: str  # id | str | bool | date | datetime | number
    get: Callable[[Any], Any]


def _item_fields(company: QboCompanyRec) -> dict[str, Field]:
    return {
        "Id": Field("id", lambda r: r.id),
        "Name": Field("str", render.item_name),
        "FullyQualifiedName": Field("str", render.item_name),
        "Type": Field("str", lambda r: r.type),
        "Active": Field("bool", lambda r: r.active),
        "Sku": Field("str", lambda r: r.sku),
        "QtyOnHand": Field("number", lambda r: r.qty_on_hand),
        "MetaData.CreateTime": Field("datetime", lambda r: render.local_time(company, r.create_time)),
        "MetaData.LastUpdatedTime": Field("datetime", lambda r: render.local_time(company, r.update_time)),
    }


def _account_fields(company: QboCompanyRec) -> dict[str, Field]:
    return {
        "Id": Field("id", lambda r: r.id),
        "Name": Field("str", lambda r: r.name),
        "FullyQualifiedName": Field("str", lambda r: r.name),
        "Active": Field("bool", lambda r: r.active),
        "AccountType": Field("str", lambda r: r.account_type),
        "AccountSubType": Field("str", lambda r: r.account_sub_type),
        "Classification": Field("str", lambda r: r.classification),
    }


def _txn_fields(company: QboCompanyRec) -> dict[str, Field]:
    def moment(r: Any) -> datetime:
        return render.local_time(company, render.txn_moment(r.txn_date))

    return {
        "Id": Field("id", lambda r: r.id),
        "TxnDate": Field("date", lambda r: r.txn_date),
        "DocNumber": Field("str", lambda r: r.doc_number),
        "MetaData.CreateTime": Field("datetime", moment),
        "MetaData.LastUpdatedTime": Field("datetime", lambda r: render.local_time(company, render.updated_moment(r))),
    }


def _single_fields(company: QboCompanyRec) -> dict[str, Field]:
    return {"Id": Field("id", lambda r: "1")}


def _coerce(field_name: str, f: Field, value: Value, company: QboCompanyRec) -> Any:
    bad = QueryValidationError(f"QueryValidationError: value {value!r} is not valid for property {field_name}")
    if f.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad
    if isinstance(value, bool):
        raise bad
    if f.kind == "id":
        return str(value)
    if f.kind == "number":
        try:
            return Decimal(value)
        except ArithmeticError as exc:
            raise bad from exc
    if f.kind == "date":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError as exc:
            raise bad from exc
    if f.kind == "datetime":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise bad from exc
        return render.local_time(company, moment)
    return str(value)


def _compare(kind: str, op: str, actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if kind == "id":
        a, e = id_key(actual), id_key(expected)
    else:
        a, e = actual, expected
    if op == "=":
        return bool(a == e)
    if op == "!=":
        return bool(a != e)
    if op == "<":
        return bool(a < e)
    if op == ">":
        return bool(a > e)
    if op == "<=":
        return bool(a <= e)
    return bool(a >= e)


def compile_condition(cond: Condition, fields: dict[str, Field], company: QboCompanyRec) -> Callable[[Any], bool]:
    f = fields.get(cond.field)
    if f is None:
        raise QueryValidationError(f"QueryValidationError: property '{cond.field}' is not queryable")
    values = [_coerce(cond.field, f, v, company) for v in cond.values]
    get = f.get
    if cond.op == "IN":
        if f.kind == "id":
            wanted = {id_key(v) for v in values}
            return lambda r: id_key(get(r)) in wanted
        wanted_set = set(values)
        return lambda r: get(r) in wanted_set
    if cond.op == "LIKE":
        if f.kind != "str":
            raise QueryValidationError(f"QueryValidationError: LIKE is not supported for property {cond.field}")
        # Only % is a wildcard in QBO.
        pattern = re.compile("^" + ".*".join(re.escape(part) for part in str(values[0]).split("%")) + "$", re.DOTALL)

        def like(r: Any) -> bool:
            v = get(r)
            return v is not None and pattern.match(v) is not None

        return like
    expected = values[0]
    if cond.op == "=" and f.kind in ("str", "bool"):
        return lambda r: get(r) == expected
    kind, op = f.kind, cond.op
    return lambda r: _compare(kind, op, get(r), expected)


@dataclass
class QueryResult:
    rows: list[Any]
    total: int | None  # for COUNT(*)


def run(query: Query, company: QboCompanyRec, items: ItemIndex) -> QueryResult:
    """Filter, sort and page `query`'s entity; returns the page's records (or the count)."""
    entity = query.entity
    source: Sequence[Any]
    presorted = False
    if entity == "Item":
        fields = _item_fields(company)
        source = items.sorted(company)
        presorted = True
    elif entity == "Account":
        fields = _account_fields(company)
        source = company.accounts
    elif entity in TXN_ENTITIES:
        fields = _txn_fields(company)
        if entity == "InventoryAdjustment":
            # QBO filters and sorts inventory adjustments only by Id and their MetaData times, not TxnDate.
            fields = {k: v for k, v in fields.items() if k in ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")}
        source = [t for t in company.transactions if t.entity == entity]
    elif entity == "JournalEntry":
        fields = _txn_fields(company)
        source = company.journal_entries
    else:  # CompanyInfo, Preferences: one object, no paging
        fields = _single_fields(company)
        source = [company]
    predicates = [compile_condition(c, fields, company) for c in query.where]
    # Name-list entities answer active rows only, unless the statement says otherwise about Active.
    if entity in ("Item", "Account") and not query.mentions("Active"):
        predicates.insert(0, lambda r: bool(r.active))

    def matches(r: Any) -> bool:
        return all(p(r) for p in predicates)

    if query.count:
        return QueryResult([], sum(1 for r in source if matches(r)))
    for name, _desc in query.order_by:
        if name not in fields:
            raise QueryValidationError(f"QueryValidationError: property '{name}' is not sortable")
    by_id_only = not query.order_by or (len(query.order_by) == 1 and query.order_by[0] == ("Id", False))
    first = query.start_position - 1
    if by_id_only and presorted:
        # The index is already in Id order: stop as soon as the page is full.
        page: list[Any] = []
        seen = 0
        for r in source:
            if matches(r):
                if seen >= first:
                    page.append(r)
                    if len(page) >= query.max_results:
                        break
                seen += 1
        return QueryResult(page, None)
    rows = [r for r in source if matches(r)]
    if by_id_only:
        rows.sort(key=lambda r: id_key(r.id) if hasattr(r, "id") else (0, 1))
    else:
        for name, desc in reversed(query.order_by):
            f = fields[name]
            key = f.get

            def sort_key(r: Any, key: Callable[[Any], Any] = key, kind: str = f.kind) -> tuple[bool, Any]:
                v = key(r)
                if v is None:
                    return (False, 0)
                return (True, id_key(v) if kind == "id" else (v.lower() if isinstance(v, str) else v))

            rows.sort(key=sort_key, reverse=desc)
    return QueryResult(rows[first : first + query.max_results], None)


def render_rows(query: Query, company: QboCompanyRec, rows: list[Any], items: ItemIndex) -> list[dict[str, Any]]:
    entity = query.entity
    names = render.AccountNames(company)
    if entity == "Item":
        with_sku = "Sku" in query.extra_fields
        return [render.item_json(company, r, names, with_sku=with_sku) for r in rows]
    if entity == "Account":
        sums = render.balances(company)
        return [render.account_json(company, r, sums) for r in rows]
    if entity in TXN_ENTITIES:
        item_names = _item_names(rows, company, items)
        return [render.txn_json(company, r, item_names, names) for r in rows]
    if entity == "JournalEntry":
        return [render.journal_entry_json(company, r, names) for r in rows]
    if entity == "CompanyInfo":
        return [render.company_info_json(company)]
    return [render.preferences_json(company)]


def _item_names(rows: list[QboTxnRec], company: QboCompanyRec, items: ItemIndex) -> dict[str, str]:
    out: dict[str, str] = {}
    for txn in rows:
        for line in txn.lines:
            if line.item_id not in out:
                item = items.get(company, line.item_id)
                if item is not None:
                    out[line.item_id] = render.item_name(item)
    return out
