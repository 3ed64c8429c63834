"""Alembic environment for Preflight: the models' metadata, on the connection `storage.db.upgrade` passes
(or on `sqlalchemy.url` when Alembic is driven with a Config from `storage.db.alembic_config`).

A new revision, after changing the models (start from a database at head):

    python -c "from alembic import command; from storage.db import alembic_config; \
        command.revision(alembic_config('sqlite:///data/dev.sqlite3'), 'what changed', autogenerate=True)"

Review what autogenerate wrote: triggers and data changes are never detected.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later revisions rebuild tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No database URL: set DATABASE_URL or use `preflight db upgrade`.")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _configure(own_connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
