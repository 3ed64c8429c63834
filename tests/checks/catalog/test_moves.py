"""Value that moves: write-offs QBO already recorded are stated, acknowledged and put back (steps 2, 3, 9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from checks.results import Pending, Status
from checks.snapshot import (
    AdjustmentLine,
    InventoryAdjustment,
    JournalPosting,
    Need,
    QboJournalEntry,
    Ref,
    Snapshot,
    SourceFailure,
    ValuationLine,
)
from tests.checks.factories import account, answers, company, item, product, run, snapshot

SHRINK = Ref("91", "Inventory Shrinkage")
ACCOUNTS = (account("81", "Inventory Asset"), account("91", "Inventory Shrinkage", "CostOfSales"))
ENABLE = date(2025, 6, 1)
DATED = answers(enable_date=ENABLE, enable_date_decided=True)


def write_off(adj_id: str, day: date, *lines: tuple[str, str]) -> InventoryAdjustment:
    return InventoryAdjustment(
        adj_id,
        day,
        f"ADJ-{adj_id}",
        SHRINK,
        tuple(i for i, _ in lines),
        lines=tuple(AdjustmentLine(i, -Decimal(q)) for i, q in lines),
    )


def valued(day: date, *rows: tuple[str, str, str]) -> dict[date, tuple[ValuationLine, ...]]:
    return {day: tuple(ValuationLine(i, "", None, Decimal(q), Decimal(v), None) for i, q, v in rows)}


def snap(**kw: object) -> Snapshot:
    base: dict[str, object] = {
        "company": company(book_close_date=date(2025, 3, 31)),
        "accounts": ACCOUNTS,
        "valuation": (),
        "adjustments": (),
        "products": (product("SKU-1"), product("SKU-2")),
        "enable_date": ENABLE,
    }
    base.update(kw)
    return snapshot(**base)


# A Finale product deactivated on 2025-06-10 (after the enable date): 4 on hand, worth 123.45 the day before.
TENT = item("1", "SKU-1 (deleted)", active=False, qty="0", cost="30")
TENT_OFF = write_off("501", date(2025, 6, 10), ("1", "4"))
TENT_VALUE = valued(date(2025, 6, 9), ("1", "4", "123.45"))


def test_a_deactivation_nobody_acknowledged_is_not_skipped() -> None:
    result = run("deactivation", snap(items=(TENT,), adjustments=(TENT_OFF,), write_off_valuation=TENT_VALUE), DATED)
    assert result.status is Status.WARN and result.id == "deactivation.W001" and not result.cleared
    assert result.pending is Pending.ACKNOWLEDGE and result.ack_key == "123.45"
    assert result.amounts["total_to_expense"] == Decimal("123.45") == result.amounts["to_reverse"]
    # The amount, the accounts as QBO booked them, and the reversing entry on the write-off's date.
    assert "QuickBooks already wrote off 123.45 USD for 1 item made inactive" in result.ask
    assert "123.45 USD from Inventory Asset to Inventory Shrinkage" in result.ask
    assert "2025-06-10: debit Inventory Asset, credit Inventory Shrinkage, 123.45 USD" in result.ask
    found = next(f for f in result.findings if f.kind == "qbo_item")
    assert found.extra["written_off_on"] == "2025-06-10" and found.extra["adjustment"] == "ADJ-501"
    entry = next(f for f in result.findings if f.kind == "journal_entry")
    assert entry.amount == Decimal("123.45") and entry.extra["txn_date"] == "2025-06-10"
    assert (entry.extra["debit_account"], entry.extra["credit_account"]) == ("Inventory Asset", "Inventory Shrinkage")


def test_the_acknowledgement_binds_to_the_amount_written_off() -> None:
    data = snap(items=(TENT,), adjustments=(TENT_OFF,), write_off_valuation=TENT_VALUE)
    acked = run(
        "deactivation", data, answers(enable_date=ENABLE, enable_date_decided=True, ack={"deactivation": "123.45"})
    )
    assert acked.status is Status.PASS and acked.id == "deactivation.I002" and acked.cleared
    stale = run(
        "deactivation", data, answers(enable_date=ENABLE, enable_date_decided=True, ack={"deactivation": "120.00"})
    )
    assert stale.id == "deactivation.W002" and not stale.cleared and "120.00, not 123.45" in stale.hint


def test_a_write_off_the_report_does_not_list_is_an_estimate_and_one_in_closed_books_is_history() -> None:
    old = write_off("400", date(2025, 3, 1), ("2", "10"))  # before the books' close date: long reviewed
    other = item("2", "SKU-2", active=False, qty="0", cost="2")
    result = run("deactivation", snap(items=(TENT, other), adjustments=(TENT_OFF, old), write_off_valuation={}), DATED)
    assert result.amounts["total_to_expense"] == Decimal("120.00")  # 4 × 30, estimated
    assert result.amounts["estimated"] == Decimal("120.00") and "estimate" in result.summary


def test_a_past_write_off_before_the_enable_date_is_covered_by_the_opening_entry() -> None:
    early = write_off("502", date(2025, 5, 20), ("1", "4"))
    data = snap(items=(TENT,), adjustments=(early,), write_off_valuation=valued(date(2025, 5, 19), ("1", "4", "99.99")))
    result = run("deactivation", data, DATED)
    assert result.id == "deactivation.W001" and "to_reverse" not in result.amounts
    assert "put back by the opening journal entry dated 2025-05-31" in result.ask


def test_step_9_drafts_the_reversing_entry_and_finds_it_once_posted() -> None:
    base = {
        "items": (TENT,),
        "adjustments": (TENT_OFF,),
        "write_off_valuation": TENT_VALUE,
        "inventory_balance": {"81": Decimal("500")},
        "inventory_balance_date": date(2025, 5, 31),
        "finale_inventory_value": Decimal("500"),
    }
    todo = run("opening-balance", snap(**base, journal_entries=()), DATED)
    assert todo.status is Status.FAIL and todo.id == "opening-balance.F002"
    assert todo.amounts["to_reverse"] == Decimal("123.45")
    assert "2025-06-10: debit Inventory Asset, credit Inventory Shrinkage, 123.45 USD" in todo.summary
    assert "Journal entry dated 2025-06-10 (reverses inventory adjustment ADJ-501)" in todo.hint
    # Posted for another amount it does not count; posted as drafted, it does.
    wrong = QboJournalEntry(
        "9", date(2025, 6, 10), None, (JournalPosting("81", Decimal("12")), JournalPosting("91", Decimal("-12")))
    )
    assert run("opening-balance", snap(**base, journal_entries=(wrong,)), DATED).id == "opening-balance.F002"
    right = QboJournalEntry(
        "10",
        date(2025, 6, 10),
        None,
        (JournalPosting("81", Decimal("123.45")), JournalPosting("91", Decimal("-123.45"))),
    )
    done = run("opening-balance", snap(**base, journal_entries=(right,)), DATED)
    assert done.status is Status.PASS and done.id == "opening-balance.I002"
    assert [f.extra["posted"] for f in done.findings] == ["yes"]


def test_a_failed_side_read_shows_the_balances_and_says_what_to_do() -> None:
    failure = SourceFailure(Need.QBO_ADJUSTMENTS, "QuickBooks Online answered 500.")
    data = snap(
        items=(TENT,),
        adjustments=None,
        journal_entries=(),
        inventory_balance={"81": Decimal("400")},
        inventory_balance_date=date(2025, 5, 31),
        finale_inventory_value=Decimal("500"),
        errors={Need.QBO_ADJUSTMENTS: failure},
    )
    result = run("opening-balance", data, DATED)
    assert result.status is Status.ERROR and result.id == "opening-balance.E002"
    assert "On 2025-05-31: QBO 400.00 USD; Finale 500.00 USD" in result.summary
    assert "QBO's inventory adjustments (the write-offs) (QuickBooks Online answered 500.)" in result.summary
    assert result.amounts["difference"] == Decimal("100.00")
    assert [f.kind for f in result.findings] == ["journal_entry"]  # the D-1 entry is still drafted
    assert "Run the check again" in result.hint


def test_step_2_states_and_asks_about_what_other_items_moved() -> None:
    rack = item("7", "Display Rack (deleted)", active=False, qty="0", cost="210")
    off = write_off("503", date(2025, 6, 12), ("7", "2"))
    data = snap(
        items=(rack,),
        products=(),
        adjustments=(off,),
        write_off_valuation=valued(date(2025, 6, 11), ("7", "2", "420.00")),
        item_transactions=(),
    )
    result = run("inventory-items", data, DATED)
    assert result.status is Status.WARN and result.id == "inventory-items.W002"
    assert result.amounts["written_off"] == Decimal("420.00") and result.ack_key == "written off 420.00"
    assert "moved 420.00 USD to expense (420.00 USD from Inventory Asset to Inventory Shrinkage)" in result.ask
    acked = run(
        "inventory-items",
        data,
        answers(enable_date=ENABLE, enable_date_decided=True, ack={"inventory-items": "written off 420.00"}),
    )
    assert acked.cleared
