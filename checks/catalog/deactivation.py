"""3. deactivation: QBO inventory items that match Finale products must be made inactive.

Deactivating an inventory item that has stock makes QBO credit the inventory asset account and debit an
expense account (QBO books it as an inventory write-off to "Inventory Shrinkage"). The value leaves the
balance sheet, and unless Finale pushes from the beginning of time it has to be put back with a manual
journal entry. An owner must acknowledge that amount before anyone deactivates anything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from checks.answers import Answers
from checks.catalog._common import day_before, first, not_loaded
from checks.catalog._matching import key, matching_product, products_by_key
from checks.money import ZERO, cents, count, money, plain_money, qty
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import FinaleProduct, Need, QboAccount, QboItem, Ref, Snapshot, ValuationLine

SLUG = "deactivation"
SHRINKAGE = "Inventory Shrinkage"

OUTCOMES = {
    "deactivation.I001": "no active QBO inventory item matches a Finale product",
    "deactivation.F001": "items still active; an owner must acknowledge the amount moved to expense",
    "deactivation.F002": "items still active; the earlier acknowledgement was for another amount",
    "deactivation.F003": "items still active; the amount is acknowledged, so deactivate them",
}


@dataclass(frozen=True, slots=True)
class ToDeactivate:
    item: QboItem
    product: FinaleProduct
    qty: Decimal
    value: Decimal  # exact, not rounded
    estimate: bool
    asset_account: Ref | None
    expense_account: Ref | None


def expense_account_for(item: QboItem, accounts: tuple[QboAccount, ...]) -> Ref | None:
    """The account QBO debits: its "Inventory Shrinkage" account when there is one, else the item's own."""
    for a in accounts:
        if a.active and key(a.name) == key(SHRINKAGE):
            return Ref(a.id, a.name)
    return item.expense_account


def value_of(item: QboItem, lines: dict[str, ValuationLine]) -> tuple[Decimal, Decimal, bool]:
    """(quantity, asset value, estimate?): the valuation report when it lists the item, else qty × cost."""
    line = lines.get(item.id)
    if line is not None:
        return line.qty, line.asset_value, False
    on_hand = item.qty_on_hand or ZERO
    return on_hand, on_hand * (item.purchase_cost or ZERO), True


def items_to_deactivate(snapshot: Snapshot) -> list[ToDeactivate]:
    """Active inventory items matching a Finale product, valued. Shared with the CSV export."""
    items = snapshot.items or ()
    accounts = snapshot.accounts or ()
    lines = {v.item_id: v for v in snapshot.valuation or ()}
    index = products_by_key(snapshot)
    out: list[ToDeactivate] = []
    for item in items:
        if not (item.active and item.type == "Inventory"):
            continue
        product = matching_product(item, index)
        if product is None:
            continue
        on_hand, value, estimate = value_of(item, lines)
        out.append(
            ToDeactivate(
                item,
                product,
                on_hand,
                value,
                estimate,
                item.asset_account,
                expense_account_for(item, accounts),
            )
        )
    return out


def _finding(d: ToDeactivate, currency: str) -> Finding:
    asset = d.asset_account.name if d.asset_account else "(no asset account)"
    expense = d.expense_account.name if d.expense_account else "(no expense account)"
    how = " (estimate: quantity on hand × purchase cost)" if d.estimate else ""
    return Finding(
        kind="qbo_item",
        id=d.item.id,
        name=d.item.name,
        detail=(
            f"Matches Finale product {d.product.product_id}; {qty(d.qty)} on hand worth "
            f"{money(d.value, currency)}{how} moves from {asset} to {expense}"
        ),
        quantity=d.qty,
        amount=d.value,
        extra={
            "sku": d.item.sku or "",
            "finale_product": d.product.product_id,
            "asset_account": d.asset_account.name if d.asset_account else "",
            "asset_account_id": d.asset_account.id if d.asset_account else "",
            "expense_account": d.expense_account.name if d.expense_account else "",
            "expense_account_id": d.expense_account.id if d.expense_account else "",
            "estimate": "yes" if d.estimate else "no",
        },
    )


def journal_sentence(answers: Answers) -> str:
    if answers.enable_date_decided and answers.enable_date is None:
        return (
            "The enable date is blank, so Finale pushes from the beginning of time and no journal entry is "
            "needed to put this value back."
        )
    if answers.enable_date_decided and answers.enable_date is not None:
        d1 = day_before(answers.enable_date).isoformat()
        return (
            "Finale does not push from the beginning of time, so this value must be put back with a manual "
            f"journal entry dated {d1} (the day before the enable date) from Finale's inventory value: the "
            "opening-balance check drafts it. Deactivate before the enable date, or the write-off needs its "
            "own entry."
        )
    return (
        "Unless Finale pushes from the beginning of time (a blank enable date), this value must be put back "
        "with a manual journal entry dated the day before the enable date."
    )


def acknowledgement(todo: list[ToDeactivate], total: Decimal, currency: str, answers: Answers) -> str:
    """What an owner acknowledges: the total and the accounts it moves between, and what puts it back."""
    assets = sorted({d.asset_account.name for d in todo if d.asset_account})
    expenses = sorted({d.expense_account.name for d in todo if d.expense_account})
    asset_names = ", ".join(assets) or "the inventory asset account"
    expense_names = ", ".join(expenses) or "an expense account"
    if answers.enable_date_decided and answers.enable_date is None:
        tail = "Finale will push from the beginning of time, so its history restores the balance."
    elif answers.enable_date is not None:
        tail = (
            "It must be put back with a manual journal entry dated the day before the enable date "
            f"({day_before(answers.enable_date).isoformat()})."
        )
    else:
        tail = "It must be put back with a manual journal entry dated the day before the enable date."
    return (
        f"Deactivating these {count(len(todo), 'item')} makes QuickBooks credit {asset_names} and debit "
        f"{expense_names} by {money(total, currency)} in total. {tail}"
    )


