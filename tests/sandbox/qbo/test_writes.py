"""Item updates (including QBO's write-off on deactivation) and journal entries change the books."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.sandbox.qbo.companies import Sandbox


def balance(sandbox: Sandbox, account_id: str, end_date: str) -> str | None:
    def walk(rows: list[dict[str, Any]]) -> str | None:
        for row in rows:
            cols = row.get("ColData")
            if cols and cols[0].get("id") == account_id:
                return str(cols[1]["value"])
            found = walk(row.get("Rows", {}).get("Row", []))
            if found is not None:
                return found
        return None

    report = sandbox.get("reports/BalanceSheet", end_date=end_date).json()
    return walk(report["Rows"]["Row"])


def test_deactivating_stocked_item_moves_value_to_shrinkage(sandbox: Sandbox) -> None:
    today = datetime.now(sandbox.company.tz).date().isoformat()
    assert balance(sandbox, "81", today) == "518.75"
    response = sandbox.post("item", {"Id": "11", "SyncToken": "3", "sparse": True, "Active": False})
    assert response.status_code == 200
    item = response.json()["Item"]
    assert item["Active"] is False and item["QtyOnHand"] == 0 and item["SyncToken"] == "4"
    assert item["Name"] == "Pump (deleted)"
    assert balance(sandbox, "81", today) == "268.75"
    # Shrinkage is an expense: it lands in this year's Net Income, and both sides still balance.
    report = sandbox.get("reports/BalanceSheet", end_date=today).json()
    totals = [r["Summary"]["ColData"][1]["value"] for r in report["Rows"]["Row"]]
    assert totals[0] == totals[1] == "1268.75"
    # QBO does not filter inventory adjustments by TxnDate: read them all and pick today's.
    refused = sandbox.query(f"SELECT * FROM InventoryAdjustment WHERE TxnDate = '{today}'")
    assert refused.status_code == 400 and "TxnDate" in refused.text
    adjustments = sandbox.query("SELECT * FROM InventoryAdjustment").json()
    adjustment = next(a for a in adjustments["QueryResponse"]["InventoryAdjustment"] if a["TxnDate"] == today)
    assert adjustment["AdjustAccountRef"] == {"value": "91", "name": "Inventory Shrinkage"}
    detail = adjustment["Line"][0]["ItemAdjustmentLineDetail"]
    assert detail["QtyDiff"] == -25 and detail["ItemRef"]["value"] == "11"
    assert sandbox.company.ledger[-1].account_id == "91" and sandbox.company.ledger[-1].amount == Decimal("250.00")
    valuation = sandbox.get("reports/InventoryValuationSummary", report_date=today).json()
    assert valuation["Rows"]["Row"][-1]["ColData"][3]["value"] == "268.75"
    # The day before, the books still held the Pump, and so does the valuation report as of that day: the
    # write-off is valued from it.
    assert balance(sandbox, "81", "2024-12-31") == "518.75"
    yesterday = (datetime.now(sandbox.company.tz).date() - timedelta(days=1)).isoformat()
    before = sandbox.get("reports/InventoryValuationSummary", report_date=yesterday).json()
    pump = next(r for r in before["Rows"]["Row"] if r["ColData"][0].get("id") == "11")
    assert [c["value"] for c in pump["ColData"][2:4]] == ["25.00", "250.00"]


def test_deactivating_without_stock_posts_nothing_and_reactivation_strips_suffix(sandbox: Sandbox) -> None:
    before = len(sandbox.company.ledger)
    read = sandbox.get("item/17").json()["Item"]
    assert read["Name"] == "Old Widget (deleted)"
    read["Active"] = True  # a read-modify-write full update, as python-quickbooks does
    updated = sandbox.post("item", read).json()["Item"]
    assert updated["Name"] == "Old Widget" and updated["Active"] is True
    assert sandbox.post("item", {**updated, "Active": False}).status_code == 200
    assert len(sandbox.company.ledger) == before


def test_full_update_clears_omitted_fields_and_sparse_keeps_them(sandbox: Sandbox) -> None:
    sparse = sandbox.post("item", {"Id": "5", "SyncToken": "3", "sparse": True, "Description": "Granite"}).json()
    assert sparse["Item"]["Sku"] == "2345" and sparse["Item"]["Description"] == "Granite"
    full = {
        "Id": "5",
        "SyncToken": 4,  # python-quickbooks may send an int
        "Name": "Rock Fountain",
        "Type": "Inventory",
        "AssetAccountRef": {"value": "81"},
        "IncomeAccountRef": {"value": "79"},
        "ExpenseAccountRef": {"value": "80"},
        "Active": True,
    }
    item = sandbox.post("item", full).json()["Item"]
    assert "Sku" not in item and "Description" not in item and item["SyncToken"] == "5"
    bad_ref = sandbox.post("item", {"Id": "5", "SyncToken": "5", "sparse": True, "ExpenseAccountRef": {"value": "999"}})
    assert bad_ref.status_code == 400 and bad_ref.json()["Fault"]["Error"][0]["code"] == "2500"


def test_journal_entry_must_balance(sandbox: Sandbox) -> None:
    def line(kind: str, account: str, amount: float) -> dict[str, Any]:
        return {
            "DetailType": "JournalEntryLineDetail",
            "Amount": amount,
            "JournalEntryLineDetail": {"PostingType": kind, "AccountRef": {"value": account}},
        }

    unbalanced = sandbox.post(
        "journalentry", {"TxnDate": "2024-12-31", "Line": [line("Debit", "81", 10), line("Credit", "34", 9.99)]}
    )
    assert unbalanced.status_code == 400
    assert unbalanced.json()["Fault"]["type"] == "ValidationFault"
    assert balance(sandbox, "81", "2024-12-31") == "518.75"
    # 0.1 + 0.2 must be exactly 0.3: amounts are read as decimals, not floats.
    entry = {
        "TxnDate": "2024-12-31",
        "Line": [line("Debit", "81", 0.1), line("Debit", "81", 0.2), line("Credit", "34", 0.3)],
    }
    assert sandbox.post("journalentry", entry).status_code == 200
    assert balance(sandbox, "81", "2024-12-31") == "519.05"
    assert balance(sandbox, "81", "2024-12-30") == "518.75"


def test_remembered_answers_are_forgotten_when_the_company_is_written_to(sandbox: Sandbox) -> None:
    sandbox.state.remember_answers = True  # as the benchmarks run it
    today = datetime.now(sandbox.company.tz).date().isoformat()
    statement = "SELECT * FROM Item WHERE Id = '11' AND Active IN (true, false)"
    first = sandbox.query(statement)
    first_report = sandbox.get("reports/BalanceSheet", end_date=today)
    assert sandbox.query(statement).content == first.content  # the same bytes again
    assert sandbox.get("reports/BalanceSheet", end_date=today).content == first_report.content
    assert sandbox.post("item", {"Id": "11", "SyncToken": "3", "sparse": True, "Active": False}).status_code == 200
    assert sandbox.query(statement).json()["QueryResponse"]["Item"][0]["Active"] is False
    assert balance(sandbox, "81", today) == "268.75"
