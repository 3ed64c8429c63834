"""3. deactivation: QBO inventory items that match Finale products must be made inactive.

Deactivating an inventory item that has stock makes QBO credit the inventory asset account and debit an
expense account (QBO books it as an inventory write-off to "Inventory Shrinkage"). The value leaves the
balance sheet, and unless Finale pushes from the beginning of time it has to be put back with a manual
journal entry. An owner must acknowledge that amount, whether the items are still to be deactivated or were
deactivated already (QBO's inventory adjustments record what moved): the step clears only then.
"""

from __future__ import annotations

from decimal import Decimal

from checks.answers import Answers
from checks.catalog import _moves as moves
from checks.catalog._common import day_before, first, not_loaded
from checks.catalog._matching import matching_product, products_by_key
from checks.catalog._moves import Move
from checks.journal import DraftJournalEntry
from checks.money import ZERO, cents, count, money, plain_money, qty
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import Need, Snapshot

SLUG = "deactivation"

OUTCOMES = {
    "deactivation.I001": "no active QBO inventory item matches a Finale product",
    "deactivation.F001": "items still active; an owner must acknowledge the amount moved to expense",
    "deactivation.F002": "items still active; the earlier acknowledgement was for another amount",
    "deactivation.F003": "items still active; the amount is acknowledged, so deactivate them",
    "deactivation.W001": "items already made inactive: QBO wrote their value off; an owner must acknowledge it",
    "deactivation.W002": "items already made inactive; the earlier acknowledgement was for another amount",
    "deactivation.I002": "every matching item is inactive and the amount QBO wrote off was acknowledged",
}


def _finding(m: Move, currency: str) -> Finding:
    how = " (estimate: quantity × purchase cost)" if m.estimate else ""
    assert m.product is not None
    if m.adjustment is not None:
        detail = (
            f"Matches Finale product {m.product.product_id}; made inactive: QBO wrote off {qty(m.qty)} worth "
            f"{money(cents(m.value), currency)}{how} from {m.asset_name} to {m.expense_name} on "
            f"{m.adjustment.txn_date.isoformat()} (inventory adjustment {m.adjustment.doc_number or m.adjustment.id})"
        )
    else:
        detail = (
            f"Matches Finale product {m.product.product_id}; {qty(m.qty)} on hand worth "
            f"{money(cents(m.value), currency)}{how} moves from {m.asset_name} to {m.expense_name}"
        )
    return Finding(
        kind="qbo_item",
        id=m.item.id,
        name=m.item.name,
        detail=detail,
        quantity=m.qty,
        amount=m.value,  # exact: totals are rounded once
        extra={
            "sku": m.item.sku or "",
            "finale_product": m.product.product_id,
            "asset_account": m.asset_account.name if m.asset_account else "",
            "asset_account_id": m.asset_account.id if m.asset_account else "",
            "expense_account": m.expense_account.name if m.expense_account else "",
            "expense_account_id": m.expense_account.id if m.expense_account else "",
            "estimate": "yes" if m.estimate else "no",
            "written_off_on": m.adjustment.txn_date.isoformat() if m.adjustment else "",
            "adjustment": (m.adjustment.doc_number or m.adjustment.id) if m.adjustment else "",
        },
    )


def entry_finding(entry: DraftJournalEntry, slug_id: str) -> Finding:
    """A drafted journal entry as a finding, the same way in every step that states it."""
    debit = next(ln for ln in entry.lines if ln.posting_type == "Debit")
    credit = next(ln for ln in entry.lines if ln.posting_type == "Credit")
    return Finding(
        kind="journal_entry",
        id=slug_id,
        name=f"Journal entry dated {entry.txn_date.isoformat()}",
        detail=entry.as_text(),
        amount=entry.amount,
        extra={
            "txn_date": entry.txn_date.isoformat(),
            "debit_account": debit.account.name,
            "credit_account": credit.account.name,
            "memo": entry.memo,
        },
    )


