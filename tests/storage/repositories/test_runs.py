from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from checks.results import CheckResult, Finding, Pending, Status
from storage.models import CheckRun, Platform
from storage.repositories import checklists, runs

DAY = datetime(2026, 1, 10, 9, tzinfo=UTC)


def _result(slug: str, status: Status, **kwargs: Any) -> CheckResult:
    return CheckResult(slug=slug, status=status, summary=f"{slug}: {status}", **kwargs)


def _checklist_id(session: Session, channel: str = "C1") -> int:
    workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1")
    return checklists.create_checklist(session, workspace, channel).id


def _store(session: Session, checklist_id: int, results: list[CheckResult], at: datetime, by: str = "U1") -> int:
    run_id = runs.open_run(session, checklist_id, started_at=at, triggered_by=by, slugs=[r.slug for r in results])
    runs.add_check_results(session, run_id, checklist_id, results, created_at=at + timedelta(seconds=3))
    runs.finish_run(session, run_id, at + timedelta(seconds=3))
    return run_id


def test_check_run_round_trip_keeps_decimals_exact(sessions: sessionmaker[Session]) -> None:
    amounts = {
        "qbo_balance": Decimal("1234567.89"),
        "finale_balance": Decimal("1234567.8900"),
        "difference": Decimal("-0.01"),
        "tiny": Decimal("0.000000001"),
        "huge": Decimal("98765432109876543210.12345678901234567890"),
    }
    finding = Finding(
        kind="qbo_item",
        id="42",
        name="Widget “deluxe” 'x'",
        detail="asset → shrinkage",
        quantity=Decimal("-3.5000"),
        amount=Decimal("12345.67"),
        extra={"sku": "W-1"},
    )
    result = _result(
        "opening-balance",
        Status.FAIL,
        hint="Post the journal entry",
        findings=(finding,),
        amounts=amounts,
        pending=Pending.FINALE_BALANCE,
        ack_key="12345.67",
    )
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        run_id = _store(session, checklist_id, [result], DAY)
    with sessions() as session:
        run = session.get(CheckRun, run_id)
        assert run is not None and run.slugs == ["opening-balance"] and run.finished_at == DAY + timedelta(seconds=3)
        record = runs.latest_result(session, checklist_id, "opening-balance")
        assert record is not None
        assert record.amounts["finale_balance"] == "1234567.8900"
        assert record.amounts["huge"] == "98765432109876543210.12345678901234567890"
        back = runs.load_results(session, [record.id])[record.id]
        assert back == result
        assert back.amounts["finale_balance"].as_tuple() == Decimal("1234567.8900").as_tuple()
        assert back.findings[0].quantity == Decimal("-3.5000")


def test_history_in_order_and_latest_result_per_check(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        other_id = _checklist_id(session, "C2")
        batches = [
            [_result("negative-qoh", Status.FAIL), _result("backup", Status.NEEDS_INPUT)],
            [_result("negative-qoh", Status.PASS, cleared=True)],
            [_result("backup", Status.WARN)],
        ]
        for index, results in enumerate(batches):
            _store(session, checklist_id, results, DAY + timedelta(days=index))
        _store(session, other_id, [_result("negative-qoh", Status.ERROR)], DAY, by="U9")

    with sessions() as session:
        history = runs.result_history(session, checklist_id)
        assert [(h.slug, h.status) for h in history] == [
            ("negative-qoh", Status.FAIL),
            ("backup", Status.NEEDS_INPUT),
            ("negative-qoh", Status.PASS),
            ("backup", Status.WARN),
        ]
        assert history[2].created_at == DAY + timedelta(days=1, seconds=3)
        latest = runs.latest_result(session, checklist_id, "negative-qoh")
        assert latest is not None and latest.id == history[2].id
        assert runs.latest_result(session, checklist_id, "deactivation") is None
        assert [h.status for h in runs.result_history(session, other_id)] == [Status.ERROR]
        assert runs.load_results(session, []) == {}
        run = session.scalars(sa.select(CheckRun).order_by(CheckRun.id)).first()
        assert run is not None and [r.slug for r in run.results] == ["negative-qoh", "backup"]


def test_naive_datetimes_are_refused(session: Session) -> None:
    checklist_id = _checklist_id(session)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        runs.open_run(session, checklist_id, started_at=datetime(2026, 1, 1), triggered_by="U1", slugs=[])


def test_times_come_back_in_utc(session: Session) -> None:
    checklist_id = _checklist_id(session)
    new_york = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    run_id = runs.open_run(session, checklist_id, started_at=new_york, triggered_by="U1", slugs=[])
    runs.finish_run(session, run_id, new_york)
    session.commit()
    session.expire_all()
    loaded = session.get(CheckRun, run_id)
    assert loaded is not None
    assert loaded.finished_at == new_york and loaded.finished_at.tzinfo is UTC
