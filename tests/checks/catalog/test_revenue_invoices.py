from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from checks.answers import Answers
from checks.results import Pending, Status
from checks.snapshot import Need, SalesOrder, Snapshot
from tests.checks.factories import TODAY, answers, needs, run, snapshot

SLUG = "revenue-invoices"
D = date(2025, 6, 1)


def order(
    id: str,
    day: date,
    source: str | None = "Shopify",
    status: str = "ORDER_COMPLETED",
    invoiced: bool = True,
) -> SalesOrder:
    return SalesOrder(
        order_id=id,
        status=status,
        order_date=day,
        sale_source=source,
        invoice_urls=(f"/acme/api/invoice/{id}",) if invoiced else (),
        total=Decimal("10.50"),
    )


def snap(orders: list[SalesOrder], enable_date: date | None = D) -> Snapshot:
    return snapshot(sales_orders=tuple(orders), enable_date=enable_date)


def yes(enable_date: date | None = D, invoice_volume_warn_per_month: int = 2000) -> Answers:
    return answers(
        revenue_pushed=True,
        enable_date=enable_date,
        enable_date_decided=True,
        invoice_volume_warn_per_month=invoice_volume_warn_per_month,
    )


def test_unanswered_asks_and_reads_nothing() -> None:
    ans = answers()
    assert needs(SLUG, ans) == frozenset()
    result = run(SLUG, snapshot(), ans)
    assert result.status is Status.NEEDS_INPUT and result.pending is Pending.REVENUE_ANSWER
    assert result.id == "revenue-invoices.N001"


def test_no_revenue_is_not_applicable_and_reads_no_orders() -> None:
    ans = answers(revenue_pushed=False, enable_date=D, enable_date_decided=True)
    assert needs(SLUG, ans) == frozenset()
    result = run(SLUG, snapshot(), ans)
    assert result.status is Status.NOT_APPLICABLE and result.cleared and result.id == "revenue-invoices.A001"


def test_yes_without_an_enable_date_waits_for_it() -> None:
    ans = answers(revenue_pushed=True)
    assert needs(SLUG, ans) == frozenset()
    result = run(SLUG, snapshot(), ans)
    assert result.status is Status.NEEDS_INPUT and result.pending is Pending.ENABLE_DATE
    assert result.id == "revenue-invoices.N002"
    assert needs(SLUG, yes()) == frozenset({Need.FINALE_SALES_ORDERS})


def test_completed_orders_from_the_enable_date_without_invoice_fail_per_source() -> None:
    orders = [
        order("1", D - timedelta(days=1), invoiced=False),  # before the enable date: not a finding
        order("2", D, invoiced=False),  # on the enable date: a finding
        order("3", D, status="ORDER_CREATED", invoiced=False),  # open: not a finding
        order("4", D, status="ORDER_LOCKED", invoiced=False),  # committed, not shipped: not a finding
        order("5", D, status="ORDER_CANCELLED", invoiced=False),  # cancelled: not a finding
        order("6", D + timedelta(days=2)),  # invoiced
        order("7", D + timedelta(days=3), source="Amazon", invoiced=False),
        order("8", D + timedelta(days=4), source="Amazon", invoiced=False),
        order("9", D + timedelta(days=5), source=None, invoiced=False),
        order("10", D + timedelta(days=5), source="  ", invoiced=True),
    ]
    result = run(SLUG, snap(orders), yes())
    assert result.status is Status.FAIL and result.id == "revenue-invoices.F001"
    missing = [(f.id, f.extra["sale_source"]) for f in result.findings if f.kind == "sales_order"]
    assert missing == [("7", "Amazon"), ("8", "Amazon"), ("2", "Shopify"), ("9", "No sales source")]
    assert "4 completed sales orders dated on or after 2025-06-01 have no invoice" in result.summary
    assert "Amazon: 2 of 2; Shopify: 1 of 2; No sales source: 1 of 2" in result.summary
    assert "Invoicing not set up for Amazon:" in result.summary
    sources = {f.id: f.extra["invoicing_set_up"] for f in result.findings if f.kind == "sale_source"}
    assert sources == {"Amazon": "no", "Shopify": "yes", "No sales source": "yes"}


def test_volume_per_source_per_month_and_a_warning_above_the_threshold() -> None:
    start = TODAY - timedelta(days=89)
    shopify = [order(f"S{i}", start + timedelta(days=i % 90)) for i in range(9000)]
    etsy = [order(f"E{i}", start + timedelta(days=i), source="Etsy") for i in range(90)]
    old = [order("X", start - timedelta(days=1))]  # outside the 90 days: not counted in the volume
    result = run(SLUG, snap(shopify + etsy + old, None), yes(None, invoice_volume_warn_per_month=2000))
    assert result.status is Status.WARN and result.id == "revenue-invoices.W001"
    assert result.ask == (
        "I understand that Shopify would create more than 2,000 QBO invoices a month, and that is wanted: no "
        "consolidation for it in Finale."
    )
    # 9,000 orders in 90 days = 100 a day × 30.44 days a month ≈ 3,044; Etsy 1 a day ≈ 30.
    assert "Shopify: ~3,044 orders a month means ~3,044 QBO invoices a month" in result.summary
    assert "Etsy: ~30 orders a month" in result.summary
    assert "consolidation" in result.summary and "do not sync as invoices" in result.summary
    assert result.ack_key is not None and "Shopify" in result.ack_key and "Etsy" not in result.ack_key
    quiet = run(SLUG, snap(shopify + etsy, None), yes(None, invoice_volume_warn_per_month=5000))
    assert quiet.status is Status.PASS and quiet.id == "revenue-invoices.I001"


def test_a_short_window_says_the_estimate_is_rough() -> None:
    d = TODAY - timedelta(days=4)  # 5 days of orders
    orders = [order(str(i), d + timedelta(days=i % 5)) for i in range(50)]
    result = run(SLUG, snap(orders, d), yes(d))
    assert result.status is Status.PASS
    assert "only 5 days" in result.summary
    assert "~304 orders a month" in result.summary  # 10 a day


def test_a_future_enable_date_has_no_orders_yet() -> None:
    d = TODAY + timedelta(days=11)
    result = run(SLUG, snap([], d), yes(d))
    assert result.status is Status.PASS
    assert "in the future" in result.summary
