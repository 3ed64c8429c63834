from __future__ import annotations

from datetime import date, timedelta

from checks.results import Pending, Status
from tests.checks.factories import TODAY, answers, run, snapshot

SLUG = "backup"


def test_nothing_recorded_needs_the_backup() -> None:
    result = run(SLUG, snapshot(), answers())
    assert result.status is Status.NEEDS_INPUT and result.id == "backup.N001" and not result.ask
    assert result.pending is Pending.BACKUP


def test_exactly_seven_days_old_passes() -> None:
    made = TODAY - timedelta(days=7)
    result = run(SLUG, snapshot(), answers(backup_date=made, backup_reference="QBO-bk-#12", confirm=[SLUG]))
    assert result.status is Status.PASS and result.id == "backup.I001"
    assert "7 days old" in result.summary and "QBO-bk-#12" in result.summary and "Dana Owner" in result.summary


def test_eight_days_old_warns_and_an_ack_is_tied_to_that_backup() -> None:
    made = TODAY - timedelta(days=8)
    result = run(SLUG, snapshot(), answers(backup_date=made))
    assert result.status is Status.WARN and result.id == "backup.W001"
    assert "8 days old" in result.summary
    assert result.ask.startswith(f"I understand that the QBO backup from {made.isoformat()} is 8 days old")
    assert result.ack_key == made.isoformat()
    assert run(SLUG, snapshot(), answers(backup_date=made, ack={SLUG: made.isoformat()})).cleared
    older = made - timedelta(days=1)
    assert not run(SLUG, snapshot(), answers(backup_date=older, ack={SLUG: made.isoformat()})).cleared


def test_the_maximum_age_is_configurable() -> None:
    made = TODAY - timedelta(days=8)
    assert run(SLUG, snapshot(), answers(backup_date=made, backup_max_age_days=10)).status is Status.PASS


def test_today_passes_and_a_future_date_fails() -> None:
    assert run(SLUG, snapshot(), answers(backup_date=TODAY)).status is Status.PASS
    future = run(SLUG, snapshot(), answers(backup_date=date(2025, 6, 21)))
    assert future.status is Status.FAIL and future.id == "backup.F001"
    assert "future" in future.summary and "2025-06-21" in future.summary