def put_back(
    answers: Answers,
    past: list[Move],
    entries: list[DraftJournalEntry],
    currency: str,
    *,
    has_future: bool,
    deactivating_late: bool,
) -> str:
    """How the moved value is put back: no entry (blank date), the D-1 opening entry for what is written off
    before the enable date, and a reversing entry on its date for each write-off on or after it."""
    if answers.enable_date_decided and answers.enable_date is None:
        return (
            "The enable date is blank, so Finale pushes from the beginning of time and no journal entry is "
            "needed to put this value back."
        )
    if not (answers.enable_date_decided and answers.enable_date is not None):
        return (
            "Unless Finale pushes from the beginning of time (a blank enable date), this value must be put back "
            "with a manual journal entry dated the day before the enable date."
        )
    enable = answers.enable_date
    d1 = day_before(enable).isoformat()
    parts: list[str] = []
    if any(m.txn_date is not None and m.txn_date < enable for m in past):
        parts.append(
            f"What QBO wrote off before {enable.isoformat()} is put back by the opening journal entry dated {d1} "
            "(the day before the enable date), which the opening-balance check drafts from Finale's inventory value."
        )
    if entries:
        listed = moves.describe(entries, currency)
        to_reverse = sum((e.amount for e in entries), ZERO)
        parts.append(
            f"{count(len(entries), 'write-off is', 'write-offs are')} dated on or after the enable date, which the "
            "opening entry does not cover: each needs its own reversing journal entry on its date, "
            f"{money(to_reverse, currency)} in all ({listed})."
        )
    if deactivating_late:
        parts.append(
            "Items deactivated now are written off today, on or after the enable date: each write-off then needs "
            "its own reversing journal entry on that day (debit the asset account, credit the expense account, by "
            "the amount above); the opening-balance check drafts them once QBO has recorded the write-offs."
        )
    elif has_future:
        parts.append(
            "Finale does not push from the beginning of time, so this value must be put back with a manual "
            f"journal entry dated {d1} (the day before the enable date) from Finale's inventory value: the "
            "opening-balance check drafts it. Deactivate before the enable date, or the write-off needs its "
            "own entry."
        )
    return " ".join(parts)


def _tail(answers: Answers) -> str:
    if answers.enable_date_decided and answers.enable_date is None:
        return "Finale will push from the beginning of time, so its history restores the balance."
    if answers.enable_date is not None:
        return (
            "It must be put back with a manual journal entry dated the day before the enable date "
            f"({day_before(answers.enable_date).isoformat()})."
        )
    return "It must be put back with a manual journal entry dated the day before the enable date."


