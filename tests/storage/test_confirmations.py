from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, session_factory, upgrade
from storage.models import AppendOnlyError, Confirmation, ConfirmationKind, Platform
from storage.repositories import checklists, confirmations

SHOWN = (
    "Deactivating 3 inventory items moves $12,345.67 from Inventory Asset to Inventory Shrinkage. "
    "You will put it back with a journal entry dated 2025-12-31. Acknowledge?"
)


def _checklist_id(session: Session) -> int:
    workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1", "Acme")
    return checklists.create_checklist(session, workspace, "C1").id


def _record_some(session: Session, checklist_id: int) -> list[Confirmation]:
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    return [
        confirmations.record_confirmation(
            session,
            checklist_id,
            slug="enable-date",
            kind=ConfirmationKind.ANSWER,
            field="enable_date",
            value="2026-01-01",
            shown_text="Enable date: 2026-01-01",
            user_id="U1",
            user_name="Zoë O'Brien",
            recorded_at=t0,
        ),
        confirmations.record_confirmation(
            session,
            checklist_id,
            slug="deactivation",
            kind="acknowledge",
            value="12345.67",
            shown_text=SHOWN,
            user_id="U2",
            user_name='Sam "the CFO"',
            recorded_at=t0 + timedelta(minutes=1),
        ),
        confirmations.record_confirmation(
            session,
            checklist_id,
            slug="enable-date",
            kind=ConfirmationKind.ANSWER,
            field="enable_date",
            value="2026-02-01",
            shown_text="Enable date: 2026-02-01",
            user_id="U1",
            user_name="Zoë O'Brien",
            recorded_at=t0 + timedelta(minutes=1),  # same time as the previous row: id decides
        ),
    ]


def test_record_and_list_in_order(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        _record_some(session, checklist_id)
    with sessions() as session:
        rows = confirmations.list_confirmations(session, checklist_id)
        assert [(r.slug, r.value) for r in rows] == [
            ("enable-date", "2026-01-01"),
            ("deactivation", "12345.67"),
            ("enable-date", "2026-02-01"),
        ]
        assert rows[1].shown_text == SHOWN
        assert rows[1].user_name == 'Sam "the CFO"'
        assert rows[0].user_name == "Zoë O'Brien"
        assert rows[0].recorded_at == datetime(2026, 1, 5, 9, tzinfo=UTC)
        assert rows[1].kind is ConfirmationKind.ACKNOWLEDGE


def test_standing_confirmations_apply_withdrawals(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        first, ack, second = _record_some(session, checklist_id)
        standing = confirmations.standing_confirmations(session, checklist_id)
        assert [r.id for r in standing] == [first.id, ack.id, second.id]

        withdrawal = confirmations.record_confirmation(
            session,
            checklist_id,
            slug="deactivation",
            kind=ConfirmationKind.WITHDRAW,
            shown_text="Withdraw the acknowledgement of $12,345.67?",
            user_id="U2",
            user_name="Sam",
            withdraws=ack,
        )
        assert withdrawal.withdraws_id == ack.id
        assert [r.id for r in confirmations.standing_confirmations(session, checklist_id)] == [first.id, second.id]

        confirmations.record_confirmation(
            session,
            checklist_id,
            slug="enable-date",
            kind="withdraw",
            field="enable_date",
            user_id="U1",
            withdraws=second.id,
        )
        assert [r.id for r in confirmations.standing_confirmations(session, checklist_id)] == [first.id]
        # The log keeps everything.
        assert len(confirmations.list_confirmations(session, checklist_id)) == 5
        assert first.id in {r.id for r in confirmations.list_confirmations(session, checklist_id)}


def test_withdrawal_must_name_its_target(session: Session) -> None:
    checklist_id = _checklist_id(session)
    with pytest.raises(ValueError):
        confirmations.record_confirmation(session, checklist_id, slug="backup", kind="withdraw", user_id="U1")
    row = confirmations.record_confirmation(session, checklist_id, slug="backup", kind="confirm", user_id="U1")
    with pytest.raises(ValueError):
        confirmations.record_confirmation(
            session, checklist_id, slug="backup", kind="confirm", user_id="U1", withdraws=row
        )
    with pytest.raises(ValueError):
        confirmations.record_confirmation(session, checklist_id, slug="backup", kind="approve", user_id="U1")


# --- Append-only, ORM level ---


def test_orm_refuses_to_change_a_confirmation(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        _record_some(session, checklist_id)
    with sessions() as session:
        row = confirmations.list_confirmations(session, checklist_id)[0]
        row.value = "2020-01-01"
        with pytest.raises(AppendOnlyError, match="append-only"):
            session.flush()
        session.rollback()
        assert confirmations.list_confirmations(session, checklist_id)[0].value == "2026-01-01"


def test_orm_refuses_to_delete_a_confirmation(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        _record_some(session, checklist_id)
    with sessions() as session:
        session.delete(confirmations.list_confirmations(session, checklist_id)[0])
        with pytest.raises(AppendOnlyError):
            session.commit()


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(Confirmation).values(value="tampered"),
        sa.delete(Confirmation),
    ],
    ids=["bulk-update", "bulk-delete"],
)
def test_orm_refuses_bulk_statements(sessions: sessionmaker[Session], statement: sa.Executable) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        _record_some(session, checklist_id)
    with sessions() as session, pytest.raises(AppendOnlyError):
        session.execute(statement)


def test_orm_still_allows_appending_and_touching_other_rows(session: Session) -> None:
    checklist_id = _checklist_id(session)
    row = _record_some(session, checklist_id)[0]
    session.refresh(row)  # loading again is not a change
    row.value = row.value  # nor is setting the same value
    session.flush()
    checklists.update_checklist(session, checklist_id, company_label="Acme (renamed)")
    session.commit()


# --- Append-only, database level (triggers) ---


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE confirmations SET value = 'tampered'",
        "UPDATE confirmations SET shown_text = '' WHERE slug = 'deactivation'",
        "DELETE FROM confirmations",
        "DELETE FROM confirmations WHERE slug = 'enable-date'",
    ],
)
def test_database_refuses_raw_updates_and_deletes(sessions: sessionmaker[Session], engine: Engine, sql: str) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        _record_some(session, checklist_id)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(sql)
    with engine.connect() as connection:
        values = connection.exec_driver_sql("SELECT value, shown_text FROM confirmations ORDER BY id").all()
    assert [v for v, _ in values] == ["2026-01-01", "12345.67", "2026-02-01"]
    assert values[1][1] == SHOWN


def test_database_refuses_truncate_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        with session_factory(engine).begin() as session:
            _record_some(session, _checklist_id(session))
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql("TRUNCATE confirmations")
    finally:
        engine.dispose()


def test_a_checklist_with_confirmations_cannot_be_deleted(sessions: sessionmaker[Session], engine: Engine) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist_id(session)
        _record_some(session, checklist_id)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM checklists WHERE id = :id"), {"id": checklist_id})
