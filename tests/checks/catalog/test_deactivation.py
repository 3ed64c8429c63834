from __future__ import annotations

from datetime import date
from decimal import Decimal

from checks.results import Pending, Status
from checks.snapshot import FinaleProduct, Need, QboAccount, QboItem, Ref, Snapshot, SourceFailure, ValuationLine
from tests.checks.factories import COGS, account, answers, company, item, product, run, snapshot

SLUG = "deactivation"
ACCOUNTS = (
    account("81", "Inventory Asset"),
    account("91", "Inventory Shrinkage", "CostOfSales", type="Cost of Goods Sold"),
)


def snap(
    items: list[QboItem],
    products: list[FinaleProduct],
    valuation: list[ValuationLine] | None = None,
    accounts: tuple[QboAccount, ...] = ACCOUNTS,
    **kw: object,
) -> Snapshot:
    kw.setdefault("company", company())
    kw.setdefault("adjustments", ())
    return snapshot(
        items=tuple(items),
        products=tuple(products),
        accounts=accounts,
        valuation=None if valuation is None else tuple(valuation),
        **kw,
    )


def line(item_id: str, qty: str, value: str) -> ValuationLine:
    return ValuationLine(
        item_id=item_id, name="", sku=None, qty=Decimal(qty), asset_value=Decimal(value), avg_cost=None
    )


def test_none_to_deactivate_passes_and_counts_those_already_inactive() -> None:
    items = [item("1", "SKU-1 (deleted)", active=False), item("2", "Other")]
    result = run(SLUG, snap(items, [product("SKU-1")], []), answers())
    assert result.status is Status.PASS and result.id == "deactivation.I001" and not result.ask
    assert "none remain" in result.summary
    assert "1 matching item is already inactive" in result.summary
    assert result.amounts["total_to_expense"] == Decimal("0.00")


def test_matching_items_fail_with_values_from_the_valuation_report() -> None:
    items = [item("1", " sku-1", qty="9", cost="1"), item("2", "Mug", sku="SKU-2", qty="3", cost="1")]
    valuation = [line("1", "10", "1234.50"), line("2", "3", "0.75")]
    result = run(SLUG, snap(items, [product("SKU-1"), product("sku-2 ")], valuation), answers())
    assert result.status is Status.FAIL and result.id == "deactivation.F001"
    assert result.pending is Pending.ACKNOWLEDGE
    assert result.amounts["total_to_expense"] == Decimal("1235.25")
    assert result.ack_key == "1235.25"
    assert "1,235.25 USD" in result.summary
    assert "from Inventory Asset to Inventory Shrinkage" in result.summary
    first = result.findings[0]
    assert (first.id, first.quantity, first.amount) == ("1", Decimal("10"), Decimal("1234.50"))
    assert first.extra["estimate"] == "no"
    assert first.extra["expense_account"] == "Inventory Shrinkage"
    assert first.extra["finale_product"] == "SKU-1"
    assert "estimate" not in result.summary
    # What an owner acknowledges: the total, and the accounts it moves between, by name.
    assert result.ask.startswith(
        "Deactivating these 2 items makes QuickBooks credit Inventory Asset and debit Inventory Shrinkage "
        "by 1,235.25 USD in total."
    )


def test_the_acknowledgement_names_every_account_and_what_puts_the_value_back() -> None:
    other_asset = item("2", "SKU-2", qty="1", cost="2", asset=Ref("82", "Warehouse Stock"), expense=COGS)
    items = [item("1", "SKU-1", qty="1", cost="1"), other_asset]
    products = [product("SKU-1"), product("SKU-2")]
    no_shrinkage = (account("81", "Inventory Asset"), account("82", "Warehouse Stock"))
    dated = run(
        SLUG,
        snap(items, products, accounts=no_shrinkage, company=company(home_currency="CAD")),
        answers(enable_date=date(2025, 7, 1), enable_date_decided=True),
    )
    assert dated.ask == (
        "Deactivating these 2 items makes QuickBooks credit Inventory Asset, Warehouse Stock and debit "
        "Cost of Goods Sold by 3.00 CAD in total. It must be put back with a manual journal entry dated "
        "the day before the enable date (2025-06-30)."
    )
    blank = run(SLUG, snap(items, products), answers(enable_date_decided=True))
    assert blank.ask.endswith("Finale will push from the beginning of time, so its history restores the balance.")
    undecided = run(SLUG, snap(items, products), answers())
    assert undecided.ask.endswith(
        "It must be put back with a manual journal entry dated the day before the enable date."
    )


