from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine

from storage.crypto import SecretBox, generate_key, set_secret_box
from storage.db import make_async_engine, session_factory, upgrade
from storage.repositories.secrets import rotate_secrets
from storage.slack_stores import (
    AsyncEncryptedInstallationStore,
    EncryptedInstallationStore,
    SlackOAuthStateStore,
)

BOT_TOKEN = "xoxb-1111111111-2222222222222-AbCdEfGhIjKlMnOpQrStUvWx"
USER_TOKEN = "xoxp-1111111111-3333333333-4444444444444-0123456789abcdef0123456789abcdef"
# Rotating tokens are long: more than slack_sdk's VARCHAR(200) once encrypted.
BOT_REFRESH = "xoxe-1-" + "My0xLTExMTExMTExMTEtNTU1NTU1NTU1NTU1NS" * 4
USER_REFRESH = "xoxe-1-" + "VXNlclJlZnJlc2hUb2tlbkZvclByZWZsaWdodA" * 4


def _installation(installed_at: datetime) -> Installation:
    return Installation(
        app_id="A111",
        enterprise_id=None,
        team_id="T111",
        team_name="Café “Acme” O'Brien",
        bot_token=BOT_TOKEN,
        bot_id="B111",
        bot_user_id="U0BOT",
        bot_scopes=["commands", "chat:write"],
        bot_refresh_token=BOT_REFRESH,
        bot_token_expires_at=installed_at + timedelta(hours=12),
        user_id="U111",
        user_token=USER_TOKEN,
        user_scopes=["search:read"],
        user_refresh_token=USER_REFRESH,
        user_token_expires_in=43200,
        token_type="bot",
        installed_at=installed_at.timestamp(),
    )


def _raw_text(engine: Engine, table: str) -> str:
    with engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT * FROM {table}")).all()
    return " ".join(str(value) for row in rows for value in row)


def test_installation_round_trip_with_tokens_encrypted(engine: Engine) -> None:
    store = EncryptedInstallationStore(client_id="111.222", engine=engine)
    installed_at = datetime.now(UTC).replace(microsecond=0)
    store.save(_installation(installed_at))

    for table in ("slack_installations", "slack_bots"):
        raw = _raw_text(engine, table)
        assert "T111" in raw  # the row is there
        for token in (BOT_TOKEN, USER_TOKEN, BOT_REFRESH, USER_REFRESH):
            assert token not in raw
        # No Slack token of any kind in the clear (the prefixes with their dash: a Fernet ciphertext is random
        # base64, which contains "xox" now and then by chance).
        assert not any(prefix in raw for prefix in ("xoxb-", "xoxp-", "xoxe-", "xoxa-"))

    found = store.find_installation(enterprise_id=None, team_id="T111")
    assert found is not None
    assert found.bot_token == BOT_TOKEN and found.user_token == USER_TOKEN
    assert found.bot_refresh_token == BOT_REFRESH and found.user_refresh_token == USER_REFRESH
    assert found.team_name == "Café “Acme” O'Brien"
    assert found.bot_scopes == ["commands", "chat:write"]

    bot = store.find_bot(enterprise_id=None, team_id="T111")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == BOT_REFRESH

    by_user = store.find_installation(enterprise_id=None, team_id="T111", user_id="U111")
    assert by_user is not None and by_user.user_token == USER_TOKEN


def test_reinstall_replaces_tokens_and_the_newest_wins(engine: Engine) -> None:
    store = EncryptedInstallationStore(client_id="111.222", engine=engine)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    store.save(_installation(first))
    newer = _installation(first + timedelta(days=1))
    newer.bot_token = "xoxb-new-token"
    store.save(newer)
    found = store.find_installation(enterprise_id=None, team_id="T111")
    assert found is not None and found.bot_token == "xoxb-new-token"
    store.delete_installation(enterprise_id=None, team_id="T111")
    store.delete_bot(enterprise_id=None, team_id="T111")
    assert store.find_installation(enterprise_id=None, team_id="T111") is None


def test_installation_needs_the_right_key(engine: Engine) -> None:
    store = EncryptedInstallationStore(client_id="111.222", engine=engine)
    store.save(_installation(datetime.now(UTC)))
    set_secret_box(SecretBox(generate_key()))
    try:
        store.find_installation(enterprise_id=None, team_id="T111")
    except Exception as error:  # slack_sdk does not catch it: a clear message reaches the log
        assert "PREFLIGHT_SECRET_KEY" in str(error)
        assert BOT_TOKEN not in str(error)
    else:
        raise AssertionError("reading with the wrong key must fail")


def test_slack_oauth_state_store_on_our_tables(engine: Engine) -> None:
    store = SlackOAuthStateStore(expiration_seconds=300, engine=engine)
    state = store.issue()
    assert store.consume(state)
    assert not store.consume(state)


def test_key_rotation_covers_slack_tokens(engine: Engine) -> None:
    old_key, new_key = generate_key(), generate_key()
    set_secret_box(SecretBox(old_key))
    store = EncryptedInstallationStore(client_id="111.222", engine=engine)
    store.save(_installation(datetime(2026, 1, 1, tzinfo=UTC)))

    set_secret_box(SecretBox([new_key, old_key]))
    with session_factory(engine).begin() as session:
        assert rotate_secrets(session) == 6  # the installation's four tokens and the bot's two

    set_secret_box(SecretBox(new_key))
    found = store.find_installation(enterprise_id=None, team_id="T111", user_id="U111")
    assert found is not None
    assert (found.bot_token, found.user_refresh_token) == (BOT_TOKEN, USER_REFRESH)


async def test_async_store_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_async_engine(postgres_url)
    try:
        store = AsyncEncryptedInstallationStore(client_id="111.222", engine=engine)
        await store.async_save(_installation(datetime(2026, 1, 1, tzinfo=UTC)))
        found = await store.async_find_installation(enterprise_id=None, team_id="T111")
        assert found is not None and found.bot_token == BOT_TOKEN
        async with engine.connect() as connection:
            raw = (await connection.execute(sa.text("SELECT bot_token FROM slack_bots"))).scalar_one()
        assert BOT_TOKEN not in raw and raw.startswith("gAAAAA")
    finally:
        await engine.dispose()
