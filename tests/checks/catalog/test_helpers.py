from __future__ import annotations

import unicodedata
from decimal import Decimal

from checks.catalog._matching import base_name, key, matching_product, product_index
from checks.money import money, plain_money, qty
from tests.checks.factories import item, product


def test_money_rounds_half_up_with_separators_and_currency() -> None:
    assert money(Decimal("1234567.005"), "USD") == "1,234,567.01 USD"
    assert money(Decimal("2.665"), "CAD") == "2.67 CAD"  # half even would give 2.66
    assert money(Decimal("-0.004"), "USD") == "0.00 USD"
    assert money(Decimal("-1234.5"), "EUR") == "-1,234.50 EUR"
    assert plain_money(Decimal("1234.5")) == "1234.50"


def test_quantities_drop_trailing_zeros() -> None:
    assert qty(Decimal("1200.000")) == "1,200"
    assert qty(Decimal("2.50")) == "2.5"
    assert qty(Decimal("-0")) == "0"


def test_matching_is_trimmed_case_insensitive_and_unicode_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Café-1")
    index = product_index([product("CAFÉ-1"), product('MUG "XL"')])
    assert key(decomposed) == key(" café-1 ")
    assert matching_product(item("1", decomposed), index) is not None
    assert matching_product(item("2", "Other", sku=' mug "xl" '), index) is not None
    assert matching_product(item("3", "Café 1"), index) is None  # inner spacing/punctuation still matters


def test_the_deleted_suffix_is_ignored_only_on_inactive_items() -> None:
    assert base_name(item("1", "SKU-1 (deleted)", active=False)) == "SKU-1"
    assert base_name(item("2", "SKU-1 (deleted)", active=True)) == "SKU-1 (deleted)"
