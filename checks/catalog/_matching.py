"""How QBO items are matched to Finale products.

Finale's rule: an item matches when its Name or Sku equals a Finale productId, trimmed and case-insensitive:
`checks.identifiers.key`, the one comparison every check uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial

from checks.identifiers import key, loose_key
from checks.registry import register_view
from checks.snapshot import FinaleProduct, Need, QboItem, Snapshot

__all__ = [
    "DELETED_SUFFIX",
    "base_name",
    "key",
    "loose_key",
    "matching_product",
    "product_index",
    "products_by_key",
    "products_by_loose_key",
]

# QBO renames an item it makes inactive: "Widget" becomes "Widget (deleted)".
DELETED_SUFFIX = " (deleted)"


def base_name(item: QboItem) -> str:
    """The item's name without the "(deleted)" suffix QBO adds to inactive items."""
    name = item.name
    if not item.active and name.rstrip().casefold().endswith(DELETED_SUFFIX.strip().casefold()):
        return name.rstrip()[: -len(DELETED_SUFFIX.strip())].rstrip()
    return name


def product_index(products: Iterable[FinaleProduct], by: Callable[[str], str] = key) -> dict[str, FinaleProduct]:
    """Products by `by(productId)`; the first product wins where two give the same key."""
    index: dict[str, FinaleProduct] = {}
    for p in products:
        index.setdefault(by(p.product_id), p)
    return index


@register_view(needs=(Need.FINALE_PRODUCTS,), used_by=("inventory-items", "deactivation", "other-apps"))
def products_by_key(snapshot: Snapshot) -> Mapping[str, FinaleProduct]:
    """The snapshot's products by `key(productId)`, built once for all the checks of a run."""
    return snapshot.derived("products_by_key", snapshot.products or (), product_index)


@register_view(needs=(Need.FINALE_PRODUCTS,), used_by=("other-apps",))
def products_by_loose_key(snapshot: Snapshot) -> Mapping[str, FinaleProduct]:
    return snapshot.derived("products_by_loose_key", snapshot.products or (), partial(product_index, by=loose_key))


def matching_product(item: QboItem, index: Mapping[str, FinaleProduct]) -> FinaleProduct | None:
    """The Finale product whose productId equals the item's Name or Sku (trimmed, case-insensitive)."""
    found = index.get(key(base_name(item)))
    if found is None and item.sku:
        found = index.get(key(item.sku))
    return found
