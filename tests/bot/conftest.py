"""Fixtures for the chat core: a fresh sandbox company and a migrated database (SQLite, and PostgreSQL when
reachable; see tests/storage/conftest.py for `PREFLIGHT_TEST_POSTGRES_URL` and `PREFLIGHT_REQUIRE_POSTGRES`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from tests.bot.harness import Harness, today_for
from tests.storage.conftest import db_url, postgres_server, postgres_url, secret_box

__all__ = ["db_url", "postgres_server", "postgres_url", "secret_box"]


@pytest.fixture
def runtime() -> Iterator[SandboxRuntime]:
    """A fresh Acme Outdoor Goods in both simulators (cheap: a few milliseconds), so fixes never leak."""
    with SandboxRuntime(demo_company(today_for())) as rt:
        yield rt


@pytest.fixture
def harness(runtime: SandboxRuntime, db_url: str) -> Iterator[Harness]:
    """The service on SQLite and on PostgreSQL."""
    h = Harness(runtime, db_url)
    yield h
    h.close()


@pytest.fixture
def sqlite_harness(runtime: SandboxRuntime, tmp_path: Path) -> Iterator[Harness]:
    """The service on SQLite only, for what does not depend on the database."""
    h = Harness(runtime, f"sqlite:///{tmp_path / 'preflight.sqlite3'}")
    yield h
    h.close()
