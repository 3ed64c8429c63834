"""INSERT ... ON CONFLICT DO NOTHING, for rows two replicas may insert at once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base


def table_of(model: type[Base]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def insert_ignoring_conflict(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT one row unless a unique key holds it already; True when this call inserted it.

    ON CONFLICT DO NOTHING rather than catching IntegrityError: a failed INSERT aborts the whole
    PostgreSQL transaction. On PostgreSQL a concurrent insert of the same key waits for the other
    transaction, then does nothing: commit soon after claiming.
    """
    table = table_of(model)
    dialect = session.get_bind().dialect.name
    # RETURNING tells whether a row went in: rowcount is not reliable here (psycopg reports -1).
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - other databases: a savepoint keeps the outer transaction usable
        try:
            with session.begin_nested():
                session.execute(sa.insert(table).values(values))
        except sa.exc.IntegrityError:
            return False
        return True
    pk = list(table.primary_key.columns)
    return session.execute(stmt.returning(*pk)).first() is not None
