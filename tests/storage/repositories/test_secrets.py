"""Key rotation end to end: secrets stored under key A, `preflight secret-key rotate` with "B,A", read with B."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from preflight.main import app
from storage.crypto import SecretBox, SecretDecryptionError, generate_key, set_secret_box
from storage.models import ConnectionKind, Platform
from storage.repositories import checklists, connections
from storage.repositories.secrets import rotate_secrets
from storage.slack_stores import EncryptedInstallationStore
from tests.storage.test_slack_stores import BOT_REFRESH, BOT_TOKEN, USER_REFRESH, USER_TOKEN, _installation

QBO_ACCESS, QBO_REFRESH = "qbo-access-plaintext", "qbo-refresh-plaintext"
FINALE_KEY, FINALE_SECRET = "finale-key-plaintext", "finale-secret-plaintext"
# QBO access + refresh, Finale key + secret, Slack: the installation's four tokens and the bot's two.
STORED_VALUES = 2 + 2 + 4 + 2


def _store_everything(sessions: sessionmaker[Session], engine: Engine) -> int:
    with sessions.begin() as session:
        workspace = checklists.get_or_create_workspace(session, Platform.SLACK, "T1", "Acme")
        checklist_id = checklists.create_checklist(session, workspace, "C1").id
        connections.save_connection(
            session,
            checklist_id,
            ConnectionKind.QBO,
            realm_id="9130",
            access_token=QBO_ACCESS,
            refresh_token=QBO_REFRESH,
        )
        connections.save_connection(
            session,
            checklist_id,
            ConnectionKind.FINALE,
            account_path="acme",
            api_key=FINALE_KEY,
            api_secret=FINALE_SECRET,
        )
    EncryptedInstallationStore(client_id="111.222", engine=engine).save(_installation(datetime(2026, 1, 1, tzinfo=UTC)))
    return checklist_id


def _read_everything(sessions: sessionmaker[Session], engine: Engine, checklist_id: int) -> list[str | None]:
    with sessions() as session:
        qbo = connections.get_connection(session, checklist_id, ConnectionKind.QBO)
        finale = connections.get_connection(session, checklist_id, ConnectionKind.FINALE)
        assert qbo is not None and finale is not None
        values = [qbo.access_token, qbo.refresh_token, finale.api_key, finale.api_secret]
    store = EncryptedInstallationStore(client_id="111.222", engine=engine)
    found = store.find_installation(enterprise_id=None, team_id="T111", user_id="U111")
    bot = store.find_bot(enterprise_id=None, team_id="T111")
    assert found is not None and bot is not None
    return [
        *values,
        found.bot_token,
        found.bot_refresh_token,
        found.user_token,
        found.user_refresh_token,
        bot.bot_token,
    ]


EXPECTED = [
    QBO_ACCESS,
    QBO_REFRESH,
    FINALE_KEY,
    FINALE_SECRET,
    BOT_TOKEN,
    BOT_REFRESH,
    USER_TOKEN,
    USER_REFRESH,
    BOT_TOKEN,
]


def test_secret_key_rotate_reencrypts_every_stored_secret(
    migrated_url: str,
    sessions: sessionmaker[Session],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_a, key_b = generate_key(), generate_key()
    set_secret_box(SecretBox(key_a))
    checklist_id = _store_everything(sessions, engine)

    monkeypatch.chdir(tmp_path)  # no .env around
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("PREFLIGHT_SECRET_KEY", f"{key_b},{key_a}")
    result = CliRunner().invoke(app, ["secret-key", "rotate"])
    assert result.exit_code == 0, result.output
    assert f"Re-encrypted {STORED_VALUES} stored secret values" in result.stdout
    for secret in {*EXPECTED, key_a, key_b}:
        assert secret not in result.output

    set_secret_box(SecretBox(key_b))  # key A is gone
    assert _read_everything(sessions, engine, checklist_id) == EXPECTED


def test_rotation_with_a_key_that_cannot_read_changes_nothing(sessions: sessionmaker[Session], engine: Engine) -> None:
    key_a = generate_key()
    set_secret_box(SecretBox(key_a))
    checklist_id = _store_everything(sessions, engine)

    set_secret_box(SecretBox(generate_key()))  # A is missing from the list
    with pytest.raises(SecretDecryptionError), sessions.begin() as session:
        rotate_secrets(session)

    set_secret_box(SecretBox(key_a))
    assert _read_everything(sessions, engine, checklist_id) == EXPECTED
