"""Finale's saved reports: the data address of a report a person copied, its filters, and the average cost
and inventory value read from columns whose layout is the owner's.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checks.identifiers import key
from checks.sources.errors import ConfigurationError
from checks.sources.finale.values import parse_display_decimal

# The report filter that sets the as-of date (a real Finale stock-report filter name, finale.md 2.9).
AS_OF_FILTER = "stockEffectiveDate"


def _report_missing(what: str, setting: str) -> str:
    return (
        f"Preflight has no Finale report for {what} yet. In Finale, build a report with that column "
        "(Reports > create or open a report, add the column, save it), copy the report's address from the "
        f"browser and put it in {setting}."
    )


def encode_filter(spec: Mapping[str, list[Any]]) -> str:
    return base64.b64encode(json.dumps(spec, separators=(",", ":")).encode()).decode()


def report_data_url(configured: str, as_of: date, *, origin: str, prefix: str, account: str, setting: str) -> str:
    """The data form of a report address a person copied from Finale: `/pivotTableStream/` becomes
    `/pivotTable/` (the stream form is a web page), `format=jsonObject`, and the as-of date filter set."""
    parts = urlsplit(configured)
    if not parts.scheme and configured.startswith("/"):
        parts = urlsplit(origin + configured)
    if parts.scheme not in ("http", "https") or "/doc/report/" not in parts.path:
        raise ConfigurationError(
            f"{setting} is not a Finale report address. Open the report in Finale, copy the address from the "
            "browser (it contains /doc/report/) and paste it again."
        )
    # The API key goes with this request, so it must go to the Finale server, never to another host.
    if f"{parts.scheme}://{parts.netloc}".lower() != origin.lower():
        raise ConfigurationError(
            f"{setting} points to {parts.netloc}, but Finale is at {urlsplit(origin).netloc}. Copy the "
            "report address from your Finale account again."
        )
    path = parts.path.replace("/pivotTableStream/", "/pivotTable/")
    if not path.startswith(f"{prefix}/{account}/doc/report/"):
        raise ConfigurationError(
            f"{setting} belongs to another Finale account than {account!r}. Copy the report address from the "
            f"{account} account."
        )
    head, _, name = path.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    path = f"{head}/{stem or 'Report'}.json"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("format", "filters")]
    raw_filters = dict(parse_qsl(parts.query, keep_blank_values=True)).get("filters")
    filters = [f for f in _decode_report_filters(raw_filters, setting) if not (f and f[0] == AS_OF_FILTER)]
    filters.append([AS_OF_FILTER, [None, as_of.isoformat()], None])
    query += [("format", "jsonObject"), ("filters", encode_filter_list(filters))]
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def encode_filter_list(filters: list[list[Any]]) -> str:
    return base64.b64encode(json.dumps(filters, separators=(",", ":")).encode()).decode()


def _decode_report_filters(raw: str | None, setting: str) -> list[list[Any]]:
    if not raw:
        return []
    # A pasted URL may carry the Base64 '+' unencoded, which query parsing turns into a space.
    text = raw.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
    try:
        decoded = json.loads(base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or not all(isinstance(f, list) for f in decoded):
        raise ConfigurationError(
            f"The filters in {setting} could not be read. Copy the report address from Finale again."
        )
    return decoded


def _norm(title: str) -> str:
    return " ".join(title.replace("\n", " ").split()).lower()


def _columns(rows: Sequence[Any], what: str, id_titles: Sequence[str], value_titles: Sequence[str]) -> tuple[str, str]:
    """The report's product-id and value column titles (matched loosely: layouts are the owner's)."""
    titles: list[str] = []
    for row in rows:
        if isinstance(row, dict):
            titles.extend(k for k in row if k not in titles)
    if not titles:
        return id_titles[0], value_titles[0]  # an empty report: nothing to read
    id_col = next((t for want in id_titles for t in titles if _norm(t) == want), None)
    value_col = next((t for want in value_titles for t in titles if _norm(t) == want), None)
    if value_col is None:
        value_col = next((t for want in value_titles for t in titles if want in _norm(t)), None)
    if id_col is None or value_col is None:
        need = "Product ID" if id_col is None else value_titles[0].capitalize()
        raise ConfigurationError(
            f"The {what} has no {need!r} column (it has {', '.join(repr(t) for t in titles[:8])}). Add the "
            "column to the report in Finale, save it and copy its address again."
        )
    return id_col, value_col


def _average_costs_from(rows: list[Any]) -> dict[str, Decimal | None]:
    id_col, cost_col = _columns(rows, "average cost report", ("product id", "product"), ("average cost",))
    costs: dict[str, Decimal | None] = {}
    shown: dict[str, str] = {}  # identifiers.key -> the id as first spelled in the report
    for row in _data_rows(rows, id_col, cost_col):
        product_id = shown.setdefault(key(str(row[id_col])), str(row[id_col]).strip())
        cost = parse_display_decimal(row.get(cost_col), cost_col)
        if costs.get(product_id) is None:  # grouped reports may list a product once per group
            costs[product_id] = cost
    return costs


def _inventory_value_from(rows: list[Any], on: date | None = None) -> Decimal:
    """Finale's inventory asset balance: the TOTAL (or the sum) of an inventory value report by product, or,
    from a general-ledger style report (account, date, balance), the inventory account's balance on `on`."""
    ledger = _ledger_balance(rows, on)
    if ledger is not None:
        return ledger
    id_col, value_col = _columns(rows, "inventory value report", ("product id", "product"), ("value",))
    for row in rows:
        if isinstance(row, dict) and any(_is_total(v) for v in row.values()):
            total = parse_display_decimal(row.get(value_col), value_col)
            if total is not None:
                return total
    values = (parse_display_decimal(r.get(value_col), value_col) for r in _data_rows(rows, id_col, value_col))
    return sum((v for v in values if v is not None), Decimal(0))


