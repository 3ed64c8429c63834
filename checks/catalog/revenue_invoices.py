"""8. revenue-invoices: when Finale pushes sales revenue, every completed sales order has an invoice.

Finale pushes revenue as invoices: a completed (shipped) sales order without an invoice never reaches QBO.
Every order becomes its own QBO invoice, so the volume per sale source matters too; consolidating a source
turns its sales into summary journal entries instead (and its invoices then do not sync as invoices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from checks.answers import Answers
from checks.catalog._common import first, not_loaded, stale_enable_date
from checks.money import count
from checks.registry import Kind, register
from checks.results import CheckResult, Finding, Pending, Status
from checks.snapshot import Need, SalesOrder, Snapshot

SLUG = "revenue-invoices"
NO_SOURCE = "No sales source"
COMPLETED = "ORDER_COMPLETED"
CANCELLED = "ORDER_CANCELLED"
# The volume is estimated from at most the last 90 days of orders, as orders per average month.
VOLUME_LOOKBACK_DAYS = 90
DAYS_PER_MONTH = Decimal("30.436875")  # 365.2425 / 12
SHORT_BASIS_DAYS = 28

OUTCOMES = {
    "revenue-invoices.N001": "not answered yet whether Finale pushes sales revenue",
    "revenue-invoices.A001": "Finale will not push sales revenue",
    "revenue-invoices.N002": "Finale pushes revenue; the enable date is not chosen yet",
    "revenue-invoices.F001": "completed sales orders from the enable date on have no invoice",
    "revenue-invoices.W001": "every order has an invoice, but a sale source would create too many QBO invoices",
    "revenue-invoices.I001": "every completed sales order from the enable date on has an invoice",
}


def needs(answers: Answers) -> frozenset[Need]:
    # Sales orders are only read when revenue is pushed and the window (the enable date) is known.
    if answers.revenue_pushed is True and answers.enable_date_decided:
        return frozenset({Need.FINALE_SALES_ORDERS})
    return frozenset()


@dataclass
class SourceStats:
    name: str
    completed: list[SalesOrder] = field(default_factory=list)
    without_invoice: list[SalesOrder] = field(default_factory=list)
    invoiced: int = 0
    recent: int = 0  # non-cancelled orders in the volume basis


def source_of(order: SalesOrder) -> str:
    return (order.sale_source or "").strip() or NO_SOURCE


def volume_basis(answers: Answers) -> tuple[date, date] | None:
    """The days the monthly volume is estimated from: the last 90 days to today, from the enable date on."""
    end = answers.today
    start = end - timedelta(days=VOLUME_LOOKBACK_DAYS - 1)
    if answers.enable_date is not None:
        start = max(start, answers.enable_date)
    return (start, end) if start <= end else None


def per_month(n: int, days: int) -> int:
    return int((Decimal(n) * DAYS_PER_MONTH / Decimal(days)).to_integral_value())


@register(
    slug=SLUG,
    title="Invoices for every sale source (if revenue is pushed)",
    kind=Kind.INPUT_AUTOMATIC,
    order=80,
    why=(
        "Finale pushes sales revenue as invoices, one per sales order. An order without an invoice never "
        "reaches QBO, and a busy sales channel means thousands of QBO invoices a month."
    ),
    needs=needs,
    depends_on_enable_date=True,
    outcomes=OUTCOMES,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    if answers.revenue_pushed is None:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary="Not answered yet: will Finale push sales revenue (invoices) into QBO?",
            hint=(
                "An owner answers, with the accountant: if your sales channels already book revenue in QBO "
                "(for example through A2X), Finale usually should not."
            ),
            id="revenue-invoices.N001",
            pending=Pending.REVENUE_ANSWER,
        )
    if answers.revenue_pushed is False:
        return CheckResult(
            slug=SLUG,
            status=Status.NOT_APPLICABLE,
            summary="Finale will not push sales revenue into QBO, so no invoices are needed.",
            id="revenue-invoices.A001",
        )
    if not answers.enable_date_decided:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=(
                "Finale will push sales revenue. The enable date decides which orders need an invoice; choose it first."
            ),
            hint="An owner chooses the enable date; then Preflight checks each completed order from then on.",
            id="revenue-invoices.N002",
            pending=Pending.ENABLE_DATE,
        )
    orders = snapshot.sales_orders
    if orders is None:
        return not_loaded(SLUG, answers, {Need.FINALE_SALES_ORDERS: orders})
    stale = stale_enable_date(SLUG, snapshot, answers)
    if stale is not None:
        return stale

    start = answers.enable_date
    basis = volume_basis(answers)
    stats: dict[str, SourceStats] = {}
    for o in sorted(orders, key=lambda o: (o.order_date, o.order_id)):
        if o.status == CANCELLED:
            continue
        s = stats.setdefault(source_of(o), SourceStats(source_of(o)))
        if basis is not None and basis[0] <= o.order_date <= basis[1]:
            s.recent += 1
        if start is not None and o.order_date < start:
            continue
        if o.invoice_urls:
            s.invoiced += 1
        if o.status == COMPLETED:
            s.completed.append(o)
            if not o.invoice_urls:
                s.without_invoice.append(o)

    window = f"dated on or after {start.isoformat()}" if start else "of any date (the enable date is blank)"
    days = (basis[1] - basis[0]).days + 1 if basis else 0
    basis_text = (
        f"from the orders of the {days:,} days {basis[0].isoformat()} to {basis[1].isoformat()}" if basis else ""
    )
    short = basis is not None and days < SHORT_BASIS_DAYS
    volume_lines: list[str] = []
    busy: list[str] = []
    findings: list[Finding] = []
    for name in sorted(stats, key=lambda n: (n == NO_SOURCE, n.casefold())):
        s = stats[name]
        monthly = per_month(s.recent, days) if basis else None
        not_set_up = bool(s.completed) and s.invoiced == 0
        if monthly is not None and s.recent:
            volume_lines.append(f"{name}: ~{monthly:,} orders a month means ~{monthly:,} QBO invoices a month")
            if monthly > answers.invoice_volume_warn_per_month:
                busy.append(name)
        findings.append(
            Finding(
                kind="sale_source",
                id=name,
                name=name,
                detail=(
                    f"{count(len(s.completed), 'completed order')}, {len(s.without_invoice):,} without "
                    "invoice" + ("; invoicing not set up" if not_set_up else "")
                ),
                quantity=None if monthly is None else Decimal(monthly),
                extra={
                    "completed": str(len(s.completed)),
                    "without_invoice": str(len(s.without_invoice)),
                    "invoicing_set_up": "no" if not_set_up else "yes",
                    "orders_per_month": "" if monthly is None else str(monthly),
                },
            )
        )
    for s in sorted(stats.values(), key=lambda s: (s.name == NO_SOURCE, s.name.casefold())):
        findings.extend(
            Finding(
                kind="sales_order",
                id=o.order_id,
                name=f"{s.name} order {o.order_id}",
                detail=f"Completed, dated {o.order_date.isoformat()}, no invoice",
                amount=o.total,
                extra={"sale_source": s.name, "order_date": o.order_date.isoformat()},
            )
            for o in s.without_invoice
        )

    if basis is None:
        volume = "The enable date is in the future: there are no orders yet to estimate the invoice volume from."
    elif volume_lines:
        rough = f" (a rough estimate: only {days} days of orders)" if short else ""
        volume = f"Expected volume, {basis_text}{rough}: " + "; ".join(volume_lines) + "."
    else:
        volume = f"No orders {basis_text} to estimate the invoice volume from."
    consolidation = (
        f"{first(busy)} would create more than {answers.invoice_volume_warn_per_month:,} QBO invoices a "
        "month. "
        "Consider Finale's consolidation for such a source (Application settings > Accounting > "
        "Consolidations): "
        "its sales then reach QBO as summary journal entries, and its invoices do not sync as invoices."
        if busy
        else ""
    )

    missing = [s for s in stats.values() if s.without_invoice]
    if missing:
        unset = [s.name for s in missing if s.completed and s.invoiced == 0]
        per_source = "; ".join(
            f"{s.name}: {len(s.without_invoice):,} of {len(s.completed):,}"
            for s in sorted(missing, key=lambda s: (s.name == NO_SOURCE, s.name.casefold()))
        )
        setup = f" Invoicing not set up for {', '.join(unset)}: no order there has an invoice." if unset else ""
        total = sum(len(s.without_invoice) for s in missing)
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=(
                f"{count(total, 'completed sales order')} {window} {'has' if total == 1 else 'have'} no "
                "invoice "
                f"({per_source}).{setup} {volume} {consolidation}"
            ).strip(),
            hint=(
                "In Finale, create and post an invoice for each listed order, and set up automatic "
                "invoicing for "
                "each sale source whose sales should reach QBO (the source's integration settings), so that "
                "every "
                "order shipped from the enable date on gets one. Then run the check again."
            ),
            findings=tuple(findings),
            amounts={},
            id="revenue-invoices.F001",
        )
    completed_n = sum(len(s.completed) for s in stats.values())
    ok = f"Every completed sales order {window} has an invoice ({count(completed_n, 'order')})."
    if busy:
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=f"{ok} {volume} {consolidation}",
            hint=(
                "Decide with the accountant whether that many invoices in QBO is wanted. If not, turn on "
                "consolidation for the source in Finale; otherwise an owner acknowledges the volume."
            ),
            findings=tuple(findings),
            id="revenue-invoices.W001",
            ask=(
                f"I understand that {first(busy)} would create more than "
                f"{answers.invoice_volume_warn_per_month:,} QBO invoices a month, and that is wanted: no "
                "consolidation for "
                f"{'it' if len(busy) == 1 else 'them'} in Finale."
            ),
            ack_key="busy: " + ", ".join(sorted(busy)) + f" > {answers.invoice_volume_warn_per_month}",
        )
    return CheckResult(
        slug=SLUG, status=Status.PASS, summary=f"{ok} {volume}", findings=tuple(findings), id="revenue-invoices.I001"
    )
