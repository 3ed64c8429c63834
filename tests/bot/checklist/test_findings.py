"""The demo company finds every planted problem and states the exact amounts (the issue's acceptance test).

Expected facts come from `company.planted`, which the generator records while it plants each problem.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from bot.checklist.views import ChecklistStatus
from checks.results import CheckResult, Status
from tests.bot.harness import OWNER, Harness, card_text, reply_text, usd


async def checked(h: Harness) -> ChecklistStatus:
    await h.start_connected()
    await h.service.set_enable_date(h.checklist_id, OWNER, h.enable_date)
    h.service.set_revenue(h.checklist_id, OWNER, True)
    return await h.service.run_checks(h.checklist_id, OWNER)


def by_kind(result: CheckResult, kind: str) -> list[object]:
    return [f for f in result.findings if f.kind == kind]


async def test_every_planted_problem_is_found_with_its_exact_amount(harness: Harness) -> None:
    h = harness
    status = await checked(h)
    planted = h.planted
    results = status.results
    assert set(results) == {s.slug for s in status.specs}

    # deactivation: the planted items, each valued, and the total moved to expense, formatted as shown.
    deactivation = results["deactivation"]
    rows = planted["items_to_deactivate"]
    assert deactivation.status is Status.FAIL
    assert [f.id for f in deactivation.findings] == [r["id"] for r in rows]
    for finding, row in zip(deactivation.findings, rows, strict=True):
        assert finding.amount == row["asset_value"] and finding.quantity == row["qty"]
        assert finding.extra["finale_product"] == row["finale_product_id"]
        assert finding.extra["asset_account_id"] == row["asset_account_id"]
        assert finding.extra["expense_account_id"] == row["expense_account_id"]
    total = planted["total_to_expense"]
    assert deactivation.amounts["total_to_expense"] == total
    assert f"moves {usd(total)} out of the inventory asset account" in deactivation.summary
    assert deactivation.ack_key == f"{total:f}"
    ignored = set(planted["ignored_inactive_items"])
    assert ignored.isdisjoint(f.id for r in results.values() for f in r.findings if f.kind == "qbo_item")

    # inventory-items: the one still used after the enable date fails, the other two are listed too.
    inventory = results["inventory-items"]
    fail_rows = planted["inventory_items_not_in_finale_fail"]
    warn_rows = planted["inventory_items_not_in_finale_warn"]
    assert inventory.status is Status.FAIL
    assert {f.id for f in inventory.findings} == {r["id"] for r in fail_rows + warn_rows}
    for row in fail_rows:
        finding = next(f for f in inventory.findings if f.id == row["id"])
        assert finding.extra["transactions"] == str(len(row["transactions"]))
        for txn in row["transactions"]:
            assert txn["doc_number"] in finding.detail and txn["txn_date"].isoformat() in finding.detail
        assert row["name"] in inventory.summary
    for row in warn_rows:
        finding = next(f for f in inventory.findings if f.id == row["id"])
        # What making it inactive would move to expense, to the cent, and between which accounts.
        assert finding.detail == (
            f"Not a Finale product; making it inactive moves {usd(row['asset_value'])} from "
            f"{finding.extra['asset_account']} to Inventory Shrinkage"
        )
        assert finding.quantity == row["qty"] and finding.amount == row["asset_value"]

    # other-apps: the burst, the duplicate names and the type collision are all hints.
    other = results["other-apps"]
    assert other.status is Status.NEEDS_INPUT
    bursts = [f for f in other.findings if f.kind == "burst"]
    assert [b.extra["items"] for b in bursts] == [str(planted["other_app_burst_count"])]
    start, end = planted["other_app_burst_window"]
    zone = h.company.qbo.tz  # QBO states times in the company's zone; the generator plants them naive
    assert datetime.fromisoformat(bursts[0].extra["first"]) == start.replace(tzinfo=zone)
    assert datetime.fromisoformat(bursts[0].extra["last"]) == end.replace(tzinfo=zone)
    hinted = {f.id: f.detail for f in other.findings if f.kind == "qbo_item"}
    for group in planted["duplicate_names"]:
        for item_id in group["ids"]:
            assert hinted[item_id].startswith("duplicate name")
    for collision in planted["type_collisions"]:
        detail = hinted[collision["qbo_item_id"]]
        assert collision["qbo_type"] in detail and collision["finale_product_id"] in detail
    assert f"{planted['other_app_burst_count']} items" in other.summary

    # average-cost: exactly the planted products.
    average = results["average-cost"]
    assert average.status is Status.FAIL
    assert {f.id for f in average.findings} == {r["product_id"] for r in planted["products_without_average_cost"]}
    assert f"as of the enable date {h.enable_date.isoformat()}" in average.summary

    # negative-qoh: product, sublocation and quantity.
    negative = results["negative-qoh"]
    assert negative.status is Status.FAIL
    assert {(f.id, f.extra["sublocation"], f.quantity) for f in negative.findings} == {
        (r["product_id"], r["sublocation"], r["qty"]) for r in planted["negative_stock"]
    }
    for r in planted["negative_stock"]:
        assert f"{r['product_id']} ({r['qty']} at {r['sublocation']})" in negative.summary

    # revenue-invoices: every order without an invoice, per source; the source without invoicing.
    revenue = results["revenue-invoices"]
    assert revenue.status is Status.FAIL
    found: dict[str, list[str]] = defaultdict(list)
    for f in by_kind(revenue, "sales_order"):
        found[f.extra["sale_source"]].append(f.id)
    expected = {source: sorted(ids) for source, ids in planted["orders_without_invoice"].items() if ids}
    assert {s: sorted(ids) for s, ids in found.items()} == expected
    sources = {f.id: f for f in by_kind(revenue, "sale_source")}
    for source, ids in expected.items():
        assert sources[source].extra["without_invoice"] == str(len(ids))
        assert f"{source}: {len(ids)} of " in revenue.summary
    not_set_up = sorted(s for s, f in sources.items() if f.extra["invoicing_set_up"] == "no")
    assert not_set_up == sorted(planted["sources_without_invoicing"])
    assert f"Invoicing not set up for {', '.join(not_set_up)}" in revenue.summary
    total_without = sum(len(ids) for ids in expected.values())
    assert revenue.summary.startswith(f"{total_without} completed sales orders dated on or after")

    # opening-balance: QBO on D-1, Finale on D-1, the difference, and the drafted entry dated D-1.
    opening = results["opening-balance"]
    d1 = h.enable_date - timedelta(days=1)
    qbo_d1, finale_d1 = planted["qbo_inventory_balance_d1"], planted["finale_inventory_value_d1"]
    difference = planted["opening_balance_difference"]
    assert difference == finale_d1 - qbo_d1
    assert opening.status is Status.FAIL
    assert dict(opening.amounts) == {"qbo_balance": qbo_d1, "finale_balance": finale_d1, "difference": difference}
    assert f"On {d1.isoformat()}: QBO {usd(qbo_d1)}" in opening.summary
    assert f"Finale {usd(finale_d1)}" in opening.summary
    direction = "higher" if difference > 0 else "lower"
    assert f"Finale is {usd(abs(difference))} {direction}" in opening.summary
    entry = next(f for f in opening.findings if f.kind == "journal_entry")
    assert entry.extra["txn_date"] == d1.isoformat() and entry.amount == abs(difference)
    draft = h.service.journal_entry(h.checklist_id)
    assert draft is not None and draft == entry.detail
    lines = [ln for ln in draft.splitlines() if ln.strip().startswith(("Debit", "Credit"))]
    assert [ln.split()[0] for ln in lines] == ["Debit", "Credit"]
    assert all(ln.rstrip().endswith(usd(abs(difference))) for ln in lines)  # balanced: same amount each side
    debit_account = "Inventory Asset" if difference > 0 else "Opening Balance Equity"
    assert debit_account in lines[0]
    assert draft.startswith(f"Journal entry dated {d1.isoformat()} (the day before the enable date")

    # enable-date passes (first of a month, after the close date); admin-access and backup wait for people.
    assert results["enable-date"].status is Status.PASS
    assert h.close_date.isoformat() in results["enable-date"].summary
    assert results["admin-access"].status is Status.NEEDS_INPUT
    assert results["backup"].status is Status.NEEDS_INPUT
    assert [s for s, r in results.items() if r.cleared] == ["enable-date"] and not status.ready


async def test_the_chat_shows_the_amount_before_anyone_acknowledges(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    await checked(h)
    total = h.planted["total_to_expense"]
    reply = await h.say("check deactivation")
    assert usd(total) in reply_text(reply)
    dialog = await h.say("acknowledge deactivation")
    text = card_text(dialog.cards[0])
    assert f"by {usd(total)} in total" in text
    assert "Inventory Shrinkage" in text
    assert "put back with a manual journal entry dated the day before the enable date" in text
    csv = h.service.deactivation_csv(h.checklist_id)
    assert csv is not None
    body = csv.decode("utf-8")
    for row in h.planted["items_to_deactivate"]:
        assert row["id"] in body
    assert Decimal(total).quantize(Decimal("0.01")) == total
