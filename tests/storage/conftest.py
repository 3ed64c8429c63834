"""Storage tests run on SQLite (a temporary file) and on PostgreSQL (a throwaway schema per test).

PostgreSQL: `PREFLIGHT_TEST_POSTGRES_URL`, else the local default. When it is unreachable the PostgreSQL
variants are skipped, unless `PREFLIGHT_REQUIRE_POSTGRES=1` (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from storage.crypto import SecretBox, generate_key, set_secret_box
from storage.db import make_engine, normalize_url, session_factory, upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def _postgres_server_url() -> URL:
    return normalize_url(os.environ.get("PREFLIGHT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


def _postgres_required() -> bool:
    return os.environ.get("PREFLIGHT_REQUIRE_POSTGRES", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An engine on the PostgreSQL server (default schema), used only to create and drop schemas."""
    url = _postgres_server_url()
    engine = make_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as error:
        engine.dispose()
        message = f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)}: {error.orig}"
        if _postgres_required():
            pytest.fail(message + " (PREFLIGHT_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    yield engine
    engine.dispose()


def _schema_url(server: Engine, schema: str) -> URL:
    # Every connection made from this URL (Alembic's, a second engine's) works in the throwaway schema.
    return server.url.update_query_dict({"options": f"-csearch_path={schema}"})


@pytest.fixture
def postgres_url(postgres_server: Engine) -> Iterator[str]:
    schema = f"preflight_test_{uuid.uuid4().hex[:16]}"
    with postgres_server.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(postgres_server, schema).render_as_string(hide_password=False)
    finally:
        with postgres_server.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'preflight.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture(autouse=True)
def secret_box() -> Iterator[SecretBox]:
    """A fresh key for every test, reset afterwards."""
    box = SecretBox(generate_key())
    set_secret_box(box)
    yield box
    set_secret_box(None)
