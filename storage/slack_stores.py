"""slack_sdk's SQLAlchemy installation and OAuth state stores, on Preflight's database, tokens encrypted.

slack_sdk stores bot, user and refresh tokens in plain VARCHAR columns. These stores keep slack_sdk's own
queries and tables but give the token columns the `EncryptedString` type, so tokens are encrypted when
bound and decrypted when read, whatever slack_sdk code path writes them. The tables are created by
Preflight's Alembic migration (`preflight db upgrade`), not by `create_tables()`.

The token columns are TEXT rather than slack_sdk's VARCHAR(200): Fernet ciphertext is about 1.4 times as
long as the token plus 80 characters, and rotating Slack tokens are long already.
"""

from __future__ import annotations

import logging
from logging import Logger

from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import EncryptedString

SLACK_INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
SLACK_BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
SLACK_OAUTH_STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name

INSTALLATION_TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
BOT_TOKEN_COLUMNS = ("bot_token", "bot_refresh_token")

_logger = logging.getLogger(__name__)


def _encrypt_columns(table: Table, names: tuple[str, ...]) -> Table:
    for name in names:
        table.c[name].type = EncryptedString()
    return table


def build_installations_table(metadata: MetaData, table_name: str = SLACK_INSTALLATIONS_TABLE) -> Table:
    return _encrypt_columns(
        SQLAlchemyInstallationStore.build_installations_table(metadata, table_name),
        INSTALLATION_TOKEN_COLUMNS,
    )


def build_bots_table(metadata: MetaData, table_name: str = SLACK_BOTS_TABLE) -> Table:
    return _encrypt_columns(SQLAlchemyInstallationStore.build_bots_table(metadata, table_name), BOT_TOKEN_COLUMNS)


def build_oauth_states_table(metadata: MetaData, table_name: str = SLACK_OAUTH_STATES_TABLE) -> Table:
    # Slack's OAuth state is a single-use random value that expires in minutes: not worth encrypting.
    return SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, table_name)


def add_slack_tables(metadata: MetaData) -> None:
    """Declare slack_sdk's tables in `metadata` (Preflight's models), so migrations cover them."""
    build_installations_table(metadata)
    build_bots_table(metadata)
    build_oauth_states_table(metadata)


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's installation store with bot, user and refresh tokens encrypted at rest."""

    def __init__(
        self,
        client_id: str,
        engine: Engine,
        bots_table_name: str = SLACK_BOTS_TABLE,
        installations_table_name: str = SLACK_INSTALLATIONS_TABLE,
        logger: Logger = _logger,
    ) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            bots_table_name=bots_table_name,
            installations_table_name=installations_table_name,
            logger=logger,
        )

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return build_installations_table(metadata, table_name)

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return build_bots_table(metadata, table_name)


class AsyncEncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """The asyncio variant, for Bolt's AsyncApp (needs an async driver such as psycopg)."""

    def __init__(
        self,
        client_id: str,
        engine: AsyncEngine,
        bots_table_name: str = SLACK_BOTS_TABLE,
        installations_table_name: str = SLACK_INSTALLATIONS_TABLE,
        logger: Logger = _logger,
    ) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            bots_table_name=bots_table_name,
            installations_table_name=installations_table_name,
            logger=logger,
        )

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return build_installations_table(metadata, table_name)

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return build_bots_table(metadata, table_name)


class SlackOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store on Preflight's database (the table comes from the migration)."""
