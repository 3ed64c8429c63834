"""The QBO items to deactivate (and those already written off), as a CSV a person opens in Excel or Sheets.

Cells that start with = + - @ (or a tab or carriage return) are prefixed with a quote so a spreadsheet shows
them as text instead of running them as formulas: item names come from QBO and anyone can type them.
Numbers Preflight writes itself (quantities, values) are left as numbers. UTF-8 with a BOM, so Excel reads
accents and other scripts correctly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from checks.results import CheckResult, Finding

HEADER = (
    "Id",
    "Name",
    "SKU",
    "Qty on hand",
    "Asset value",
    "Asset account",
    "Expense account",
    "Matching Finale product",
    "Value is an estimate",
    "Written off on",  # items already made inactive: the date of QBO's write-off
    "Inventory adjustment",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_cell(value: str) -> str:
    """A number stays a number (a negative quantity is no formula); any other text is made safe."""
    return value if NUMBER.fullmatch(value) else safe_text(value)


def _number(value: Decimal | None, places: int | None) -> str:
    if value is None:
        return ""
    if places is not None:
        from checks.money import plain_money

        return plain_money(value)
    return f"{value.normalize():f}" if value != value.to_integral_value() else f"{value.to_integral_value():f}"


def rows(findings: Iterable[Finding]) -> list[list[str]]:
    out: list[list[str]] = []
    for f in findings:
        if f.kind != "qbo_item":
            continue
        extra = f.extra
        out.append(
            [
                safe_text(f.id),
                safe_text(f.name),
                safe_text(extra.get("sku", "")),
                _number(f.quantity, None),
                _number(f.amount, 2),
                safe_text(extra.get("asset_account", "")),
                safe_text(extra.get("expense_account", "")),
                safe_text(extra.get("finale_product", "")),
                "yes" if extra.get("estimate") == "yes" else "no",
                safe_text(extra.get("written_off_on", "")),
                safe_text(extra.get("adjustment", "")),
            ]
        )
    return out


def write_csv(header: Iterable[str], body: Iterable[Iterable[str]]) -> bytes:
    """Every CSV Preflight hands out: UTF-8 with a BOM, CRLF, and no cell a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in body)
    return buffer.getvalue().encode("utf-8-sig")


def deactivation_csv(result: CheckResult) -> bytes:
    """The items the deactivation check lists, one row each, as UTF-8 (with BOM) CSV bytes."""
    if result.slug != "deactivation":
        raise ValueError(f"Only the deactivation check's items can be exported, not {result.slug!r}.")
    return write_csv(HEADER, rows(result.findings))