def acknowledgement(
    future: list[Move], past: list[Move], total: Decimal, currency: str, answers: Answers, put_back_text: str
) -> str:
    """What an owner acknowledges: the total, the accounts it moves (or moved) between, and what puts it back."""
    if not past:
        assets = sorted({m.asset_name for m in future if m.asset_account})
        expenses = sorted({m.expense_name for m in future if m.expense_account})
        return (
            f"Deactivating these {count(len(future), 'item')} makes QuickBooks credit "
            f"{', '.join(assets) or 'the inventory asset account'} and debit "
            f"{', '.join(expenses) or 'an expense account'} by {money(total, currency)} in total. {_tail(answers)}"
        )
    parts = [
        f"QuickBooks already wrote off {money(moves.total(past), currency)} for {count(len(past), 'item')} made "
        f"inactive ({moves.routes(past, currency)})"
    ]
    if future:
        parts.append(
            f"deactivating {count(len(future), 'more item')} moves {money(moves.total(future), currency)} "
            f"({moves.routes(future, currency) or 'no value'})"
        )
    return (
        f"I understand that {' and that '.join(parts)}: {money(total, currency)} in total out of the inventory "
        f"asset account into expense. {put_back_text}"
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
        Need.QBO_ADJUSTMENTS,
        Need.QBO_WRITE_OFF_VALUATION,
        Need.FINALE_PRODUCTS,
    ),
    # Without a valuation report, values are estimated (and marked so) instead of failing the check.
    handles_failures=(Need.QBO_INVENTORY_VALUATION, Need.QBO_WRITE_OFF_VALUATION),
    outcomes=OUTCOMES,
    depends_on_enable_date=True,  # how the value is put back: none, the D-1 entry, reversing entries
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    company, items, accounts, products, adjustments = (
        snapshot.company,
        snapshot.items,
        snapshot.accounts,
        snapshot.products,
        snapshot.adjustments,
    )
    if company is None or items is None or accounts is None or products is None or adjustments is None:
        return not_loaded(
            SLUG,
            answers,
            {
                Need.QBO_COMPANY: company,
                Need.QBO_ITEMS: items,
                Need.QBO_ACCOUNTS: accounts,
                Need.QBO_ADJUSTMENTS: adjustments,
                Need.FINALE_PRODUCTS: products,
            },
        )
    currency = company.home_currency
    mine = [m for m in moves.value_moves(snapshot) if m.product is not None]
    future = [m for m in mine if not m.past]
    past = [m for m in mine if m.past]
    index = products_by_key(snapshot)
    done = [i for i in items if not i.active and i.type == "Inventory" and matching_product(i, index) is not None]
    if not future and not past:
        already = f" ({count(len(done), 'matching item is', 'matching items are')} already inactive.)" if done else ""
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=f"No active QBO inventory item matches a Finale product: none remain to deactivate.{already}",
            amounts={"total_to_expense": ZERO.quantize(Decimal("0.01"))},
            id="deactivation.I001",
        )

    total = moves.total(mine)
    enable = answers.enable_date
    entries = moves.reversing_entries(past, enable, currency) if enable is not None else []
    deactivating_late = bool(future) and enable is not None and snapshot.fetched_at.date() >= enable
    put_back_text = put_back(
        answers, past, entries, currency, has_future=bool(future), deactivating_late=deactivating_late
    )
    estimated = [m for m in mine if m.estimate]
    estimate_note = ""
    if estimated:
        error = snapshot.errors.get(Need.QBO_INVENTORY_VALUATION) or snapshot.errors.get(Need.QBO_WRITE_OFF_VALUATION)
        why = f"the valuation report failed ({error.message})" if error else "the valuation report does not list them"
        estimate_note = (
            f" Of this, {money(moves.total(estimated), currency)} for {count(len(estimated), 'item')} is an "
            f"estimate (quantity × purchase cost), because {why}."
        )
    ack_key = plain_money(total)
    acknowledged = answers.acknowledged(SLUG, ack_key)
    ack = answers.acknowledgements.get(SLUG)
    told = []
    if future:
        one = len(future) == 1
        told.append(
            f"{count(len(future), 'active QBO inventory item')} "
            f"{'matches a Finale product' if one else 'match Finale products'} and must be deactivated: "
            f"{first(m.item.name for m in future)}. Deactivating {'it' if one else 'them'} moves "
            f"{money(moves.total(future), currency)} out of the inventory asset account into expense "
            f"({moves.routes(future, currency) or 'no value'})."
        )
    if past:
        dates = sorted({m.txn_date.isoformat() for m in past if m.txn_date})
        told.append(
            f"{count(len(past), 'matching item was', 'matching items were')} made inactive "
            f"({first(m.item.name for m in past)}): QBO wrote off {money(moves.total(past), currency)} "
            f"({moves.routes(past, currency)}) with inventory adjustments dated {first(dates)}."
        )
    summary = f"{' '.join(told)}{estimate_note} {put_back_text}"
    findings = (
        *(_finding(m, currency) for m in future + past),
        *(entry_finding(e, f"reversing-{e.txn_date.isoformat()}-{i}") for i, e in enumerate(entries, 1)),
    )
    amounts = {
        "total_to_expense": total,
        **({"written_off": moves.total(past)} if past else {}),
        **({"to_reverse": sum((e.amount for e in entries), ZERO)} if entries else {}),
        **({"estimated": moves.total(estimated)} if estimated else {}),
    }
    ask = "" if acknowledged else acknowledgement(future, past, total, currency, answers, put_back_text)
    if not future:
        if acknowledged and ack is not None:
            return CheckResult(
                slug=SLUG,
                status=Status.PASS,
                summary=(
                    f"{summary} {ack.user_name} acknowledged the {money(total, currency)} on "
                    f"{ack.recorded_at.date().isoformat()}."
                ),
                findings=findings,
                amounts=amounts,
                id="deactivation.I002",
                ack_key=ack_key,
            )
        earlier = (
            f"The earlier acknowledgement was for {ack.value}, not {plain_money(total)}: an owner must "
            "acknowledge the amount QBO wrote off. "
            if ack is not None
            else "An owner must acknowledge the amount QBO wrote off before this step clears. "
        )
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=summary,
            hint=earlier + "The journal entries that put it back are drafted by the opening-balance check.",
            findings=findings,
            amounts=amounts,
            id="deactivation.W002" if ack is not None else "deactivation.W001",
            ask=ask,
            pending=Pending.ACKNOWLEDGE,
            ack_key=ack_key,
        )
    if acknowledged and ack is not None:
        next_step = (
            f"{ack.user_name} acknowledged the {money(total, currency)} on {ack.recorded_at.date().isoformat()}. "
        )
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
            "and choose Batch actions > Make inactive (or Edit > Make inactive on each). The list can be "
            "downloaded as CSV. Run the check again afterwards."
        ),
        findings=findings,
        amounts=amounts,
        id=result_id,
        ask=ask,
        pending=None if acknowledged else Pending.ACKNOWLEDGE,
        ack_key=ack_key,
    )
