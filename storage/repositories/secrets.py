"""Key rotation: every stored secret re-encrypted with the first key of the configured secret box."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from storage.crypto import get_secret_box
from storage.models import Connection
from storage.repositories.connections import SECRET_COLUMNS
from storage.slack_stores import (
    BOT_TOKEN_COLUMNS,
    INSTALLATION_TOKEN_COLUMNS,
    SLACK_BOTS_TABLE,
    SLACK_INSTALLATIONS_TABLE,
)


def rotate_secrets(session: Session) -> int:
    """Re-encrypt every stored secret (QBO tokens, Finale keys, Slack tokens) with the box's first key; returns
    how many values were re-encrypted. Run in one transaction after putting the new key first; then the old
    keys can be dropped. A value no configured key can read raises SecretDecryptionError (nothing is written).
    """
    box = get_secret_box()
    rewritten = 0
    for connection in session.scalars(select(Connection)):
        for name in SECRET_COLUMNS:
            if getattr(connection, name) is not None:
                flag_modified(connection, name)  # same plaintext, written again: fresh ciphertext, first key
                rewritten += 1
    # slack_sdk's tables are Core tables with untyped columns: rotate the ciphertext itself.
    for table_name, columns in (
        (SLACK_INSTALLATIONS_TABLE, INSTALLATION_TOKEN_COLUMNS),
        (SLACK_BOTS_TABLE, BOT_TOKEN_COLUMNS),
    ):
        raw = sa.table(table_name, sa.column("id"), *(sa.column(name, sa.Text) for name in columns))
        for row in session.execute(select(raw)).mappings().all():
            values = {name: box.rotate(row[name]) for name in columns if row[name] is not None}
            if values:
                session.execute(sa.update(raw).where(raw.c.id == row["id"]).values(values))
                rewritten += len(values)
    session.flush()
    return rewritten
