"""Running FinaleSource against the Finale simulator (or a stand-in) on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web

from checks.sources.finale import FinaleSource
from sandbox.company import FinaleAccountRec
from sandbox.finale import FinaleSimState, average_cost_report_url, create_finale_app, inventory_value_report_url
from sandbox.server import BackgroundServer
from tests.sandbox.finale.accounts import KEY, SECRET


def source(url: str, account: str, key: str = KEY, secret: str = SECRET, **options: Any) -> FinaleSource:
    """A client whose retry waits are tiny, so tests of 429s and failures run in milliseconds."""
    fast: dict[str, Any] = {"backoff": 0.001, "max_wait": 0.01, "max_retries": 3, **options}
    return FinaleSource(url, account, key, secret, **fast)


class Running:
    def __init__(self, state: FinaleSimState, server: BackgroundServer, account: FinaleAccountRec) -> None:
        self.state, self.server, self.account, self.url = state, server, account, server.url

    def source(self, **kwargs: Any) -> FinaleSource:
        options: dict[str, Any] = {
            "average_cost_report_url": average_cost_report_url(self.url, self.account.account_path),
            "inventory_value_report_url": inventory_value_report_url(self.url, self.account.account_path),
            "entity_cap": self.state.entity_cap,
            **kwargs,
        }
        return source(self.url, self.account.account_path, **options)


def run(account: FinaleAccountRec, cap: int = 500) -> Iterator[Running]:
    state = FinaleSimState(account, entity_cap=cap)
    with BackgroundServer(create_finale_app(state)) as server:
        yield Running(state, server, account)


def stand_in(routes: dict[str, Callable[[], web.Response]]) -> BackgroundServer:
    """A stand-in Finale that answers fixed bodies: shapes the simulator never produces."""

    async def handler(request: web.Request) -> web.Response:
        return routes[request.path]()

    app = web.Application()
    for path in routes:
        app.router.add_get(path, handler)
    return BackgroundServer(app)
