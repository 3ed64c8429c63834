"""9. opening-balance: on D-1, QBO's inventory asset balance equals Finale's inventory value.

Finale creates no opening balance; it only pushes changes from the enable date on. So the two systems must
agree on the day before the enable date (D-1), or they disagree forever after. Preflight drafts the journal
entry for the difference (it never posts it) and passes once a re-check finds them equal to the cent.
Inventory write-offs dated on or after the enable date (deactivating an item with stock makes one) are
outside that entry: each needs a reversing entry on its own date, drafted here too and found in QBO by a
re-check. A side read that fails (adjustments, journal entries, a valuation) never hides the balances read.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from checks.answers import Answers
from checks.catalog import _moves as moves
from checks.catalog._common import day_before, first, not_loaded
from checks.catalog._matching import key
from checks.catalog.deactivation import entry_finding
from checks.journal import AccountRef, DraftJournalEntry, draft_opening_balance_entry
from checks.money import ZERO, cents, count, money
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import Need, QboAccount, Snapshot

SLUG = "opening-balance"
DEFAULT_OFFSET = "Opening Balance Equity"

OUTCOMES = {
    "opening-balance.N001": "the enable date is not chosen yet",
    "opening-balance.A001": "the enable date is blank: no opening entry is needed",
    "opening-balance.E001": "QBO's balance was read for another day than the day before the enable date",
    "opening-balance.N002": "Finale's inventory balance on the day before the enable date is not known yet",
    "opening-balance.W001": "the balances agree, but QBO inventory adjustments fall on or after the enable date",
    "opening-balance.I001": "the balances agree to the cent",
    "opening-balance.F001": "the balances differ: QBO needs the drafted journal entry",
    "opening-balance.F002": "the balances agree, but write-offs on or after the enable date are not reversed yet",
    "opening-balance.I002": "the balances agree and every write-off on or after the enable date was reversed",
    "opening-balance.E002": "the balances were read, but a side read failed (adjustments, journal entries, valuation)",
}

# Reads beside the two balances: when one fails, the balances read are still shown.
SIDE_READS = {
    Need.QBO_ITEMS: "the QBO item list (which items were made inactive)",
    Need.QBO_ADJUSTMENTS: "QBO's inventory adjustments (the write-offs)",
    Need.QBO_WRITE_OFF_VALUATION: "QBO's inventory valuation report as of the day before each write-off",
    Need.QBO_JOURNAL_ENTRIES: "QBO's journal entries dated on or after the enable date",
}


def needs(answers: Answers) -> frozenset[Need]:
    # Nothing to compare until there is a D-1: the date is undecided, or blank (the whole history).
    if not answers.enable_date_decided or answers.enable_date is None:
        return frozenset()
    base = {Need.QBO_COMPANY, Need.QBO_ACCOUNTS, Need.QBO_INVENTORY_BALANCE, *SIDE_READS}
    if answers.finale_balance is None:  # an owner's figure from Finale's ledger replaces the report
        base.add(Need.FINALE_INVENTORY_VALUE)
    return frozenset(base)


def asset_account(balances: dict[str, Decimal], accounts: tuple[QboAccount, ...]) -> AccountRef:
    """The inventory account the entry adjusts: the only one, else "Inventory Asset", else the largest."""
    by_id = {a.id: a for a in accounts}
    inventory = [a for a in accounts if a.account_sub_type == "Inventory" and a.active]
    ids = list(balances) or [a.id for a in inventory]
    if not ids:
        return AccountRef("Inventory Asset")
    if len(ids) == 1:
        only = by_id.get(ids[0])
        return AccountRef(only.name if only else "Inventory Asset", ids[0])
    for i in ids:
        a = by_id.get(i)
        if a is not None and key(a.name) == key("Inventory Asset"):
            return AccountRef(a.name, a.id)
    largest = max(ids, key=lambda i: (abs(balances.get(i, ZERO)), i))
    a = by_id.get(largest)
    return AccountRef(a.name if a else largest, largest)


@register(
    slug=SLUG,
    title="Opening inventory balance agrees with Finale",
    kind=Kind.INPUT_AUTOMATIC,
    order=90,
    why=(
        "Finale creates no opening balance and only pushes changes from the enable date on. If QBO's "
        "inventory "
        "asset balance differs from Finale's the day before, the two never agree afterwards."
    ),
    needs=needs,
    depends_on_enable_date=True,
    # Matching the balance is what Finale recommends, not what it enforces ("if you want ... to match").
    allow_not_applicable=True,
    outcomes=OUTCOMES,
    handles_failures=tuple(SIDE_READS),
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    if not answers.enable_date_decided:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary="The balances are compared on the day before the enable date, which is not chosen yet.",
            hint="An owner chooses the enable date first.",
            id="opening-balance.N001",
            pending=Pending.ENABLE_DATE,
        )
    enable = answers.enable_date
    if enable is None:
        return CheckResult(
            slug=SLUG,
            status=Status.NOT_APPLICABLE,
            summary=(
                "The enable date is blank: Finale pushes the whole history, so QBO's inventory balance is "
                "built "
                "from Finale's transactions and needs no opening entry."
            ),
            id="opening-balance.A001",
        )
    d1 = day_before(enable)
    company, accounts, balances = snapshot.company, snapshot.accounts, snapshot.inventory_balance
    if company is None or accounts is None or balances is None:
        return not_loaded(
            SLUG,
            answers,
            {Need.QBO_COMPANY: company, Need.QBO_ACCOUNTS: accounts, Need.QBO_INVENTORY_BALANCE: balances},
        )
    if snapshot.inventory_balance_date is not None and snapshot.inventory_balance_date != d1:
        return CheckResult(
            slug=SLUG,
            status=Status.ERROR,
            summary=(
                f"Could not check: QBO's balance was read for {snapshot.inventory_balance_date.isoformat()}, "
                f"but the day before the enable date is {d1.isoformat()}."
            ),
            hint="Run the check again so Preflight reads the balance for the current enable date.",
            id="opening-balance.E001",
        )
    currency = company.home_currency
    if answers.finale_balance is not None:
        finale_value, finale_from = (
            answers.finale_balance,
            "as entered by an owner from Finale's general ledger",
        )
    elif snapshot.finale_inventory_value is not None:
        finale_value, finale_from = snapshot.finale_inventory_value, "from Finale's inventory value report"
    else:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=f"Finale's inventory asset balance on {d1.isoformat()} is not known yet.",
            hint=(
                f"An owner reads the Inventory account balance for {d1.isoformat()} in Finale's general "
                "ledger "
                "(Accounting > General ledger) and enters it here."
            ),
            id="opening-balance.N002",
            pending=Pending.FINALE_BALANCE,
        )

    by_id = {a.id: a for a in accounts}
    qbo_total = sum(balances.values(), ZERO)
    qbo_c, finale_c = cents(qbo_total), cents(finale_value)
    difference = finale_c - qbo_c
    per_account = "; ".join(
        f"{by_id[i].name if i in by_id else i} {money(v, currency)}" for i, v in sorted(balances.items())
    )
    qbo_text = f"QBO {money(qbo_c, currency)}" + (f" ({per_account})" if len(balances) > 1 else "")
    compare = f"On {d1.isoformat()}: {qbo_text}; Finale {money(finale_c, currency)} ({finale_from})."
    amounts = {"qbo_balance": qbo_c, "finale_balance": finale_c, "difference": difference}

    entry: DraftJournalEntry | None = None
    opening: tuple[Finding, ...] = ()
    entry_hint = ""
    if difference != 0:
        offset_name = answers.offset_account or DEFAULT_OFFSET
        offset = next((a for a in accounts if key(a.name) == key(offset_name)), None)
        entry = draft_opening_balance_entry(
            enable,
            balances,
            finale_value,
            offset.name if offset else offset_name,
            asset_account(dict(balances), accounts),
            offset_account_id=offset.id if offset else None,
            currency=currency,
        )
        suggested = (
            f" The offset account {offset_name} is a suggestion; an owner may choose another."
            if answers.offset_account is None
            else ""
        )
        missing = f" QBO has no account named {offset_name}: create it or choose another." if offset is None else ""
        entry_hint = (
            f"In QuickBooks Online choose + New > Journal entry and enter:\n{entry.as_text()}\n"
            f"Preflight does not post it.{suggested}{missing}"
        )
        opening = (entry_finding(entry, f"opening-balance-{d1.isoformat()}"),)
    direction = "higher" if difference > 0 else "lower"
    differ = (
        f" Finale is {money(abs(difference), currency)} {direction}: QBO needs a journal entry dated {d1.isoformat()}."
        if difference
        else " They agree to the cent."
    )

    # A side read that failed is named, with what to do, beside the balances that were read.
    failed = {n: e for n, e in snapshot.errors.items() if n in SIDE_READS}
    if failed or any(getattr(snapshot, f) is None for f in ("items", "adjustments", "journal_entries")):
        what = "; ".join(f"{SIDE_READS[n]} ({e.message})" for n, e in sorted(failed.items())) or (
            "QBO's inventory adjustments or journal entries (they were not loaded)"
        )
        return CheckResult(
            slug=SLUG,
            status=Status.ERROR,
            summary=(
                f"{compare}{differ} Could not read {what}, so Preflight cannot yet tell which inventory "
                f"write-offs dated on or after {enable.isoformat()} need reversing entries."
            ),
            hint=(
                (f"{entry_hint}\n" if entry else "")
                + "Run the check again in a few minutes. If the same read keeps failing, look in QuickBooks "
                "Online for inventory items made inactive or adjusted on or after "
                f"{enable.isoformat()} (Reports > Inventory Valuation Summary, and the audit log)."
            ),
            findings=opening,
            amounts=amounts,
            id="opening-balance.E002",
        )

    all_moves = moves.value_moves(snapshot)
    entries = moves.reversing_entries(all_moves, enable, currency)
    posted = snapshot.journal_entries or ()
    to_post = moves.unposted(entries, posted)
    written_off = {m.adjustment.id for m in moves.late(all_moves, enable) if m.adjustment}
    reversing = tuple(
        _posted(entry_finding(e, f"reversing-{e.txn_date.isoformat()}-{n}"), e not in to_post)
        for n, e in enumerate(entries, 1)
    )
    if entries:
        amounts = {**amounts, "to_reverse": sum((e.amount for e in entries), ZERO)}
    reverse_text = ""
    if to_post:
        listed = moves.describe(to_post, currency)
        reverse_text = (
            f" {count(len(to_post), 'inventory write-off')} dated on or after {enable.isoformat()} moved value to "
            f"expense inside the period Finale pushes, which the opening entry does not cover: each needs its own "
            f"reversing journal entry on its date, {money(sum((e.amount for e in to_post), ZERO), currency)} in all "
            f"({listed})."
        )
    done = len(entries) - len(to_post)
    done_text = (
        f" QBO has the {count(done, 'reversing entry', 'reversing entries')} for the write-offs on or after "
        f"{enable.isoformat()}."
        if done
        else ""
    )
    reverse_hint = "".join(
        f"\nIn QuickBooks Online choose + New > Journal entry and enter:\n{e.as_text()}" for e in to_post
    )

    late = sorted(
        (a for a in snapshot.adjustments or () if a.txn_date >= enable and a.id not in written_off),
        key=lambda a: (a.txn_date, a.id),
    )
    late_findings = tuple(
        Finding(
            kind="qbo_adjustment",
            id=a.id,
            name=f"Inventory adjustment {a.doc_number or a.id}",
            detail=(
                f"Dated {a.txn_date.isoformat()}, on or after the enable date"
                + (f", to {a.account.name}" if a.account else "")
                + (f", {count(len(a.item_ids), 'item')}" if a.item_ids else "")
                + (f": {a.note}" if a.note else "")
            ),
            extra={"txn_date": a.txn_date.isoformat(), "account": a.account.name if a.account else ""},
        )
        for a in late
    )
    late_list = first(f"{a.doc_number or a.id} on {a.txn_date.isoformat()}" for a in late)
    late_text = (
        f" Also, {count(len(late), 'QBO inventory adjustment')} dated on or after {enable.isoformat()} "
        f"({late_list}) "
        "changed the inventory balance inside the period Finale pushes; each needs its own reversing entry "
        "(deactivating an item with stock makes such an adjustment)."
        if late
        else ""
    )

    if difference != 0:
        assert entry is not None
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=f"{compare}{differ}{reverse_text}{done_text}{late_text}",
            hint=f"{entry_hint}{reverse_hint}\nThen run the check again.",
            findings=(*opening, *reversing, *late_findings),
            amounts=amounts,
            id="opening-balance.F001",
        )
    if to_post:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=f"{compare}{differ}{reverse_text}{done_text}{late_text}",
            hint=f"Preflight does not post these entries.{reverse_hint}\nThen run the check again.",
            findings=(*reversing, *late_findings),
            amounts=amounts,
            id="opening-balance.F002",
        )
    if late:
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=f"{compare} They agree to the cent.{done_text}{late_text}",
            hint=(
                "For each adjustment listed, enter a journal entry on its date that reverses its effect "
                "on "
                "the inventory asset account, or have the accountant acknowledge them."
            ),
            findings=late_findings,
            amounts=amounts,
            id="opening-balance.W001",
            ask=(
                f"I understand that {count(len(late), 'QBO inventory adjustment')} dated on or after "
                f"{enable.isoformat()} ({late_list}) "
                "changed the inventory balance inside the period Finale pushes, and that each needs its own "
                "reversing journal entry."
            ),
            ack_key="adjustments " + ",".join(a.id for a in late),
        )
    if entries:
        return CheckResult(
            slug=SLUG,
            status=Status.PASS,
            summary=f"{compare} They agree to the cent.{done_text}",
            findings=reversing,
            amounts=amounts,
            id="opening-balance.I002",
        )
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=f"{compare} They agree to the cent.",
        amounts=amounts,
        id="opening-balance.I001",
    )


def _posted(finding: Finding, posted: bool) -> Finding:
    """A reversing entry's finding, saying whether a re-check found it in QBO."""
    return replace(finding, extra={**finding.extra, "posted": "yes" if posted else "no"})
