"""7. negative-qoh: no Finale product has negative stock at any sublocation."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from checks.answers import Answers
from checks.catalog._common import first, not_loaded
from checks.identifiers import by_key, key
from checks.money import ZERO, count, qty
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Status
from checks.snapshot import Need, Snapshot

SLUG = "negative-qoh"

OUTCOMES = {
    "negative-qoh.I001": "no Finale product has negative stock at any sublocation",
    "negative-qoh.F001": "Finale products with negative stock",
}


@register(
    slug=SLUG,
    title="No negative stock in Finale",
    kind=Kind.AUTOMATIC,
    order=70,
    why=(
        "Negative stock pushes wrong values into QBO and corrupts average cost: stock received while the "
        "quantity is below zero is taken in at the wrong cost."
    ),
    needs=(Need.FINALE_STOCK, Need.FINALE_PRODUCTS),
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    stock, products = snapshot.stock, snapshot.products
    if stock is None or products is None:
        return not_loaded(SLUG, answers, {Need.FINALE_STOCK: stock, Need.FINALE_PRODUCTS: products})
    names = by_key((p.product_id, p.name) for p in products)
    # Lots are summed: a product is short at a sublocation when its lots there add up below zero. Ids that
    # differ only by surrounding space or case are one product, shown as first spelled.
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    shown: dict[str, str] = {}
    sub_names: dict[str, str] = {}
    for row in stock:
        product_id = shown.setdefault(key(row.product_id), row.product_id.strip())
        totals[(product_id, row.sublocation)] += row.quantity_on_hand
        sub_names.setdefault(row.sublocation, row.sublocation_name or row.sublocation)
    negative = sorted((k, v) for k, v in totals.items() if v < 0)
    if not negative:
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=(
                f"No negative stock: {count(len({p for p, _ in totals}), 'product')} across "
                f"{count(len(sub_names), 'sublocation')} checked."
            ),
            id="negative-qoh.I001",
        )
    findings = tuple(
        Finding(
            kind="finale_stock",
            id=product_id,
            name=names.get(key(product_id), product_id),
            detail=f"{qty(q)} at {sub_names[sub]}",
            quantity=q,
            extra={"sublocation": sub_names[sub], "sublocation_url": sub},
        )
        for (product_id, sub), q in negative
    )
    products_short = {p for (p, _), _ in negative}
    places = (
        f" in {count(len(negative), 'place')} (product at sublocation)" if len(negative) > len(products_short) else ""
    )
    return CheckResult(
        slug=SLUG,
        status=Status.FAIL,
        summary=(
            f"{count(len(products_short), 'Finale product')} {'has' if len(products_short) == 1 else 'have'} "
            f"negative stock{places}: "
            f"{first(f'{p} ({qty(q)} at {sub_names[s]})' for (p, s), q in negative)}. "
            "Negative stock also corrupts average cost: stock received while below zero is taken in at the "
            "wrong cost."
        ),
        hint=(
            "In Finale, correct each listed product at its sublocation so it is zero or more: record the "
            "missing "
            "receipt or transfer, or do a stock take with the counted quantity. Then check its average cost "
            "and "
            "run this check again."
        ),
        findings=findings,
        id="negative-qoh.F001",
    )
