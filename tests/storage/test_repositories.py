from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from checks.results import CheckResult, Finding, Pending, Status
from storage import repositories as repo
from storage.models import Checklist, ChecklistState, Platform, Workspace

UNICODE_NAME = 'Café "Zoë" O\'Brien & Søn — 株式会社; DROP TABLE workspaces; --'


def test_workspace_get_or_create_is_idempotent_and_unicode_safe(session: Session) -> None:
    first = repo.get_or_create_workspace(session, Platform.SLACK, "T0001", UNICODE_NAME)
    again = repo.get_or_create_workspace(session, "slack", "T0001")
    assert again.id == first.id
    assert again.name == UNICODE_NAME
    other_platform = repo.get_or_create_workspace(session, Platform.TEAMS, "T0001", "Tenant")
    assert other_platform.id != first.id
    renamed = repo.get_or_create_workspace(session, Platform.SLACK, "T0001", "Renamed")
    assert renamed.id == first.id and renamed.name == "Renamed"
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(Workspace)) == 2
    with pytest.raises(ValueError):
        repo.get_or_create_workspace(session, "irc", "x")


def test_workspace_unique_per_platform_and_external_id(session: Session) -> None:
    session.add(Workspace(platform=Platform.CONSOLE, external_id="local"))
    session.flush()
    session.add(Workspace(platform=Platform.CONSOLE, external_id="local"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_checklist_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1", "Acme")
        checklist, created = repo.get_or_create_checklist(session, workspace, "C1", company_label=UNICODE_NAME)
        assert created and checklist.version == 1
        checklist_id, workspace_id = checklist.id, workspace.id
        again, created_again = repo.get_or_create_checklist(session, workspace_id, "C1")
        assert not created_again and again.id == checklist_id
        repo.update_checklist(
            session,
            checklist_id,
            qbo_realm_id="9130357766890",
            enable_date=date(2026, 1, 1),
            enable_date_decided=True,
            revenue_pushed=False,
            reminder_schedule="0 9 * * MON-FRI",
            reminder_timezone="Europe/Zurich",
            reminder_channel_id="C-reminders",
            reminders_enabled=True,
        )
    with sessions() as session:
        loaded = repo.get_checklist(session, workspace_id, "C1")
        assert loaded is not None
        assert loaded.company_label == UNICODE_NAME
        assert loaded.enable_date == date(2026, 1, 1) and loaded.enable_date_decided
        assert loaded.revenue_pushed is False
        assert loaded.reminder_schedule == "0 9 * * MON-FRI"
        assert loaded.reminder_timezone == "Europe/Zurich"
        assert loaded.state is ChecklistState.OPEN
        assert loaded.version == 2
        assert loaded.created_at.tzinfo is not None
        assert repo.get_checklist(session, workspace_id, "C2") is None
        assert repo.get_checklist_by_id(session, checklist_id) is loaded
        assert [c.id for c in repo.list_checklists(session, reminders_enabled=True)] == [checklist_id]
        assert repo.list_checklists(session, state=ChecklistState.READY) == []


def test_one_checklist_per_channel(session: Session) -> None:
    workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
    repo.create_checklist(session, workspace, "C1")
    with pytest.raises(sa.exc.IntegrityError):
        repo.create_checklist(session, workspace, "C1")


def test_update_checklist_refuses_unknown_fields(session: Session) -> None:
    workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
    checklist = repo.create_checklist(session, workspace, "C1")
    with pytest.raises(TypeError):
        repo.update_checklist(session, checklist.id, version=7)
    with pytest.raises(TypeError):
        repo.update_checklist(session, checklist.id, enable_date="2026-01-01")
    with pytest.raises(LookupError):
        repo.update_checklist(session, 999_999, company_label="x")


# --- Optimistic locking ---


def test_stale_version_raises(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
        checklist_id = repo.create_checklist(session, workspace, "C1").id

    first, second = sessions(), sessions()
    try:
        mine = first.get(Checklist, checklist_id)
        theirs = second.get(Checklist, checklist_id)
        assert mine is not None and theirs is not None
        mine.enable_date = date(2026, 1, 1)
        first.commit()
        theirs.enable_date = date(2026, 2, 1)
        with pytest.raises(repo.StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with sessions() as session:
        final = session.get(Checklist, checklist_id)
        assert final is not None and final.enable_date == date(2026, 1, 1) and final.version == 2


def test_update_checklist_with_expected_version(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
        checklist_id = repo.create_checklist(session, workspace, "C1").id
    with sessions.begin() as session:
        updated = repo.update_checklist(session, checklist_id, expected_version=1, state="ready")
        assert updated.version == 2 and updated.state is ChecklistState.READY
    with sessions() as session, pytest.raises(repo.StaleDataError, match="changed meanwhile"):
        repo.update_checklist(session, checklist_id, expected_version=1, state=ChecklistState.OPEN)


# --- Owners ---


def test_owners(session: Session) -> None:
    workspace = repo.get_or_create_workspace(session, Platform.TEAMS, "tenant-1")
    checklist_id = repo.create_checklist(session, workspace, "19:abc@thread.tacv2").id
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    owner = repo.add_owner(session, checklist_id, "U1", display_name=UNICODE_NAME, added_by="U0", added_at=t0)
    repo.add_owner(session, checklist_id, "U2", display_name="Sam", added_by="U1", added_at=t0 + timedelta(1))
    again = repo.add_owner(session, checklist_id, "U1", display_name="ignored", added_by="U9")
    assert again.id == owner.id and again.display_name == UNICODE_NAME
    assert [o.user_id for o in repo.list_owners(session, checklist_id)] == ["U1", "U2"]
    assert repo.is_owner(session, checklist_id, "U1")
    assert not repo.is_owner(session, checklist_id, "U3")
    assert repo.remove_owner(session, checklist_id, "U2")
    assert not repo.remove_owner(session, checklist_id, "U2")
    assert not repo.is_owner(session, checklist_id, "U2")
    session.commit()


# --- Check history ---


def _result(slug: str, status: Status, **kwargs: Any) -> CheckResult:
    return CheckResult(slug=slug, status=status, summary=f"{slug}: {status}", **kwargs)


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
        id="opening-balance.F001",
        ask=f"I understand: {UNICODE_NAME}",
    )
    with sessions.begin() as session:
        workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
        checklist_id = repo.create_checklist(session, workspace, "C1").id
        run = repo.save_check_run(session, checklist_id, [result], triggered_by="U1")
        assert run.slugs == ["opening-balance"]
    with sessions() as session:
        record = repo.latest_results(session, checklist_id)["opening-balance"]
        assert record.amounts["finale_balance"] == "1234567.8900"
        assert record.amounts["huge"] == "98765432109876543210.12345678901234567890"
        back = record.to_result()
        assert back == result
        assert back.id == "opening-balance.F001" and back.ask == f"I understand: {UNICODE_NAME}"
        assert back.amounts["finale_balance"].as_tuple() == Decimal("1234567.8900").as_tuple()
        assert back.findings[0].quantity == Decimal("-3.5000")


def test_latest_results_and_fixed_since(sessions: sessionmaker[Session]) -> None:
    day = datetime(2026, 1, 10, 9, tzinfo=UTC)
    with sessions.begin() as session:
        workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
        checklist_id = repo.create_checklist(session, workspace, "C1").id
        other_id = repo.create_checklist(session, workspace, "C2").id
        runs = [
            [_result("negative-qoh", Status.FAIL), _result("backup", Status.NEEDS_INPUT)],
            [_result("negative-qoh", Status.FAIL), _result("backup", Status.NEEDS_INPUT)],
            [_result("negative-qoh", Status.PASS, cleared=True)],
            [_result("negative-qoh", Status.PASS, cleared=True), _result("backup", Status.WARN)],
        ]
        for index, results in enumerate(runs):
            repo.save_check_run(
                session,
                checklist_id,
                results,
                triggered_by="reminder" if index % 2 else "U1",
                started_at=day + timedelta(days=index),
                finished_at=day + timedelta(days=index, seconds=3),
            )
        repo.save_check_run(session, other_id, [_result("negative-qoh", Status.ERROR)], triggered_by="U9")

    with sessions() as session:
        latest = repo.latest_results(session, checklist_id)
        assert {slug: r.status for slug, r in latest.items()} == {
            "negative-qoh": Status.PASS,
            "backup": Status.WARN,
        }
        changes = repo.previous_different_status(session, checklist_id)
        qoh = changes["negative-qoh"]
        assert qoh.previous is not None and qoh.previous.status is Status.FAIL
        assert qoh.since == day + timedelta(days=2, seconds=3)  # fixed since the third run
        backup = changes["backup"]
        assert backup.previous is not None and backup.previous.status is Status.NEEDS_INPUT
        assert backup.since == day + timedelta(days=3, seconds=3)
        assert repo.previous_different_status(session, other_id)["negative-qoh"].previous is None
        run = session.scalars(sa.select(repo.CheckRun).order_by(repo.CheckRun.id)).first()
        assert run is not None and [r.slug for r in run.results] == ["negative-qoh", "backup"]


def test_naive_datetimes_are_refused(session: Session) -> None:
    workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
    checklist_id = repo.create_checklist(session, workspace, "C1").id
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        repo.save_check_run(session, checklist_id, [], triggered_by="U1", finished_at=datetime(2026, 1, 1))


def test_times_come_back_in_utc(session: Session) -> None:
    workspace = repo.get_or_create_workspace(session, Platform.SLACK, "T1")
    checklist_id = repo.create_checklist(session, workspace, "C1").id
    new_york = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    run = repo.save_check_run(session, checklist_id, [], triggered_by="U1", finished_at=new_york)
    session.commit()
    session.expire_all()
    loaded = session.get(repo.CheckRun, run.id)
    assert loaded is not None
    assert loaded.finished_at == new_york and loaded.finished_at.tzinfo is UTC


# --- Teams conversation references ---


def test_conversation_reference_upsert(session: Session) -> None:
    workspace = repo.get_or_create_workspace(session, Platform.TEAMS, "tenant-1", "Contoso")
    checklist_id = repo.create_checklist(session, workspace, "19:abc@thread.tacv2").id
    reference = {"conversation": {"id": "19:abc@thread.tacv2"}, "serviceUrl": "https://smba.one/"}
    first = repo.save_conversation_reference(
        session,
        workspace.id,
        "19:abc@thread.tacv2",
        service_url="https://smba.one/",
        reference=reference,
        checklist_id=checklist_id,
    )
    moved = repo.save_conversation_reference(
        session,
        workspace.id,
        "19:abc@thread.tacv2",
        service_url="https://smba.two/",
        reference={**reference, "serviceUrl": "https://smba.two/"},
    )
    session.commit()
    assert moved.id == first.id and moved.checklist_id == checklist_id
    found = repo.conversation_reference_for_checklist(session, checklist_id)
    assert found is not None and found.service_url == "https://smba.two/"
    assert found.reference["serviceUrl"] == "https://smba.two/"
    assert repo.get_conversation_reference(session, workspace.id, "19:other") is None
