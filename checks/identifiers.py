"""How identifiers are compared, once for every check and source: Finale productIds, QBO item Name and Sku, the
product ids in Finale's reports and account names.

Finale's rule for matching QBO items to products: equal when trimmed and case-insensitive. The same rule holds
everywhere a product id read from one place is looked up in another, so that "WIDGET-1 " in the product list,
"widget-1" in a report and "Widget-1" in QBO are the same product. Unicode is compared in NFC, so the same text
typed on two systems (composed vs decomposed accents) matches. The looser key (no whitespace at all,
compatibility forms) is only used for hints of collisions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

V = TypeVar("V")


def key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def loose_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def by_key(pairs: Iterable[tuple[str, V]] | Mapping[str, V]) -> dict[str, V]:
    """`{key(id): value}`; where two ids give the same key, the first value that is not None wins."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    out: dict[str, V] = {}
    for ident, value in items:
        k = key(ident)
        if out.get(k) is None:
            out[k] = value
    return out