@register(
    slug=SLUG,
    title="Deactivate QBO inventory items that are Finale products",
    kind=Kind.AUTOMATIC_ACKNOWLEDGEMENT,
    order=30,
    why=(
        "Finale takes over these products. While they stay active in QBO both systems track them. "
        "Deactivating "
        "them moves their value from the inventory asset account to expense, which must be put back."
    ),
    needs=(
        Need.QBO_COMPANY,
        Need.QBO_ITEMS,
        Need.QBO_ACCOUNTS,
        Need.QBO_INVENTORY_VALUATION,
        Need.FINALE_PRODUCTS,
    ),
    # Without the valuation report, values are estimated (and marked so) instead of failing the check.
    handles_failures=(Need.QBO_INVENTORY_VALUATION,),
    outcomes=OUTCOMES,
    depends_on_enable_date=True,  # its summary says how the value is put back: a journal entry dated D-1, or none
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    company, items, accounts, products = (
        snapshot.company,
        snapshot.items,
        snapshot.accounts,
        snapshot.products,
    )
    if company is None or items is None or accounts is None or products is None:
        return not_loaded(
            SLUG,
            answers,
            {
                Need.QBO_COMPANY: company,
                Need.QBO_ITEMS: items,
                Need.QBO_ACCOUNTS: accounts,
                Need.FINALE_PRODUCTS: products,
            },
        )
    currency = company.home_currency
    todo = items_to_deactivate(snapshot)
    index = products_by_key(snapshot)
    done = [i for i in items if not i.active and i.type == "Inventory" and matching_product(i, index) is not None]
    if not todo:
        already = f" ({count(len(done), 'matching item is', 'matching items are')} already inactive.)" if done else ""
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=(f"No active QBO inventory item matches a Finale product: none remain to deactivate.{already}"),
            amounts={"total_to_expense": ZERO.quantize(Decimal("0.01"))},
            id="deactivation.I001",
        )

    total = sum((d.value for d in todo), ZERO)  # exact; rounded once, for display and the key
    estimated = sum((d.value for d in todo if d.estimate), ZERO)
    n_est = sum(1 for d in todo if d.estimate)
    by_route: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for d in todo:
        asset = d.asset_account.name if d.asset_account else "(no asset account)"
        expense = d.expense_account.name if d.expense_account else "(no expense account)"
        by_route[(asset, expense)] += d.value
    routes = "; ".join(f"{money(v, currency)} from {a} to {e}" for (a, e), v in sorted(by_route.items()))
    estimate_note = ""
    if n_est:
        why = (
            "the valuation report was unavailable"
            if snapshot.valuation is None
            else f"the valuation report does not list {'it' if n_est == 1 else 'them'}"
        )
        error = snapshot.errors.get(Need.QBO_INVENTORY_VALUATION)
        if error is not None:
            why = f"the valuation report failed ({error.message})"
        estimate_note = (
            f" Of this, {money(estimated, currency)} for {count(n_est, 'item')} is an estimate "
            f"(quantity on hand × purchase cost), because {why}."
        )
    ack_key = plain_money(total)
    acknowledged = answers.acknowledged(SLUG, ack_key)
    one = len(todo) == 1
    summary = (
        f"{count(len(todo), 'active QBO inventory item')} "
        f"{'matches a Finale product' if one else 'match Finale products'} and must be deactivated: "
        f"{first(d.item.name for d in todo)}. Deactivating {'it' if one else 'them'} moves "
        f"{money(total, currency)} out of the inventory asset account into expense "
        f"({routes}).{estimate_note} {journal_sentence(answers)}"
    )
    ack = answers.acknowledgements.get(SLUG)
    if acknowledged and ack is not None:
        when = ack.recorded_at.date().isoformat()
        next_step = f"{ack.user_name} acknowledged the {money(total, currency)} on {when}. "
        result_id = "deactivation.F003"
    elif ack is not None:
        next_step = (
            f"The earlier acknowledgement was for {ack.value}, not {plain_money(total)}: an owner must "
            "acknowledge the current amount first. "
        )
        result_id = "deactivation.F002"
    else:
        next_step = "First an owner acknowledges this amount. "
        result_id = "deactivation.F001"
    return CheckResult(
        slug=SLUG,
        status=Status.FAIL,
        summary=summary,
        hint=(
            f"{next_step}Then in QuickBooks Online open Sales > Products and services, select these items "
            "and "
            "choose Batch actions > Make inactive (or Edit > Make inactive on each). The list can be "
            "downloaded "
            "as CSV. Run the check again afterwards."
        ),
        findings=tuple(_finding(d, currency) for d in todo),
        amounts={"total_to_expense": cents(total), **({"estimated": cents(estimated)} if n_est else {})},
        id=result_id,
        ask="" if acknowledged else acknowledgement(todo, total, currency, answers),
        pending=None if acknowledged else Pending.ACKNOWLEDGE,
        ack_key=ack_key,
    )
