"""Finale simulators and sources for the tests that ask for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from checks.sources.finale import FinaleSource
from tests.checks.sources.finale.support import Running, run
from tests.sandbox.finale.accounts import busy_account, small_account


@pytest.fixture
def sim() -> Iterator[Running]:
    yield from run(small_account())


@pytest.fixture
async def finale(sim: Running) -> AsyncIterator[FinaleSource]:
    async with sim.source() as source:
        yield source


@pytest.fixture
def busy() -> Iterator[Running]:
    # 1,300 sales orders over 200 days: more than the cap of 500, about 195 changed in any 30 days.
    yield from run(busy_account(1300, spread_days=200))
