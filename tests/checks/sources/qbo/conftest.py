"""A QBO simulator for each test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox.qbo.companies import Sandbox, serve


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with serve() as sb:
        yield sb
