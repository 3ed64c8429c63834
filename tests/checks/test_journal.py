from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from checks.journal import draft_opening_balance_entry
from checks.snapshot import Ref

ASSET = Ref("81", "Inventory Asset")
D = date(2025, 3, 1)


def test_finale_higher_debits_the_asset_account_on_the_day_before() -> None:
    entry = draft_opening_balance_entry(
        D,
        {"81": Decimal("1000.00"), "82": Decimal("200.10")},
        Decimal("1500.55"),
        "Opening Balance Equity",
        ASSET,
        offset_account_id="39",
    )
    assert entry.txn_date == date(2025, 2, 28)  # D-1, across a month end
    assert entry.balanced and entry.total_debits == entry.total_credits == Decimal("300.45")
    debit, credit = entry.lines
    assert (debit.posting_type, debit.account.name, debit.amount) == (
        "Debit",
        "Inventory Asset",
        Decimal("300.45"),
    )
    assert (credit.posting_type, credit.account.name, credit.account.id) == (
        "Credit",
        "Opening Balance Equity",
        "39",
    )
    assert "2025-02-28" in entry.memo and "1,500.55 USD" in entry.memo


def test_finale_lower_credits_the_asset_account() -> None:
    entry = draft_opening_balance_entry(D, {"81": Decimal("10")}, Decimal("9.99"), "Inventory Adjustments", ASSET)
    debit, credit = entry.lines
    assert debit.account.name == "Inventory Adjustments" and credit.account.name == "Inventory Asset"
    assert entry.amount == Decimal("0.01")
    assert entry.balanced


def test_inputs_are_rounded_half_up_to_the_cent_before_the_difference() -> None:
    entry = draft_opening_balance_entry(D, {"81": Decimal("0")}, Decimal("100.005"), "Opening Balance Equity", ASSET)
    assert entry.amount == Decimal("100.01")


def test_nothing_to_enter_when_equal_to_the_cent() -> None:
    with pytest.raises(ValueError, match="agree"):
        draft_opening_balance_entry(D, {"81": Decimal("5.004")}, Decimal("5.00"), "Opening Balance Equity", ASSET)


def test_qbo_payload_has_the_journal_entry_shape_with_exact_amounts() -> None:
    entry = draft_opening_balance_entry(
        D, {"81": Decimal("0")}, Decimal("12345678901234.57"), "Opening Balance Equity", ASSET
    )
    payload = entry.as_qbo_payload()
    assert payload["TxnDate"] == "2025-02-28"
    lines = payload["Line"]
    assert isinstance(lines, list) and len(lines) == 2
    assert lines[0]["DetailType"] == "JournalEntryLineDetail"
    assert lines[0]["JournalEntryLineDetail"] == {
        "PostingType": "Debit",
        "AccountRef": {"name": "Inventory Asset", "value": "81"},
    }
    assert lines[1]["JournalEntryLineDetail"]["AccountRef"] == {"name": "Opening Balance Equity"}
    text = entry.as_qbo_json()
    assert '"Amount": 12345678901234.57' in text
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["Line"][1]["Amount"] == Decimal("12345678901234.57")


def test_plain_text_rendering() -> None:
    entry = draft_opening_balance_entry(D, {"81": Decimal("1")}, Decimal("2"), 'Owner "equity" ☕', ASSET)
    text = entry.as_text()
    assert text.splitlines()[0] == "Journal entry dated 2025-02-28 (the day before the enable date 2025-03-01)"
    assert "Debit   Inventory Asset" in text
    assert 'Credit  Owner "equity" ☕' in text
    assert "1.00 USD" in text
