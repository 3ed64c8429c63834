"""The console chat over the real core (SQLite) and a fresh sandbox company."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from storage.crypto import SecretBox, generate_key, set_secret_box
from tests.bot.harness import Harness, today_for


@pytest.fixture(autouse=True)
def secret_box() -> Iterator[None]:
    set_secret_box(SecretBox(generate_key()))
    yield
    set_secret_box(None)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with SandboxRuntime(demo_company(today_for())) as runtime:
        h = Harness(runtime, f"sqlite:///{tmp_path / 'preflight.sqlite3'}")
        yield h
        h.close()
