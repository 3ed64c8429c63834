"""A checklist's connections to QBO (OAuth tokens) and Finale (API key and secret), secrets encrypted at rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session, sessionmaker

from storage.crypto import get_secret_box
from storage.models import Connection, ConnectionKind, utcnow

# The columns that hold secrets (EncryptedString).
SECRET_COLUMNS = ("access_token", "refresh_token", "api_key", "api_secret")

_CONNECTION_FIELDS = frozenset(
    {
        "realm_id",
        "access_token",
        "refresh_token",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "company_name",
        "account_path",
        "base_url",
        "api_key",
        "api_secret",
        "report_urls",
        "connected_by",
        "connected_at",
    }
)


def save_connection(session: Session, checklist_id: int, kind: ConnectionKind | str, **fields: Any) -> Connection:
    """Create or replace the checklist's QBO or Finale connection (fields not given are kept)."""
    unknown = set(fields) - _CONNECTION_FIELDS
    if unknown:
        raise TypeError(f"save_connection() got unknown fields: {', '.join(sorted(unknown))}")
    if any(name in SECRET_COLUMNS for name in fields):
        get_secret_box()  # fail here, with the clear "set PREFLIGHT_SECRET_KEY" message, not mid-flush
    connection = get_connection(session, checklist_id, kind)
    if connection is None:
        connection = Connection(checklist_id=checklist_id, kind=ConnectionKind(kind), connected_at=utcnow())
        session.add(connection)
    for name, value in fields.items():
        setattr(connection, name, value)
    session.flush()
    return connection


def get_connection(session: Session, checklist_id: int, kind: ConnectionKind | str) -> Connection | None:
    """The connection with its secrets decrypted (they are decrypted as the row is read)."""
    return session.scalars(
        select(Connection).where(Connection.checklist_id == checklist_id, Connection.kind == ConnectionKind(kind))
    ).one_or_none()


@dataclass(frozen=True, slots=True)
class ConnectionSummary:
    """What a checklist shows of a connection, read without its secrets."""

    company_name: str | None
    account_path: str | None
    has_credentials: bool  # QBO: a refresh token; Finale: an API key


def connection_summaries(session: Session, checklist_id: int) -> dict[ConnectionKind, ConnectionSummary]:
    """The checklist's connections without reading (and decrypting) their secrets: every chat request shows
    a checklist, and Fernet for four tokens a request adds up under load."""
    c = Connection
    has_credentials = case((c.kind == ConnectionKind.QBO, c.refresh_token.is_not(None)), else_=c.api_key.is_not(None))
    rows = session.execute(
        select(c.kind, c.company_name, c.account_path, has_credentials).where(c.checklist_id == checklist_id)
    )
    return {kind: ConnectionSummary(company, account, bool(has)) for kind, company, account, has in rows}


def update_qbo_tokens(
    sessions: sessionmaker[Session],
    checklist_id: int,
    *,
    access_token: str | None,
    refresh_token: str,
    access_token_expires_at: datetime | None = None,
) -> bool:
    """Persist tokens Intuit just rotated, committed at once in a separate short transaction; False when the
    checklist has no QBO connection (any more).

    Intuit invalidates the old refresh token once a new one is issued: if the caller's own transaction
    rolled back later, the connection would be lost.
    """
    get_secret_box()
    with sessions.begin() as session:
        connection = get_connection(session, checklist_id, ConnectionKind.QBO)
        if connection is None:
            return False
        connection.access_token = access_token
        connection.refresh_token = refresh_token
        connection.access_token_expires_at = access_token_expires_at
    return True
