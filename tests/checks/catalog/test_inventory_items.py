from __future__ import annotations

from datetime import date

from checks.results import Pending, Status
from checks.snapshot import FinaleProduct, ItemTransaction, Need, QboItem, Snapshot
from tests.checks.factories import answers, company, item, needs, product, run, snapshot

SLUG = "inventory-items"
D = date(2025, 7, 1)
DECIDED = answers(enable_date=D, enable_date_decided=True)


def txn(item_id: str, day: date, kind: str = "PurchaseOrder", id: str = "500") -> ItemTransaction:
    return ItemTransaction(txn_type=kind, txn_id=id, doc_number=f"PO-{id}", txn_date=day, item_id=item_id)


def snap(
    items: list[QboItem],
    products: list[FinaleProduct] | None = None,
    txns: list[ItemTransaction] | None = None,
    enable_date: date | None = D,
) -> Snapshot:
    return snapshot(
        company=company(quantity_on_hand_enabled=True),
        items=tuple(items),
        products=tuple(products or []),
        item_transactions=None if txns is None else tuple(txns),
        enable_date=enable_date,
        adjustments=(),
    )


def test_no_inventory_items_passes_and_reports_the_preference() -> None:
    items = [item("1", "Consulting", type="Service"), item("2", "Old widget (deleted)", active=False)]
    result = run(SLUG, snap(items, txns=[]), DECIDED)
    assert result.status is Status.PASS and result.id == "inventory-items.I001"
    assert "Quantity on hand) preference is on" in result.summary


def test_items_matching_finale_are_left_to_deactivation() -> None:
    items = [item("1", "  sku-1 "), item("2", "Blue mug", sku="SKU-2")]
    result = run(SLUG, snap(items, [product("SKU-1"), product("sku-2")], txns=[]), DECIDED)
    assert result.status is Status.PASS and result.id == "inventory-items.I002"
    assert "2 active inventory-type items" in result.summary and "deactivation" in result.summary
    assert result.findings == ()


def test_items_not_in_finale_but_unused_warn_with_a_key_tied_to_the_facts() -> None:
    items = [item("1", "Café crème ☕", qty="4"), item("2", "SKU-1")]
    result = run(SLUG, snap(items, [product("SKU-1")], txns=[txn("1", date(2025, 6, 30))]), DECIDED)
    assert result.status is Status.WARN and result.id == "inventory-items.W001"
    assert [f.id for f in result.findings] == ["1"]
    assert result.ask == (
        "I understand that 1 active inventory-type item in QBO is not a Finale product (Café crème ☕), and that "
        "nobody will use it on purchase orders, bills, invoices or sales receipts once Finale pushes."
    )
    assert result.findings[0].name == "Café crème ☕"
    assert "Another 1 active inventory-type item matches a Finale product" in result.summary
    assert result.ack_key
    acked = run(
        SLUG,
        snap(items, [product("SKU-1")], txns=[]),
        answers(enable_date=D, enable_date_decided=True, ack={SLUG: result.ack_key}),
    )
    assert acked.cleared
    # A new unknown item makes the old acknowledgement stale.
    more = [*items, item("3", "Teapot")]
    stale = run(
        SLUG,
        snap(more, [product("SKU-1")], txns=[]),
        answers(enable_date=D, enable_date_decided=True, ack={SLUG: result.ack_key}),
    )
    assert stale.status is Status.WARN and not stale.cleared


def test_items_on_transactions_from_the_enable_date_fail() -> None:
    items = [item("1", 'Mug "large"'), item("2", "Plate"), item("3", "Bowl")]
    txns = [
        txn("1", D, "Invoice", "10"),  # on the enable date itself: counts
        txn("2", date(2025, 6, 30), "Bill", "11"),  # the day before: does not
        txn("3", date(2025, 8, 1), "JournalEntry", "12"),  # not a tracking transaction
    ]
    result = run(SLUG, snap(items, [], txns=txns), DECIDED)
    assert result.status is Status.FAIL and result.id == "inventory-items.F001" and not result.ask
    used = [f for f in result.findings if f.extra["transactions"] != "0"]
    assert [f.id for f in used] == ["1"]
    assert "invoice PO-10 (2025-07-01)" in used[0].detail
    assert "on or after 2025-07-01" in result.summary


def test_blank_enable_date_counts_every_transaction() -> None:
    ans = answers(enable_date=None, enable_date_decided=True)
    result = run(SLUG, snap([item("1", "Plate")], [], txns=[txn("1", date(2019, 1, 1))], enable_date=None), ans)
    assert result.status is Status.FAIL and result.id == "inventory-items.F001"
    assert "any date" in result.summary


def test_undecided_date_waits_for_it_and_does_not_read_transactions() -> None:
    ans = answers()
    assert Need.QBO_ITEM_TRANSACTIONS not in needs(SLUG, ans)
    assert Need.QBO_ITEM_TRANSACTIONS in needs(SLUG, DECIDED)
    result = run(SLUG, snap([item("1", "Plate")], [], enable_date=None), ans)
    assert result.status is Status.NEEDS_INPUT and result.id == "inventory-items.N001"
    assert result.pending is Pending.ENABLE_DATE
    assert "not chosen" in result.summary


def test_data_fetched_for_another_enable_date_is_not_trusted() -> None:
    result = run(SLUG, snap([item("1", "Plate")], [], txns=[], enable_date=date(2025, 8, 1)), DECIDED)
    assert result.status is Status.ERROR and result.id == "inventory-items.E904"


def test_other_types_and_unused_inactive_items_are_ignored() -> None:
    items = [item("1", "Plate (deleted)", active=False), item("2", "Shipping", type="NonInventory")]
    assert run(SLUG, snap(items, [], txns=[txn("2", D), txn("1", date(2025, 6, 30))]), DECIDED).status is Status.PASS


def test_an_inactive_item_still_used_from_the_enable_date_fails() -> None:
    # Making an item inactive leaves the transactions that name it: QBO still tracks stock with it.
    items = [item("1", "Plate (deleted)", active=False), item("2", "Shipping", type="NonInventory")]
    result = run(SLUG, snap(items, [], txns=[txn("1", D)]), DECIDED)
    assert result.status is Status.FAIL and result.id == "inventory-items.F002"
    assert [f.id for f in result.findings] == ["1"] and "PO-500" in result.findings[0].detail