LEDGER_ACCOUNT = ("account", "gl account", "account name")
LEDGER_DATE = ("date", "transaction date", "posting date", "posted date")
LEDGER_BALANCE = ("balance", "running balance", "ending balance", "closing balance")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y", "%d %b %Y", "%B %d, %Y")


def _ledger_balance(rows: Sequence[Any], on: date | None) -> Decimal | None:
    """The inventory account's balance from a general-ledger style report, None when the report is not one.

    Finale's default inventory account is `101 // Inventory account`; a row is the inventory account's when its
    account names 101 or "inventory". The balance is the last row dated on or before `on` (rows undated: the
    last row), so a ledger exported past D-1 still gives D-1's balance."""
    titles = {_norm(k): k for row in rows if isinstance(row, dict) for k in row}
    account_col = next((titles[t] for t in LEDGER_ACCOUNT if t in titles), None)
    balance_col = next((titles[t] for t in LEDGER_BALANCE if t in titles), None)
    if account_col is None or balance_col is None or any(t in titles for t in ("product id", "product")):
        return None
    date_col = next((titles[t] for t in LEDGER_DATE if t in titles), None)
    chosen: tuple[date | None, Decimal] | None = None
    for row in rows:
        if not isinstance(row, dict) or _is_total(row.get(account_col)):
            continue
        account = _norm(str(row.get(account_col) or ""))
        if not (account.startswith("101") or "inventory" in account):
            continue
        balance = parse_display_decimal(row.get(balance_col), balance_col)
        if balance is None:
            continue
        when = _ledger_date(row.get(date_col)) if date_col else None
        if on is not None and when is not None and when > on:
            continue
        if chosen is None or chosen[0] is None or when is None or when >= chosen[0]:
            chosen = (when, balance)
    if chosen is None:
        raise ConfigurationError(
            "The general-ledger report has no row for the inventory account (101, Inventory) "
            + (f"on or before {on.isoformat()}." if on else ".")
            + " Filter the report on the inventory account and the day before the enable date, save it and copy "
            "its address again, or type the balance in with `balance`."
        )
    return chosen[1]


def _ledger_date(value: Any) -> date | None:
    from datetime import datetime

    text = str(value or "").strip()
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text[:20], form).date()
        except ValueError:
            continue
    return None


def _is_total(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper().startswith("TOTAL")


def _data_rows(rows: Sequence[Any], id_col: str, value_col: str) -> Iterator[dict[str, Any]]:
    """Product rows only: skips header rows (titles repeated), group headers (no value) and TOTAL rows."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        ident = row.get(id_col)
        if ident is None or not str(ident).strip() or _is_total(ident):
            continue
        if any(_is_total(v) for v in row.values()):
            continue
        if all(isinstance(k, str) and v == k for k, v in row.items()):
            continue
        if value_col not in row or row[value_col] == "":
            continue
        yield row