def test_without_the_report_values_are_estimated_and_said_so_with_half_up_rounding() -> None:
    # 3 × 33.335 = 100.005 exactly: half up gives 100.01 (half even would give 100.00).
    items = [item("1", "SKU-1", qty="3", cost="33.335")]
    result = run(SLUG, snap(items, [product("SKU-1")], None), answers())
    assert result.findings[0].amount == Decimal("100.005")
    assert result.findings[0].extra["estimate"] == "yes"
    assert result.amounts["total_to_expense"] == Decimal("100.01")
    assert result.amounts["estimated"] == Decimal("100.01")
    assert "100.01 USD" in result.summary and "estimate" in result.summary


def test_sums_are_exact_and_rounded_once() -> None:
    # Each 0.0025 would round to 0.00 on its own; the exact sum 0.005 rounds half up to 0.01.
    items = [item("1", "A", qty="1", cost="0.0025"), item("2", "B", qty="1", cost="0.0025")]
    result = run(SLUG, snap(items, [product("A"), product("B")]), answers())
    assert result.amounts["total_to_expense"] == Decimal("0.01")
    assert result.ack_key == "0.01"


def test_a_failed_valuation_report_falls_back_to_estimates_not_to_a_pass() -> None:
    err = SourceFailure(Need.QBO_INVENTORY_VALUATION, "The report timed out.")
    items = [item("1", "SKU-1", qty="2", cost="5")]
    result = run(SLUG, snap(items, [product("SKU-1")], errors={Need.QBO_INVENTORY_VALUATION: err}), answers())
    assert result.status is Status.FAIL and result.id == "deactivation.F001"
    assert "The report timed out." in result.summary
    assert result.amounts["total_to_expense"] == Decimal("10.00")


def test_a_failed_item_list_is_an_error() -> None:
    err = SourceFailure(Need.QBO_ITEMS, "QBO answered 500.")
    result = run(SLUG, snapshot(errors={Need.QBO_ITEMS: err}), answers())
    assert result.status is Status.ERROR and result.id == "deactivation.E900"


def test_acknowledging_the_amount_removes_the_pending_but_not_the_failure() -> None:
    items = [item("1", "SKU-1", qty="2", cost="5")]
    ans = answers(ack={SLUG: "10.00"})
    result = run(SLUG, snap(items, [product("SKU-1")]), ans)
    assert result.status is Status.FAIL and result.pending is None and not result.cleared
    assert result.id == "deactivation.F003" and not result.ask
    assert "Dana Owner acknowledged" in result.hint


def test_an_acknowledgement_of_a_stale_amount_does_not_count() -> None:
    items = [item("1", "SKU-1", qty="3", cost="5")]
    result = run(SLUG, snap(items, [product("SKU-1")]), answers(ack={SLUG: "10.00"}))
    assert result.pending is Pending.ACKNOWLEDGE and result.id == "deactivation.F002"
    assert "by 15.00 USD in total" in result.ask
    assert "10.00, not 15.00" in result.hint


def test_the_journal_entry_sentence_follows_the_enable_date() -> None:
    items = [item("1", "SKU-1", qty="1", cost="1")]
    blank = run(SLUG, snap(items, [product("SKU-1")]), answers(enable_date_decided=True))
    assert "no journal entry is needed" in blank.summary
    dated = run(SLUG, snap(items, [product("SKU-1")]), answers(enable_date=date(2025, 7, 1), enable_date_decided=True))
    assert "journal entry dated 2025-06-30" in dated.summary
    undecided = run(SLUG, snap(items, [product("SKU-1")]), answers())
    assert "Unless Finale pushes from the beginning of time" in undecided.summary


def test_without_a_shrinkage_account_the_items_own_expense_account_is_named() -> None:
    items = [item("1", "SKU-1", qty="1", cost="1")]
    result = run(SLUG, snap(items, [product("SKU-1")], accounts=(account("81", "Inventory Asset"),)), answers())
    assert result.findings[0].extra["expense_account"] == "Cost of Goods Sold"


def test_more_than_a_thousand_items() -> None:
    n = 1500
    items = [item(str(i), f"P-{i:05d}", qty="2", cost="0.335") for i in range(n)]
    products = [product(f"p-{i:05d}") for i in range(n)]
    result = run(SLUG, snap(items, products), answers())
    assert len(result.findings) == n
    # 1500 × 0.67 = 1005.00 exactly
    assert result.amounts["total_to_expense"] == Decimal("1005.00")
    assert "1,500 active QBO inventory items" in result.summary
    assert "1,005.00 USD" in result.summary
