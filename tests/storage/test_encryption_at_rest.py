from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.crypto import (
    MissingSecretKeyError,
    SecretBox,
    SecretDecryptionError,
    generate_key,
    set_secret_box,
)
from storage.models import Checklist, Connection, ConnectionKind, Platform
from storage.repositories import checklists, connections, oauth_state

ACCESS = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0..access-token-plaintext"
REFRESH = "AB11700000000refresh-token-plaintext"
API_KEY = "finale-api-key-plaintext"
API_SECRET = "finale-api-secret-plaintext"


def _checklist(session: Session) -> Checklist:
    workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1", "Acme")
    return checklists.create_checklist(session, workspace, "C1", company_label="Acme Inc")


def _save_both(session: Session, checklist_id: int) -> None:
    connections.save_connection(
        session,
        checklist_id,
        ConnectionKind.QBO,
        realm_id="9130",
        access_token=ACCESS,
        refresh_token=REFRESH,
        access_token_expires_at=datetime(2026, 1, 1, 12, tzinfo=UTC),
        company_name="Acme Inc",
        connected_by="U1",
    )
    connections.save_connection(
        session,
        checklist_id,
        ConnectionKind.FINALE,
        account_path="acme",
        base_url="https://app.finaleinventory.com",
        api_key=API_KEY,
        api_secret=API_SECRET,
        report_urls={"inventory_value": "https://app.finaleinventory.com/acme/doc/report/x?a='b'"},
        connected_by="U1",
    )


def test_raw_rows_hold_ciphertext_and_reads_give_plaintext(sessions: sessionmaker[Session], engine: Engine) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
        _save_both(session, checklist_id)

    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT access_token, refresh_token, api_key, api_secret FROM connections ORDER BY id"
        ).all()
    raw = " ".join(str(value) for row in rows for value in row)
    for secret in (ACCESS, REFRESH, API_KEY, API_SECRET):
        assert secret not in raw
    assert all(value is None or str(value).startswith("gAAAAA") for row in rows for value in row)

    with sessions() as session:
        qbo = connections.get_connection(session, checklist_id, "qbo")
        finale = connections.get_connection(session, checklist_id, ConnectionKind.FINALE)
        assert qbo is not None and finale is not None
        assert (qbo.access_token, qbo.refresh_token) == (ACCESS, REFRESH)
        assert qbo.access_token_expires_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
        assert (finale.api_key, finale.api_secret) == (API_KEY, API_SECRET)
        assert finale.report_urls["inventory_value"].endswith("x?a='b'")


def test_repr_hides_secrets(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
        _save_both(session, checklist_id)
    with sessions() as session:
        for kind in ConnectionKind:
            connection = connections.get_connection(session, checklist_id, kind)
            text = repr(connection)
            assert "<hidden>" in text
            for secret in (ACCESS, REFRESH, API_KEY, API_SECRET):
                assert secret not in text
        qbo = connections.get_connection(session, checklist_id, ConnectionKind.QBO)
        assert "realm_id='9130'" in repr(qbo)
        state = oauth_state.create_oauth_state(session, workspace_id=1, checklist_id=checklist_id, user_id="U1")
        assert state.state not in repr(state)


def test_wrong_key_gives_a_clear_error(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
        _save_both(session, checklist_id)
    set_secret_box(SecretBox(generate_key()))
    with sessions() as session, pytest.raises(SecretDecryptionError, match="PREFLIGHT_SECRET_KEY"):
        connections.get_connection(session, checklist_id, ConnectionKind.QBO)


def test_missing_key_refuses_to_store_secrets(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
    set_secret_box(None)
    monkeypatch.setenv("PREFLIGHT_SECRET_KEY", "")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        with sessions() as session, pytest.raises(MissingSecretKeyError, match="preflight secret-key"):
            connections.save_connection(session, checklist_id, ConnectionKind.QBO, access_token=ACCESS)
    finally:
        get_settings.cache_clear()


def test_update_qbo_tokens_commits_at_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
        _save_both(session, checklist_id)

    expires = datetime.now(UTC) + timedelta(hours=1)
    with sessions() as caller:
        caller.execute(sa.select(Connection)).all()  # the caller is mid-work in its own transaction
        assert connections.update_qbo_tokens(
            sessions,
            checklist_id,
            access_token="new-access",
            refresh_token="new-refresh",
            access_token_expires_at=expires,
        )
        caller.rollback()  # whatever happens to the caller, the rotated token is kept

    with sessions() as session:
        qbo = connections.get_connection(session, checklist_id, ConnectionKind.QBO)
        assert qbo is not None
        assert (qbo.access_token, qbo.refresh_token) == ("new-access", "new-refresh")
        assert qbo.access_token_expires_at == expires


def test_update_qbo_tokens_without_a_connection(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
    assert not connections.update_qbo_tokens(sessions, checklist_id, access_token="a", refresh_token="r")


def test_a_failed_statement_never_shows_the_secrets_it_carried(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions.begin() as session:
        checklist_id = _checklist(session).id
    set_secret_box(None)  # encryption fails inside the statement: SQLAlchemy wraps the error with its parameters
    monkeypatch.setenv("PREFLIGHT_SECRET_KEY", "")
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        with sessions() as session:
            session.add(Connection(checklist_id=checklist_id, kind=ConnectionKind.QBO, refresh_token=REFRESH))
            with pytest.raises(sa.exc.StatementError) as raised:
                session.execute(sa.select(Connection)).all()  # autoflush
        assert "PREFLIGHT_SECRET_KEY" in str(raised.value)
        assert REFRESH not in str(raised.value) and REFRESH not in repr(raised.value)
    finally:
        get_settings.cache_clear()
