from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
import requests

from sandbox.company import FinaleAccountRec
from sandbox.finale import FinaleSimState, create_finale_app
from sandbox.server import BackgroundServer
from tests.sandbox.finale.accounts import KEY, SECRET, small_account


class Sim:
    """A running simulator and a `requests` helper that signs in as the account."""

    def __init__(self, state: FinaleSimState, server: BackgroundServer, account: FinaleAccountRec) -> None:
        self.state = state
        self.server = server
        self.account = account
        self.url = server.url

    def get(
        self,
        path: str,
        *,
        auth: tuple[str, str] | None = (KEY, SECRET),
        query: Mapping[str, str] | None = None,
        **params: str,
    ) -> requests.Response:
        every = {**(query or {}), **params}
        return requests.get(f"{self.url}{path}", params=every or None, auth=auth, timeout=30)


@pytest.fixture
def account() -> FinaleAccountRec:
    return small_account()


@pytest.fixture
def sim(account: FinaleAccountRec) -> Iterator[Sim]:
    state = FinaleSimState(account, entity_cap=500)
    with BackgroundServer(create_finale_app(state)) as server:
        yield Sim(state, server, account)
