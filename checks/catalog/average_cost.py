"""6. average-cost: every active Finale product has an average cost (> 0) as of the enable date.

Finale values every transaction it pushes (COGS, inventory value) at the product's average cost. A product
without one pushes zero cost into QBO.
"""

from __future__ import annotations

from decimal import Decimal

from checks.answers import Answers
from checks.catalog._common import first, not_loaded, stale_enable_date
from checks.identifiers import by_key, key
from checks.money import count
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import FinaleProduct, Need, Snapshot

SLUG = "average-cost"

OUTCOMES = {
    "average-cost.F001": "active Finale products without an average cost above zero",
    "average-cost.N001": "every cost is above zero today; the enable date is not chosen yet",
    "average-cost.I001": "every active product has an average cost above zero on the enable date",
    "average-cost.I002": "every active product has an average cost above zero today; the enable date is blank",
}

FIX = (
    "In Finale, enter an Average Cost Change (or import average costs) for each product listed, dated on or "
    "before the enable date, then run the check again."
)


def problem(cost: Decimal | None, listed: bool) -> str | None:
    if not listed:
        return "not in Finale's average cost report"
    if cost is None:
        return "no average cost"
    if cost == 0:
        return "average cost is 0"
    if cost < 0:
        return f"negative average cost {cost}"
    return None


@register(
    slug=SLUG,
    title="Average cost established",
    kind=Kind.AUTOMATIC,
    order=60,
    why=(
        "Finale books cost of goods sold and inventory value at each product's average cost. A product "
        "without "
        "one pushes wrong (zero) costs into QBO."
    ),
    needs=(Need.FINALE_PRODUCTS, Need.FINALE_AVERAGE_COST),
    depends_on_enable_date=True,
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    products, costs = snapshot.products, snapshot.average_costs
    if products is None or costs is None:
        return not_loaded(SLUG, answers, {Need.FINALE_PRODUCTS: products, Need.FINALE_AVERAGE_COST: costs})
    stale = stale_enable_date(SLUG, snapshot, answers)
    if stale is not None:
        return stale
    # Before the enable date is chosen (or when it is blank) the costs are today's: still worth checking,
    # since a product without a cost today lacks one at any earlier date too.
    as_of = (
        f"as of the enable date {answers.enable_date.isoformat()}"
        if answers.enable_date_decided and answers.enable_date is not None
        else "as of today"
    )
    active = [p for p in products if p.active]
    without: list[tuple[FinaleProduct, str, Decimal | None]] = []
    # The report trims ids and may differ in case from the product list: compare as every check does.
    listed = by_key(costs)
    for p in sorted(active, key=lambda p: p.product_id):
        cost = listed.get(key(p.product_id))
        why = problem(cost, key(p.product_id) in listed)
        if why is not None:
            without.append((p, why, cost))
    findings = tuple(
        Finding(kind="finale_product", id=p.product_id, name=p.name, detail=why, amount=cost)
        for p, why, cost in without
    )
    if without:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=(
                f"{count(len(without), 'active Finale product')} of {len(active):,} "
                f"{'has' if len(without) == 1 else 'have'} no average cost above zero {as_of}: "
                f"{first(p.product_id for p, _, _ in without)}."
            ),
            hint=FIX,
            findings=findings,
            id="average-cost.F001",
        )
    if not answers.enable_date_decided:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=(
                f"All {count(len(active), 'active Finale product')} have an average cost above zero as of "
                "today. "
                "Preflight checks again as of the enable date once it is chosen."
            ),
            hint=(
                "Choose the enable date. Today's costs were checked already so that missing ones can be "
                "fixed "
                "early, but what counts is the cost on the enable date, which can differ for a past date."
            ),
            id="average-cost.N001",
            pending=Pending.ENABLE_DATE,
        )
    blank = (
        " The enable date is blank, so costs must also be right for the whole history; Preflight can only see today's."
        if answers.enable_date is None
        else ""
    )
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=(f"All {count(len(active), 'active Finale product')} have an average cost above zero {as_of}.{blank}"),
        id="average-cost.I002" if blank else "average-cost.I001",
    )
