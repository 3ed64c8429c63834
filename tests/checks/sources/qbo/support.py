"""Building a QboSource against the QBO simulator (or a stand-in), with tiny backoffs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from checks.sources.qbo import QboConfig, QboSource, QboTokens
from sandbox.server import BackgroundServer
from tests.sandbox.qbo.companies import Sandbox

REDIRECT = "http://127.0.0.1:3000/qbo/callback"


def make_source(sb: Sandbox, saved: list[QboTokens] | None = None, **options: Any) -> QboSource:
    issued = sb.state.issue_tokens(sb.realm_id)
    # Tiny backoffs keep the retry tests quick.
    options = {"backoff_base": 0.001, "backoff_max": 0.01, **options}
    config = QboConfig(
        client_id=sb.state.client_id,
        client_secret=sb.state.client_secret,
        redirect_uri=REDIRECT,
        realm_id=sb.realm_id,
        environment=sb.discovery_url,
        **options,
    )
    tokens = QboTokens(access_token=str(issued["access_token"]), refresh_token=str(issued["refresh_token"]))
    return QboSource(config, tokens, saved.append if saved is not None else None)


def stand_in(answer: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> BackgroundServer:
    """A stand-in QBO that answers every request with `answer`: shapes the simulator never produces."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return BackgroundServer(app)


def stand_in_source(url: str) -> QboSource:
    """A source for realm 1 at a stand-in QBO, already holding an access token (no sign-in needed)."""
    config = QboConfig(
        client_id="id",
        client_secret="secret",
        redirect_uri=REDIRECT,
        realm_id="1",
        api_base=f"{url}/v3",
        backoff_base=0.001,
        backoff_max=0.01,
    )
    return QboSource(config, QboTokens(access_token="a", refresh_token="r"))
