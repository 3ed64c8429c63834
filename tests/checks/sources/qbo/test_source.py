"""QboSource against the QBO simulator over real HTTP: what the checks read, and how exactly."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from checks.snapshot import QboItem, Ref
from checks.sources.errors import QboError
from sandbox.company import Posting, QboAccountRec
from sandbox.qbo import RequestRecord
from tests.checks.sources.qbo.support import make_source, stand_in, stand_in_source
from tests.sandbox.qbo.companies import UNICODE_NAME, Sandbox, bulk_company, inventory, serve


def test_company(sandbox: Sandbox) -> None:
    company = make_source(sandbox).company()
    assert company.realm_id == sandbox.realm_id
    assert company.name == "Sandbox Garden Supply"
    assert company.book_close_date == date(2023, 12, 31)
    assert company.quantity_on_hand_enabled is True
    assert company.home_currency == "USD" and company.offering_sku == "QuickBooks Online Plus"
    sandbox.company.book_close_date = None
    sandbox.company.quantity_on_hand_enabled = False
    reread = make_source(sandbox).company()
    assert reread.book_close_date is None and reread.quantity_on_hand_enabled is False
    assert make_source(sandbox).check_connection().name == "Sandbox Garden Supply"


def test_items_active_and_inactive_with_sku(sandbox: Sandbox) -> None:
    items = make_source(sandbox).items()
    assert [i.id for i in items] == ["4", "5", "11", "16", "17", "21"]
    pump = next(i for i in items if i.id == "11")
    assert pump == QboItem(
        id="11",
        name="Pump",
        type="Inventory",
        active=True,
        sku="2890",
        fully_qualified_name="Pump",
        qty_on_hand=Decimal("25"),
        purchase_cost=Decimal("10"),
        asset_account=Ref("81", "Inventory Asset"),
        expense_account=Ref("80", "Cost of Goods Sold"),
        income_account=Ref("79", "Sales of Product Income"),
        created=pump.created,
        updated=pump.updated,
    )
    assert pump.created == datetime.fromisoformat("2024-01-02T10:46:45-08:00")
    old = next(i for i in items if i.id == "17")
    assert old.active is False and old.name == "Old Widget" and old.fully_qualified_name == "Old Widget (deleted)"
    assert next(i for i in items if i.id == "21").name == UNICODE_NAME


def test_all_pages_of_2345_items_concurrently() -> None:
    with serve(bulk_company(2345)) as sb:
        items = make_source(sb).items()
        assert len(items) == 2345
        assert [i.id for i in items] == [str(1000 + n) for n in range(2345)]
        assert sum(1 for i in items if not i.active) == len(range(0, 2345, 7))
        assert items[5].sku == "SKU-5"
        query_path = f"/v3/company/{sb.realm_id}/query"
        assert sb.state.requests[query_path] == 4  # COUNT + 3 pages


def _add_items_after_the_count(sb: Sandbox, n: int) -> list[RequestRecord]:
    """Another app adds `n` items once the COUNT has been answered (as the second request arrives)."""
    seen: list[RequestRecord] = []
    company = sb.company

    def hook(record: RequestRecord) -> None:
        seen.append(record)
        if len(seen) == 2:
            company.items.extend(inventory(str(5000 + k), f"Late {k}", "1", "1") for k in range(n))

    sb.state.on_request = hook
    return seen


def test_items_added_while_paging_are_not_lost() -> None:
    with serve(bulk_company(1998)) as sb:
        seen = _add_items_after_the_count(sb, 5)
        items = make_source(sb, max_workers=1).items()
        ids = [i.id for i in items]
        assert len(ids) == len(set(ids)) == 2003
        assert ids[-5:] == [str(5000 + n) for n in range(5)]
        # COUNT (1,998), 2 planned pages; the second came back full instead of holding 998, so one more.
        assert len(seen) == 4


def test_a_count_that_fills_the_last_page_needs_no_read_past_it() -> None:
    with serve(bulk_company(2000)) as sb:
        seen = _add_items_after_the_count(sb, 5)
        items = make_source(sb, max_workers=1).items()
        # The 2,000 items counted are the snapshot; items made after the count are the next check's.
        assert [i.id for i in items] == [str(1000 + n) for n in range(2000)]
        assert len(seen) == 3  # COUNT and 2 pages: nothing read past the count


def test_accounts(sandbox: Sandbox) -> None:
    accounts = {a.id: a for a in make_source(sandbox).accounts()}
    assert accounts["81"].account_sub_type == "Inventory" and accounts["81"].current_balance == Decimal("518.75")
    assert accounts["83"].active is False
    assert accounts["34"].classification == "Equity" and accounts["34"].current_balance == Decimal("1518.75")


def test_inventory_valuation(sandbox: Sandbox) -> None:
    lines = make_source(sandbox).inventory_valuation(date.today())
    assert [(v.item_id, v.sku, v.qty, v.asset_value, v.avg_cost) for v in lines] == [
        ("11", "2890", Decimal("25"), Decimal("250.00"), Decimal("10")),
        ("5", "2345", Decimal("2"), Decimal("250.00"), Decimal("125")),
        ("16", "3456", Decimal("25"), Decimal("18.75"), Decimal("0.75")),
    ]
    assert sum(v.asset_value for v in lines) == Decimal("518.75")


def test_item_transactions(sandbox: Sandbox) -> None:
    found = make_source(sandbox).item_transactions(date(2024, 1, 1))
    assert sorted((t.txn_type, t.txn_id, t.item_id, t.txn_date, t.doc_number) for t in found) == [
        ("Bill", "201", "5", date(2024, 5, 1), "B-1"),
        ("Invoice", "202", "11", date(2024, 6, 1), "1001"),  # two lines, one entry per item
        ("PurchaseOrder", "204", "11", date(2024, 7, 1), "PO-7"),
        ("PurchaseOrder", "204", "16", date(2024, 7, 1), "PO-7"),
    ]
    everything = make_source(sandbox).item_transactions(None)
    assert ("SalesReceipt", "16") in {(t.txn_type, t.item_id) for t in everything}


def test_inventory_balance_and_exact_decimals(sandbox: Sandbox) -> None:
    source = make_source(sandbox)
    assert source.inventory_balance(date(2024, 12, 31)) == {"81": Decimal("518.75"), "82": Decimal("0.00")}
    day = date(2025, 1, 1)
    sandbox.company.ledger += [
        Posting(day, "82", Decimal("0.1")),
        Posting(day, "82", Decimal("0.2")),
        Posting(day, "34", Decimal("-0.3")),
    ]
    assert source.inventory_balance(day)["82"] == Decimal("0.30")
    # 12.345 rounds half up to 12.35; through a float it would become 12.34.
    sandbox.company.accounts.append(QboAccountRec("85", "Consigned Stock", "Other Current Asset", "Inventory", "Asset"))
    sandbox.company.ledger += [Posting(day, "85", Decimal("12.345")), Posting(day, "34", Decimal("-12.345"))]
    assert source.inventory_balance(day)["85"] == Decimal("12.35")
    account = next(a for a in source.accounts() if a.id == "85")
    assert account.current_balance == Decimal("12.35")
    sandbox.company.items[0].purchase_cost = Decimal("12.345")
    pump = next(i for i in source.items() if i.id == "11")
    assert pump.purchase_cost == Decimal("12.345")  # unit costs keep every decimal QBO sends


def test_adjustments(sandbox: Sandbox) -> None:
    source = make_source(sandbox)
    adjustments = source.adjustments(date(2024, 1, 1))
    assert [(a.id, a.txn_date, a.account, a.item_ids, a.note) for a in adjustments] == [
        ("205", date(2024, 8, 1), Ref("91", "Inventory Shrinkage"), ("16",), "Damaged")
    ]
    assert source.adjustments(date(2024, 9, 1)) == []


def test_deactivation_shows_up_in_what_the_checks_read(sandbox: Sandbox) -> None:
    today = datetime.now(sandbox.company.tz).date()
    assert sandbox.post("item", {"Id": "5", "SyncToken": "3", "sparse": True, "Active": False}).status_code == 200
    source = make_source(sandbox)
    assert source.inventory_balance(today)["81"] == Decimal("268.75")
    assert [a.item_ids for a in source.adjustments(today)] == [("5",)]
    assert "5" not in {v.item_id for v in source.inventory_valuation(today)}
    # The write-off: its quantity, the account QBO debited, and the item's value the day before.
    (write_off,) = source.adjustments(today)
    assert [(ln.item_id, ln.qty_diff) for ln in write_off.lines] == [("5", Decimal("-2"))]
    assert write_off.account is not None and write_off.account.name == "Inventory Shrinkage"
    before = {v.item_id: v for v in source.inventory_valuation(today - timedelta(days=1))}
    assert (before["5"].qty, before["5"].asset_value) == (Decimal("2"), Decimal("250.00"))


def test_journal_entries_are_read_as_signed_postings(sandbox: Sandbox) -> None:
    line = {"DetailType": "JournalEntryLineDetail", "Amount": 12.34}
    body = {
        "TxnDate": "2025-02-03",
        "Line": [
            {**line, "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "81"}}},
            {**line, "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "91"}}},
        ],
    }
    assert sandbox.post("journalentry", body).status_code == 200
    source = make_source(sandbox)
    (entry,) = [e for e in source.journal_entries(date(2025, 2, 3)) if e.txn_date == date(2025, 2, 3)]
    assert [(p.account_id, p.amount) for p in entry.postings] == [("81", Decimal("12.34")), ("91", Decimal("-12.34"))]
    later = source.journal_entries(date(2025, 2, 4))
    assert entry.id not in {e.id for e in later} and all(e.txn_date >= date(2025, 2, 4) for e in later)


def test_find_items_by_name_escapes_quotes(sandbox: Sandbox) -> None:
    found = make_source(sandbox).find_items_by_name(UNICODE_NAME)
    assert [i.id for i in found] == ["21"]


def test_concurrent_callers_share_one_source(sandbox: Sandbox) -> None:
    source = make_source(sandbox)
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            results[name] = getattr(source, name)()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("items", "accounts", "company")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results["items"]) == 6 and len(results["accounts"]) == 11


def test_rows_and_reports_in_an_unexpected_shape_are_qbo_errors() -> None:
    async def odd(request: web.Request) -> web.Response:
        if request.path.endswith("/query"):
            return web.json_response({"QueryResponse": {"Item": [{"Name": "No Id"}], "totalCount": "many"}})
        return web.json_response({"Rows": {"Row": [{"ColData": ["not a column"]}]}})

    with stand_in(odd) as server:
        source = stand_in_source(server.url)
        with pytest.raises(QboError, match="could not read") as items:
            source.items()
        with pytest.raises(QboError, match="could not read") as named:
            source.find_items_by_name("No Id")
        with pytest.raises(QboError, match="could not read") as valuation:
            source.inventory_valuation(date(2024, 1, 31))
    assert "Item" in str(items.value) and "Item" in str(named.value)
    assert "inventory valuation report" in str(valuation.value)
