"""5. enable-date: the date from which Finale pushes transactions into QBO.

Finale's setting (Application settings > Accounting > QuickBooks Online > Enable date, formerly "Filter
start date"). It must be after QBO's closing date, since QBO refuses changes before it ("Account period
closed"). A blank date pushes the whole history, which is also before any closing date.
"""

from __future__ import annotations

from datetime import date

from checks.answers import Answers
from checks.catalog._common import day_before, not_loaded, show_date
from checks.registry import Kind, register
from checks.results import CheckResult, Pending, Status
from checks.snapshot import Need, Snapshot

SLUG = "enable-date"

OUTCOMES = {
    "enable-date.N001": "no enable date chosen yet",
    "enable-date.F001": "the enable date is blank but QBO has a closing date",
    "enable-date.W001": "the enable date is blank: Finale pushes the whole history",
    "enable-date.F002": "the enable date is on or before QBO's closing date",
    "enable-date.W002": "the enable date is not the first day of a month",
    "enable-date.I001": "the enable date is chosen and after any closing date",
}

WHERE = "Finale: Application settings > Accounting > QuickBooks Online > Enable date"
QBO_CLOSE_THE_BOOKS = "Settings > Account and settings > Advanced > Accounting > Close the books"


def closed_period_problem(chosen: date | None, close: date | None) -> str | None:
    """The rule "the enable date must be after QBO's closing date": why `chosen` breaks it, or None when it
    holds. A blank date (None) pushes the whole history, the closed periods included."""
    if close is None:
        return None
    if chosen is None:
        return (
            f"The books are closed through {close.isoformat()}, and a blank enable date pushes the whole history, "
            "including the closed periods: QBO rejects those."
        )
    if chosen <= close:
        return (
            f"The books are closed through {close.isoformat()}, so the enable date {chosen.isoformat()} is too "
            "early: QBO would reject what Finale pushes for the closed period."
        )
    return None


@register(
    slug=SLUG,
    title="Enable date chosen",
    kind=Kind.INPUT,
    order=50,
    why=(
        "Finale pushes every transaction dated on or after the enable date, and creates no opening balance. "
        "The date decides what reaches QBO and which day the books must agree on."
    ),
    needs=(Need.QBO_COMPANY,),
    outcomes=OUTCOMES,
    depends_on_enable_date=True,
)
def check(snapshot: Snapshot, answers: Answers) -> CheckResult:
    company = snapshot.company
    if company is None:
        return not_loaded(SLUG, answers, {Need.QBO_COMPANY: company})
    close = company.book_close_date
    closing = f"QBO's books are closed up to {close.isoformat()}." if close else "QBO has no closing date set."
    if not answers.enable_date_decided:
        return CheckResult(
            slug=SLUG,
            status=Status.NEEDS_INPUT,
            summary=f"No enable date chosen yet. {closing}",
            hint=(
                "An owner picks the enable date: usually the first day of a month, after QBO's closing date. "
                f"Enter the same date in {WHERE}."
            ),
            id="enable-date.N001",
            pending=Pending.ENABLE_DATE,
        )
    chosen = answers.enable_date
    problem = closed_period_problem(chosen, close)
    if chosen is None:
        if problem is not None:
            return CheckResult(
                slug=SLUG,
                status=Status.FAIL,
                summary=problem,
                hint=(
                    f"Pick an enable date after {show_date(close)}, or remove or move QBO's closing date "
                    f"({QBO_CLOSE_THE_BOOKS}) if the whole history must go to QBO."
                ),
                id="enable-date.F001",
                pending=Pending.ENABLE_DATE,
            )
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=(
                f"The enable date is blank: Finale will push the whole history into QBO. {closing} "
                "Make sure QBO does not already hold these transactions, or they will be there twice."
            ),
            hint=(
                "Usually the enable date is the first day of a month from which Finale takes over. If "
                "pushing "
                "the whole history is what you want, an owner acknowledges it; otherwise pick a date."
            ),
            id="enable-date.W001",
            ask=(
                f"I understand that the enable date is blank: Finale will push the whole history into QBO "
                f"company {company.name}, and QBO must not already hold those transactions, or they will be "
                "there twice."
            ),
            ack_key="blank",
        )
    if problem is not None:
        return CheckResult(
            slug=SLUG,
            status=Status.FAIL,
            summary=problem,
            hint=(
                f"Pick an enable date after {show_date(close)}, or move QBO's closing date before "
                f"{chosen.isoformat()} ({QBO_CLOSE_THE_BOOKS})."
            ),
            id="enable-date.F002",
            pending=Pending.ENABLE_DATE,
        )
    d1 = day_before(chosen).isoformat()
    if chosen.day != 1:
        return CheckResult(
            slug=SLUG,
            status=Status.WARN,
            summary=(
                f"The enable date {chosen.isoformat()} is not the first day of a month. {closing} "
                f"The books must agree on {d1}, mid-month."
            ),
            hint=(
                "A first of the month makes the opening balance and month-end reconciliation simpler. Pick "
                "one, "
                f"or an owner acknowledges {chosen.isoformat()}. Enter the same date in {WHERE}."
            ),
            id="enable-date.W002",
            ask=(
                f"I understand that the enable date {chosen.isoformat()} is not the first day of a month, so "
                f"QBO and Finale must agree on {d1}, mid-month."
            ),
            ack_key=chosen.isoformat(),
        )
    return CheckResult(
        slug=SLUG,
        status=Status.PASS,
        summary=(
            f"The enable date is {chosen.isoformat()}: Finale pushes transactions dated from then on. "
            f"{closing} "
            f"The opening balance is taken on {d1}."
        ),
        hint=f"Enter the same date in {WHERE}.",
        id="enable-date.I001",
    )
