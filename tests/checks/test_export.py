from __future__ import annotations

import csv
import io

import pytest

from checks.export import HEADER, deactivation_csv
from checks.results import CheckResult, Status
from checks.snapshot import FinaleProduct, QboItem
from tests.checks.factories import account, answers, company, item, product, run, snapshot


def exported(items: list[QboItem], products: list[FinaleProduct]) -> list[list[str]]:
    snap = snapshot(
        company=company(),
        items=tuple(items),
        products=tuple(products),
        accounts=(account("81", "Inventory Asset"),),
        adjustments=(),
    )
    data = deactivation_csv(run("deactivation", snap, answers()))
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_one_row_per_item_with_every_column() -> None:
    rows = exported([item("7", 'Café, "grande"', sku="SKU-1", qty="3", cost="33.335")], [product("SKU-1")])
    assert rows[0] == list(HEADER)
    assert rows[1] == [
        "7",
        'Café, "grande"',
        "SKU-1",
        "3",
        "100.01",
        "Inventory Asset",
        "Cost of Goods Sold",
        "SKU-1",
        "yes",
        "",
        "",
    ]


def test_formula_injection_is_neutralised() -> None:
    items = [
        item("1", '=HYPERLINK("http://evil")', qty="1", cost="1"),
        item("2", "+1", qty="1", cost="1"),
        item("3", "-2+3", qty="1", cost="1"),
        item("4", "@SUM(A1)", qty="1", cost="1"),
    ]
    products = [product(i.name) for i in items]
    rows = exported(items, products)
    names = [r[1] for r in rows[1:]]
    assert names == ['\'=HYPERLINK("http://evil")', "'+1", "'-2+3", "'@SUM(A1)"]
    assert all(r[7].startswith("'") for r in rows[1:])


def test_negative_numbers_stay_numbers() -> None:
    rows = exported([item("1", "SKU-1", qty="-2", cost="1.5")], [product("SKU-1")])
    assert rows[1][3:5] == ["-2", "-3.00"]


def test_more_than_a_thousand_rows() -> None:
    items = [item(str(i), f"P{i}", qty="1", cost="1") for i in range(1001)]
    rows = exported(items, [product(f"P{i}") for i in range(1001)])
    assert len(rows) == 1002


def test_only_the_deactivation_check_exports() -> None:
    with pytest.raises(ValueError):
        deactivation_csv(CheckResult(slug="backup", status=Status.PASS, summary=""))
