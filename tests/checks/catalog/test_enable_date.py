from __future__ import annotations

from datetime import date

import pytest

from checks.catalog.enable_date import closed_period_problem
from checks.results import Pending, Status
from tests.checks.factories import answers, company, run, snapshot

SLUG = "enable-date"
CLOSE = date(2025, 3, 31)
SNAP = snapshot(company=company(book_close_date=CLOSE))


def test_undecided_needs_the_date() -> None:
    result = run(SLUG, SNAP, answers())
    assert result.status is Status.NEEDS_INPUT and result.id == "enable-date.N001"
    assert result.pending is Pending.ENABLE_DATE
    assert "2025-03-31" in result.summary


@pytest.mark.parametrize("day", [date(2025, 3, 31), date(2025, 3, 1)])
def test_on_or_before_the_close_date_fails_naming_both_dates(day: date) -> None:
    result = run(SLUG, SNAP, answers(enable_date=day, enable_date_decided=True))
    assert result.status is Status.FAIL and result.id == "enable-date.F002"
    assert day.isoformat() in result.summary and "2025-03-31" in result.summary


def test_the_first_day_after_the_close_date_passes() -> None:
    result = run(SLUG, SNAP, answers(enable_date=date(2025, 4, 1), enable_date_decided=True))
    assert result.status is Status.PASS and result.id == "enable-date.I001"
    assert "2025-03-31" in result.summary  # D-1, the opening balance day


def test_not_the_first_of_a_month_warns_and_the_ack_is_tied_to_the_date() -> None:
    result = run(SLUG, SNAP, answers(enable_date=date(2025, 7, 15), enable_date_decided=True))
    assert result.status is Status.WARN and result.id == "enable-date.W002"
    assert result.ack_key == "2025-07-15"
    assert result.ask == (
        "I understand that the enable date 2025-07-15 is not the first day of a month, so QBO and Finale must "
        "agree on 2025-07-14, mid-month."
    )
    moved = run(SLUG, SNAP, answers(enable_date=date(2025, 7, 16), enable_date_decided=True, ack={SLUG: "2025-07-15"}))
    assert not moved.cleared
    same = run(SLUG, SNAP, answers(enable_date=date(2025, 7, 15), enable_date_decided=True, ack={SLUG: "2025-07-15"}))
    assert same.cleared


def test_blank_warns_that_the_whole_history_is_pushed() -> None:
    result = run(SLUG, snapshot(company=company()), answers(enable_date_decided=True))
    assert result.status is Status.WARN and result.id == "enable-date.W001"
    assert "whole history" in result.summary
    assert "whole history into QBO company Acme Goods" in result.ask and "there twice" in result.ask


def test_blank_with_closed_books_fails() -> None:
    result = run(SLUG, SNAP, answers(enable_date_decided=True))
    assert result.status is Status.FAIL and result.id == "enable-date.F001"
    assert "2025-03-31" in result.summary


def test_no_close_date_and_a_first_of_month_passes() -> None:
    result = run(SLUG, snapshot(company=company()), answers(enable_date=date(2020, 1, 1), enable_date_decided=True))
    assert result.status is Status.PASS and result.id == "enable-date.I001"
    assert "no closing date" in result.summary


def test_the_closed_period_rule_is_one_function() -> None:
    close = date(2025, 12, 31)
    assert closed_period_problem(date(2026, 1, 1), close) is None
    assert closed_period_problem(None, None) is None and closed_period_problem(date(2020, 1, 1), None) is None
    on_close = closed_period_problem(close, close)
    assert on_close is not None and "closed through 2025-12-31" in on_close and "2025-12-31 is too early" in on_close
    blank = closed_period_problem(None, close)
    assert blank is not None and "whole history" in blank
    # The check says the same.
    snap = snapshot(company=company(book_close_date=close))
    assert run(SLUG, snap, answers(enable_date=close, enable_date_decided=True)).summary == on_close
    assert run(SLUG, snap, answers(enable_date=None, enable_date_decided=True)).summary == blank
