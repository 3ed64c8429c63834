from __future__ import annotations

from datetime import date
from decimal import Decimal

from checks.results import Pending, Status
from checks.snapshot import InventoryAdjustment, Need, Ref, Snapshot
from tests.checks.factories import account, answers, company, needs, run, snapshot

SLUG = "opening-balance"
D = date(2025, 7, 1)
D1 = date(2025, 6, 30)
ACCOUNTS = (
    account("81", "Inventory Asset"),
    account("82", "Inventory – Warehouse 2"),
    account("39", "Opening Balance Equity", "OpeningBalanceEquity", type="Equity"),
)


def snap(
    balances: dict[str, str],
    finale: str | None = None,
    adjustments: tuple[InventoryAdjustment, ...] = (),
    balance_date: date = D1,
) -> Snapshot:
    return snapshot(
        enable_date=D,
        company=company(),
        accounts=ACCOUNTS,
        inventory_balance={k: Decimal(v) for k, v in balances.items()},
        inventory_balance_date=balance_date,
        adjustments=adjustments,
        items=(),
        journal_entries=(),
        finale_inventory_value=None if finale is None else Decimal(finale),
    )


DATED = answers(enable_date=D, enable_date_decided=True)


def test_undecided_needs_the_date_and_reads_nothing() -> None:
    assert needs(SLUG, answers()) == frozenset()
    result = run(SLUG, snapshot(), answers())
    assert result.status is Status.NEEDS_INPUT and result.pending is Pending.ENABLE_DATE
    assert result.id == "opening-balance.N001"


def test_blank_date_is_not_applicable_and_reads_nothing() -> None:
    ans = answers(enable_date_decided=True)
    assert needs(SLUG, ans) == frozenset()
    result = run(SLUG, snapshot(), ans)
    assert result.status is Status.NOT_APPLICABLE and result.cleared and result.id == "opening-balance.A001"


def test_an_owner_may_mark_it_not_applicable() -> None:
    ans = answers(enable_date=D, enable_date_decided=True, not_applicable={SLUG: "The accountant books it"})
    result = run(SLUG, snap({"81": "1"}, "2"), ans)
    assert result.status is Status.NOT_APPLICABLE and result.cleared and result.id == "opening-balance.A900"
    assert "The accountant books it" in result.summary


def test_a_typed_finale_balance_replaces_the_report() -> None:
    assert Need.FINALE_INVENTORY_VALUE in needs(SLUG, DATED)
    typed = answers(enable_date=D, enable_date_decided=True, finale_balance=Decimal("1"))
    assert Need.FINALE_INVENTORY_VALUE not in needs(SLUG, typed)


def test_unknown_finale_balance_asks_for_it() -> None:
    result = run(SLUG, snap({"81": "100"}), DATED)
    assert result.status is Status.NEEDS_INPUT and result.id == "opening-balance.N002"
    assert result.pending is Pending.FINALE_BALANCE
    assert "2025-06-30" in result.summary


def test_equal_to_the_cent_passes() -> None:
    result = run(SLUG, snap({"81": "1000.10", "82": "234.45"}, "1234.55"), DATED)
    assert result.status is Status.PASS and result.id == "opening-balance.I001"
    assert result.amounts["difference"] == Decimal("0.00")
    assert "1,234.55 USD" in result.summary


def test_off_by_one_cent_fails_with_a_balanced_entry_dated_the_day_before() -> None:
    result = run(SLUG, snap({"81": "1234.55"}, "1234.56"), DATED)
    assert result.status is Status.FAIL and result.id == "opening-balance.F001" and not result.ask
    assert result.amounts["difference"] == Decimal("0.01")
    entry = next(f for f in result.findings if f.kind == "journal_entry")
    assert entry.amount == Decimal("0.01")
    assert entry.extra["txn_date"] == "2025-06-30"
    assert entry.extra["debit_account"] == "Inventory Asset"
    assert entry.extra["credit_account"] == "Opening Balance Equity"
    assert "Debit" in result.hint and "Credit" in result.hint and "does not post" in result.hint
    assert "suggestion" in result.hint


def test_finale_lower_reverses_the_entry_against_the_chosen_offset() -> None:
    ans = answers(
        enable_date=D,
        enable_date_decided=True,
        finale_balance=Decimal("900"),
        offset_account="Inventory Adjustments",
    )
    result = run(SLUG, snap({"81": "1000"}), ans)
    assert result.status is Status.FAIL and result.id == "opening-balance.F001"
    entry = next(f for f in result.findings if f.kind == "journal_entry")
    assert entry.extra["debit_account"] == "Inventory Adjustments"
    assert entry.extra["credit_account"] == "Inventory Asset"
    assert result.amounts["difference"] == Decimal("-100.00")
    assert "no account named Inventory Adjustments" in result.hint
    assert "entered by an owner" in result.summary


def test_adjustments_on_or_after_the_enable_date_need_their_own_entry() -> None:
    adj = (
        InventoryAdjustment("A1", D1, "17", Ref("91", "Inventory Shrinkage"), ("5",)),  # before: covered
        InventoryAdjustment("A2", D, "18", Ref("91", "Inventory Shrinkage"), ("6", "7"), "deactivated"),
    )
    result = run(SLUG, snap({"81": "50"}, "50", adj), DATED)
    assert result.status is Status.WARN and result.id == "opening-balance.W001"
    assert [f.id for f in result.findings] == ["A2"]
    assert result.ask == (
        "I understand that 1 QBO inventory adjustment dated on or after 2025-07-01 (18 on 2025-07-01) changed the "
        "inventory balance inside the period Finale pushes, and that each needs its own reversing journal entry."
    )
    assert "own reversing entry" in result.summary
    assert result.ack_key == "adjustments A2"


def test_a_balance_read_for_another_day_is_not_trusted() -> None:
    result = run(SLUG, snap({"81": "50"}, "50", balance_date=date(2025, 5, 31)), DATED)
    assert result.status is Status.ERROR and result.id == "opening-balance.E001"


def test_a_failed_finale_report_is_an_error() -> None:
    from checks.snapshot import SourceFailure

    s = snapshot(errors={Need.FINALE_INVENTORY_VALUE: SourceFailure(Need.FINALE_INVENTORY_VALUE, "Report 12 is gone.")})
    result = run(SLUG, s, DATED)
    assert result.status is Status.ERROR and "Report 12" in result.summary
    assert result.id == "opening-balance.E900"
