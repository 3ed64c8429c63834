"""Check runs and their stored results. A stored result never changes once written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.results import CheckResult, Status
from storage.models import CheckResultRecord, CheckRun


def open_run(
    session: Session, checklist_id: int, *, started_at: datetime, triggered_by: str, slugs: Sequence[str]
) -> int:
    """Record that a run began (`slugs`: what was asked for); its results are stored under the returned id."""
    run = CheckRun(checklist_id=checklist_id, started_at=started_at, triggered_by=triggered_by, slugs=list(slugs))
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, finished_at: datetime) -> None:
    run = session.get(CheckRun, run_id)
    if run is not None:
        run.finished_at = finished_at


def add_check_results(
    session: Session, run_id: int, checklist_id: int, results: Iterable[CheckResult], *, created_at: datetime
) -> int:
    """Store results under a run already recorded (a run's checks may be stored in parts, by the processes that
    ran them); returns how many were stored."""
    records = [
        CheckResultRecord.from_result(result, checklist_id=checklist_id, created_at=created_at) for result in results
    ]
    for record in records:
        record.run_id = run_id
    session.add_all(records)
    session.flush()
    return len(records)


class HistoryEntry(NamedTuple):
    """One stored result without its findings (they can run to thousands of rows)."""

    id: int
    slug: str
    status: Status
    created_at: datetime


def result_history(session: Session, checklist_id: int) -> list[HistoryEntry]:
    """Every stored result of the checklist, oldest first, without findings: enough to find the latest result
    of each check and what changed."""
    rows = session.execute(
        select(CheckResultRecord.id, CheckResultRecord.slug, CheckResultRecord.status, CheckResultRecord.created_at)
        .where(CheckResultRecord.checklist_id == checklist_id)
        .order_by(CheckResultRecord.id)
    )
    return [HistoryEntry(*row) for row in rows]


def load_results(session: Session, record_ids: Iterable[int]) -> dict[int, CheckResult]:
    """Stored results by id, decoded."""
    ids = list(record_ids)
    if not ids:
        return {}
    records = session.scalars(select(CheckResultRecord).where(CheckResultRecord.id.in_(ids)))
    return {record.id: record.to_result() for record in records}


def latest_result(session: Session, checklist_id: int, slug: str) -> CheckResultRecord | None:
    """The check's most recent stored result."""
    return session.scalars(
        select(CheckResultRecord)
        .where(CheckResultRecord.checklist_id == checklist_id, CheckResultRecord.slug == slug)
        .order_by(CheckResultRecord.id.desc())
        .limit(1)
    ).one_or_none()
