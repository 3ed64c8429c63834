from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from storage.models import Checklist, ChecklistState, Platform, Workspace
from storage.repositories import checklists, owners

UNICODE_NAME = 'Café "Zoë" O\'Brien & Søn — 株式会社; DROP TABLE workspaces; --'


def test_workspace_get_or_create_is_idempotent_and_unicode_safe(session: Session) -> None:
    first = checklists.get_or_create_workspace(session, Platform.SLACK, "T0001", UNICODE_NAME)
    again = checklists.get_or_create_workspace(session, "slack", "T0001")
    assert again.id == first.id
    assert again.name == UNICODE_NAME
    other_platform = checklists.get_or_create_workspace(session, Platform.TEAMS, "T0001", "Tenant")
    assert other_platform.id != first.id
    renamed = checklists.get_or_create_workspace(session, Platform.SLACK, "T0001", "Renamed")
    assert renamed.id == first.id and renamed.name == "Renamed"
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(Workspace)) == 2
    with pytest.raises(ValueError):
        checklists.get_or_create_workspace(session, "irc", "x")


def test_workspace_unique_per_platform_and_external_id(session: Session) -> None:
    session.add(Workspace(platform=Platform.CONSOLE, external_id="local"))
    session.flush()
    session.add(Workspace(platform=Platform.CONSOLE, external_id="local"))
    with pytest.raises(sa.exc.IntegrityError):
        session.flush()


def test_checklist_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1", "Acme")
        checklist = checklists.create_checklist(
            session, workspace.id, "C1", company_label=UNICODE_NAME, reminder_timezone="UTC"
        )
        assert checklist.version == 1 and checklist.reminder_timezone == "UTC"
        checklist_id = checklist.id
        checklists.update_checklist(
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
        loaded = checklists.find_checklist(session, Platform.SLACK, "T1", "C1")
        assert loaded is not None
        assert loaded.company_label == UNICODE_NAME
        assert loaded.enable_date == date(2026, 1, 1) and loaded.enable_date_decided
        assert loaded.revenue_pushed is False
        assert loaded.reminder_schedule == "0 9 * * MON-FRI"
        assert loaded.reminder_timezone == "Europe/Zurich"
        assert loaded.state is ChecklistState.OPEN
        assert loaded.version == 2
        assert loaded.created_at.tzinfo is not None
        assert checklists.find_checklist(session, Platform.SLACK, "T1", "C2") is None
        assert checklists.find_checklist(session, Platform.TEAMS, "T1", "C1") is None
        assert checklists.get_checklist(session, checklist_id) is loaded
        assert [c.id for c in checklists.checklists_of_workspace(session, "slack", "T1")] == [checklist_id]
        assert checklists.checklists_of_workspace(session, "slack", "T2") == []
        assert [c.id for c in checklists.list_checklists(session, reminders_enabled=True)] == [checklist_id]
        assert checklists.list_checklists(session, state=ChecklistState.READY) == []


def test_one_checklist_per_channel(session: Session) -> None:
    workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1")
    checklists.create_checklist(session, workspace, "C1")
    with pytest.raises(sa.exc.IntegrityError):
        checklists.create_checklist(session, workspace, "C1")


def test_update_checklist_refuses_unknown_fields(session: Session) -> None:
    workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1")
    checklist = checklists.create_checklist(session, workspace, "C1")
    with pytest.raises(TypeError):
        checklists.update_checklist(session, checklist.id, version=7)
    with pytest.raises(TypeError):
        checklists.update_checklist(session, checklist.id, enable_date="2026-01-01")
    with pytest.raises(LookupError):
        checklists.update_checklist(session, 999_999, company_label="x")


# --- Optimistic locking ---


def test_stale_version_raises(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1")
        checklist_id = checklists.create_checklist(session, workspace, "C1").id

    first, second = sessions(), sessions()
    try:
        mine = first.get(Checklist, checklist_id)
        theirs = second.get(Checklist, checklist_id)
        assert mine is not None and theirs is not None
        mine.enable_date = date(2026, 1, 1)
        first.commit()
        theirs.enable_date = date(2026, 2, 1)
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with sessions() as session:
        final = session.get(Checklist, checklist_id)
        assert final is not None and final.enable_date == date(2026, 1, 1) and final.version == 2


# --- Owners ---


def test_owners(session: Session) -> None:
    workspace = checklists.get_or_create_workspace(session, Platform.TEAMS, "tenant-1")
    checklist_id = checklists.create_checklist(session, workspace, "19:abc@thread.tacv2").id
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    owner = owners.add_owner(session, checklist_id, "U1", display_name=UNICODE_NAME, added_by="U0", added_at=t0)
    owners.add_owner(session, checklist_id, "U2", display_name="Sam", added_by="U1", added_at=t0 - timedelta(1))
    again = owners.add_owner(session, checklist_id, "U1", display_name="ignored", added_by="U9")
    assert again.id == owner.id and again.display_name == UNICODE_NAME
    assert [o.user_id for o in owners.list_owners(session, checklist_id)] == ["U1", "U2"]  # in the order added
    found = owners.get_owner(session, checklist_id, "U2")
    assert found is not None and found.added_by == "U1"
    assert owners.get_owner(session, checklist_id, "U3") is None
    session.commit()
