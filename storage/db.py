"""Engines, sessions and migrations.

Alembic is configured in code from `storage/migrations/`, so `preflight db upgrade` works from an
installed package without an alembic.ini.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_ID = 0x5052_4546  # "PREF": any constant shared by every replica


def normalize_url(url: str | URL) -> URL:
    """Accept Heroku-style `postgres://` and bare `postgresql://`; Preflight speaks psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_sqlite_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str | URL, *, echo: bool = False, **kwargs: Any) -> Engine:
    """An engine for SQLite (foreign keys on, WAL for files) or PostgreSQL (psycopg 3).

    A failed statement's message never lists its parameters: they can be tokens and API secrets (before
    encryption, when encrypting is what failed), and such messages reach logs."""
    parsed = normalize_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        connect_args = dict(kwargs.pop("connect_args", {}))
        # The bot hands sessions to worker threads; a connection is still used by one thread at a time.
        connect_args.setdefault("check_same_thread", False)
        # Several writers (scheduler, handlers) wait for the lock instead of failing at once.
        connect_args.setdefault("timeout", 30)
        engine = create_engine(parsed, echo=echo, connect_args=connect_args, **kwargs)
        wal = not _is_sqlite_memory(parsed)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                # SQLite ignores foreign keys (and ON DELETE) unless asked, per connection.
                cursor.execute("PRAGMA foreign_keys=ON")
                if wal:
                    # Readers do not block the writer; persistent once set on the file.
                    cursor.execute("PRAGMA journal_mode=WAL")
                    cursor.execute("PRAGMA synchronous=NORMAL")
            finally:
                cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, echo=echo, **kwargs)


def make_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An asyncio engine for slack_sdk's async stores: psycopg 3 on PostgreSQL; SQLite needs aiosqlite."""
    parsed = normalize_url(url)
    kwargs.setdefault("hide_parameters", True)  # as make_engine: bot tokens must never reach a log
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    else:
        kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **kwargs)


def session_factory(bind: Engine | str | URL) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (they are handed on to Card builders)."""
    engine = bind if isinstance(bind, Engine) else make_engine(bind)
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(sessions: sessionmaker[Session]) -> None:
    """A round trip to the database; raises when it cannot be reached (the health check)."""
    with sessions() as session:
        session.execute(text("SELECT 1"))


def alembic_config(url: str | URL | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolates "%": escape it (URL-encoded passwords and options contain it).
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def _ensure_sqlite_directory(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and not _is_sqlite_memory(url) and url.database:
        if url.database.startswith("file:"):
            return  # URI filenames: the caller manages them
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent: an up-to-date database is left as is).

    Safe across processes (replicas starting together); not across threads of one process, because
    Alembic's `op` and `context` are process-wide.
    """
    parsed = normalize_url(url)
    _ensure_sqlite_directory(parsed)
    engine = make_engine(parsed)
    try:
        with engine.begin() as connection:
            # Processes starting together migrate one after the other (the lock ends with the transaction).
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            elif connection.dialect.name == "sqlite":
                # Takes the write lock now, and makes the DDL that follows one transaction.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            config = alembic_config(parsed)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of Preflight."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - there is always at least the initial revision
        raise RuntimeError("no migrations found in " + str(MIGRATIONS_DIR))
    return head
