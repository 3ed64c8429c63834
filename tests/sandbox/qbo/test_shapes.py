"""The simulator's answers have the keys, types and nesting of the real QBO samples in specs/qbo."""

from __future__ import annotations

from typing import Any

from sandbox.qbo import render
from tests.sandbox.qbo.companies import Sandbox, shape, spec


def assert_same_shape(
    ours: Any,
    sample: Any,
    *,
    ignore: frozenset[str] | set[str] = frozenset(),
    extra: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Every sample key exists in ours with the same shape; ours has no keys the sample lacks (but `extra`)."""
    assert isinstance(ours, dict) and isinstance(sample, dict)
    missing = set(sample) - set(ours) - ignore
    assert not missing, f"missing keys {missing}"
    unexpected = set(ours) - set(sample) - extra
    assert not unexpected, f"unexpected keys {unexpected}"
    for key in set(sample) & set(ours):
        if isinstance(sample[key], dict):
            assert_same_shape(ours[key], sample[key], ignore=ignore, extra=extra)
        elif isinstance(sample[key], list) and sample[key] and isinstance(sample[key][0], dict):
            assert isinstance(ours[key], list) and ours[key], key
            assert_same_shape(ours[key][0], sample[key][0], ignore=ignore, extra=extra)
        else:
            assert shape(ours[key]) == shape(sample[key]), key


def test_item_read(sandbox: Sandbox) -> None:
    ours = sandbox.get("item/11").json()
    # PurchaseDesc is not in the sandbox model; Sku appears when the company uses SKUs.
    assert_same_shape(ours, spec("item-inventory.json"), ignore={"PurchaseDesc"}, extra={"Sku"})
    item = ours["Item"]
    assert item["QtyOnHand"] == 25 and item["SyncToken"] == "3" and item["MetaData"]["CreateTime"].endswith("-08:00")
    assert item["AssetAccountRef"] == {"value": "81", "name": "Inventory Asset"}


def test_item_query_response(sandbox: Sandbox) -> None:
    ours = sandbox.query("SELECT * FROM Item WHERE Type = 'Inventory'").json()
    sample = spec("query-response-items.json")
    assert set(ours) == set(sample) and set(ours["QueryResponse"]) == set(sample["QueryResponse"])
    inventory_sample = next(i for i in sample["QueryResponse"]["Item"] if i["Name"] == "Pump")
    pump = next(i for i in ours["QueryResponse"]["Item"] if i["Name"] == "Pump")
    assert_same_shape(pump, inventory_sample, ignore={"PurchaseDesc"})
    assert ours["QueryResponse"]["maxResults"] == 3


def test_preferences(sandbox: Sandbox) -> None:
    ours = sandbox.get("preferences").json()
    sample = spec("preferences.json")
    # The sample company has no closing date; ours does.
    assert_same_shape(ours, sample, extra={"BookCloseDate", "FirstMonthOfFiscalYear", "StatementMessage"})
    prefs = ours["Preferences"]
    assert prefs["AccountingInfoPrefs"]["BookCloseDate"] == "2023-12-31"
    assert prefs["ProductAndServicesPrefs"]["QuantityOnHand"] is True
    assert prefs["CurrencyPrefs"]["HomeCurrency"] == {"value": "USD"}
    assert prefs["ReportPrefs"]["ReportBasis"] == "Accrual"
    sandbox.company.book_close_date = None
    again = sandbox.get("preferences").json()["Preferences"]["AccountingInfoPrefs"]
    assert "BookCloseDate" not in again


def test_company_info(sandbox: Sandbox) -> None:
    ours = sandbox.get(f"companyinfo/{sandbox.realm_id}").json()
    assert_same_shape(ours, spec("companyinfo.json"), extra={"Line1", "City"})
    assert {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"} in ours["CompanyInfo"]["NameValue"]


def test_account(sandbox: Sandbox) -> None:
    ours = sandbox.get("account/81").json()
    assert_same_shape(ours, spec("account-accountsreceivable.json"))
    assert ours["Account"]["CurrentBalance"] == 518.75
    assert ours["Account"]["AccountSubType"] == "Inventory"


def _sections(rows: list[dict[str, Any]], path: tuple[str, ...] = ()) -> dict[tuple[str, ...], dict[str, Any]]:
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in rows:
        if row.get("type") == "Section" and "group" in row:
            here = (*path, row["group"])
            out[here] = row
            out.update(_sections(row.get("Rows", {}).get("Row", []), here))
    return out


def test_balance_sheet(sandbox: Sandbox) -> None:
    ours = sandbox.get("reports/BalanceSheet", end_date="2024-12-31").json()
    sample = spec("report-balancesheet.json")
    assert set(ours) == set(sample)
    assert set(ours["Header"]) <= set(sample["Header"])
    assert ours["Columns"] == sample["Columns"]
    mine, theirs = _sections(ours["Rows"]["Row"]), _sections(sample["Rows"]["Row"])
    for path in [
        ("TotalAssets",),
        ("TotalAssets", "CurrentAssets"),
        ("TotalAssets", "CurrentAssets", "OtherCurrentAssets"),
        ("TotalAssets", "CurrentAssets", "BankAccounts"),
        ("TotalLiabilitiesAndEquity",),
        ("TotalLiabilitiesAndEquity", "Liabilities", "CurrentLiabilities", "AP"),
        ("TotalLiabilitiesAndEquity", "Equity"),
    ]:
        assert path in mine and path in theirs, path
        assert set(mine[path]) == set(theirs[path])
        assert shape(mine[path]["Summary"]) == shape(theirs[path]["Summary"])
    other_current = mine[("TotalAssets", "CurrentAssets", "OtherCurrentAssets")]["Rows"]["Row"]
    sample_row = theirs[("TotalAssets", "CurrentAssets", "OtherCurrentAssets")]["Rows"]["Row"][0]
    assert shape(other_current[0]) == shape(sample_row)
    assert {"value": "Inventory Asset", "id": "81"} in [r["ColData"][0] for r in other_current]
    assert [r["ColData"][1]["value"] for r in other_current if r["ColData"][0].get("id") == "81"] == ["518.75"]
    totals = [mine[(g,)]["Summary"]["ColData"][1]["value"] for g in ("TotalAssets", "TotalLiabilitiesAndEquity")]
    assert totals == ["1518.75", "1518.75"]
    earlier = sandbox.get("reports/BalanceSheet", end_date="2023-12-31").json()
    early_sections = _sections(earlier["Rows"]["Row"])
    rows = early_sections[("TotalAssets", "CurrentAssets", "OtherCurrentAssets")]["Rows"]["Row"]
    assert [r["ColData"][1]["value"] for r in rows if r["ColData"][0].get("id") == "81"] == ["0.00"]


def test_inventory_valuation_summary(sandbox: Sandbox) -> None:
    # "today" is the company's day, which is not the machine's near midnight UTC.
    today = render.today(sandbox.company)
    ours = sandbox.get("reports/InventoryValuationSummary", report_date=today.isoformat()).json()
    sample = spec("report-inventoryvaluationsummary.json")
    assert set(ours) == set(sample)
    assert set(ours["Header"]) == set(sample["Header"])
    assert ours["Columns"] == sample["Columns"]
    rows = ours["Rows"]["Row"]
    assert shape(rows[0]) == shape(sample["Rows"]["Row"][0])
    assert rows[-1] == {
        "ColData": [{"value": "TOTAL"}, {"value": " "}, {"value": ""}, {"value": "518.75"}, {"value": ""}],
        "group": "GrandTotal",
    }
    pump = next(r for r in rows if r["ColData"][0].get("id") == "11")
    assert [c["value"] for c in pump["ColData"]] == ["Pump", "2890", "25.00", "250.00", "10.00"]
    assert "17" not in [r["ColData"][0].get("id") for r in rows]  # inactive


def test_faults_have_the_sample_shapes(sandbox: Sandbox) -> None:
    missing = sandbox.get("item/999").json()
    assert_same_shape(missing, spec("fault-object-not-found.json"))
    assert missing["Fault"]["Error"][0]["code"] == "610"
    stale = sandbox.post("item", {"Id": "11", "SyncToken": "1", "sparse": True, "Active": False})
    assert stale.status_code == 400
    assert_same_shape(stale.json(), spec("fault-stale-object.json"))
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"
    required = sandbox.post("item", {"Type": "Service"})
    assert_same_shape(required.json(), spec("fault-validation.json"))
    assert required.json()["Fault"]["Error"][0]["element"] == "Name"


def test_journal_entry_shape(sandbox: Sandbox) -> None:
    body = {
        "TxnDate": "2024-03-01",
        "Line": [
            {
                "DetailType": "JournalEntryLineDetail",
                "Amount": 25.54,
                "Description": "Four sprinkler heads damaged",
                "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "91"}},
            },
            {
                "DetailType": "JournalEntryLineDetail",
                "Amount": 25.54,
                "Description": "Sprinkler Hds Inventory Adjustment",
                "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "81"}},
            },
        ],
    }
    created = sandbox.post("journalentry", body).json()
    assert_same_shape(created, spec("journalentry.json"))
    read = sandbox.get(f"journalentry/{created['JournalEntry']['Id']}").json()
    assert read["JournalEntry"]["Line"] == created["JournalEntry"]["Line"]
