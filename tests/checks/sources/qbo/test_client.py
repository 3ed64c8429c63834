"""The QBO connection under trouble: expired and revoked tokens, 429s, 5xx, faults, no network."""

from __future__ import annotations

import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from aiohttp import web

from checks.sources.errors import QboAuthError, QboError, QboFaultError, SourceError
from checks.sources.qbo import QboConfig, QboSource, QboTokens
from tests.checks.sources.qbo.support import REDIRECT, make_source, stand_in, stand_in_source
from tests.sandbox.qbo.companies import Sandbox, bulk_company, serve


def test_expired_access_token_refreshes_once_and_persists_the_rotation(sandbox: Sandbox) -> None:
    saved: list[QboTokens] = []
    source = make_source(sandbox, saved)
    original_refresh = sandbox.state.current_refresh_token(sandbox.realm_id)
    source.company()
    sandbox.state.expire_access_tokens()
    persisted_before_retry: list[int] = []
    sandbox.state.on_request = lambda record: persisted_before_retry.append(len(saved))
    assert source.company().name == "Sandbox Garden Supply"
    assert sandbox.state.refresh_count == 1
    assert len(saved) == 1
    rotated = saved[0].refresh_token
    assert rotated != original_refresh and rotated == sandbox.state.current_refresh_token(sandbox.realm_id)
    assert saved[0].access_token is not None
    # The first request after the refresh already saw the new token persisted.
    assert persisted_before_retry[:2] == [0, 1]


def test_concurrent_pages_share_a_single_refresh() -> None:
    with serve(bulk_company(4500)) as sb:
        saved: list[QboTokens] = []
        source = make_source(sb, saved, max_workers=5)
        sb.state.expire_access_tokens()
        assert len(source.items()) == 4500
        assert sb.state.refresh_count == 1 and len(saved) == 1


def test_missing_access_token_is_fetched_with_the_refresh_token(sandbox: Sandbox) -> None:
    issued = sandbox.state.issue_tokens(sandbox.realm_id)
    saved: list[QboTokens] = []
    config = QboConfig(
        client_id=sandbox.state.client_id,
        client_secret=sandbox.state.client_secret,
        redirect_uri=REDIRECT,
        realm_id=sandbox.realm_id,
        environment=sandbox.discovery_url,
    )
    source = QboSource(config, QboTokens(access_token=None, refresh_token=str(issued["refresh_token"])), saved.append)
    assert source.check_connection().realm_id == sandbox.realm_id
    assert len(saved) == 1 and saved[0].refresh_token != issued["refresh_token"]


def test_revoked_connection_asks_an_owner_to_reconnect(sandbox: Sandbox) -> None:
    saved: list[QboTokens] = []
    source = make_source(sandbox, saved)
    refresh = sandbox.state.current_refresh_token(sandbox.realm_id)
    assert refresh is not None
    sandbox.state.revoke_refresh_token(refresh)
    with pytest.raises(QboAuthError) as err:
        source.company()
    assert "reconnect QuickBooks Online" in str(err.value)
    assert refresh not in str(err.value) and refresh not in (err.value.detail or "")
    assert saved == []


def test_a_refused_refresh_token_stops_every_later_read_without_asking_again(sandbox: Sandbox) -> None:
    """invalid_grant is final: one token request, then every read fails at once with the same message."""
    source = make_source(sandbox)
    refresh = sandbox.state.current_refresh_token(sandbox.realm_id)
    assert refresh is not None
    sandbox.state.revoke_refresh_token(refresh)
    sandbox.state.expire_access_tokens()
    before = sandbox.state.token_requests
    for read in (source.company, source.accounts, source.items, source.company):
        with pytest.raises(QboAuthError, match="reconnect QuickBooks Online"):
            read()
    assert sandbox.state.token_requests - before == 1


def test_still_401_after_refresh_is_an_auth_error(sandbox: Sandbox) -> None:
    source = make_source(sandbox)
    sandbox.state.access_token_ttl = 0  # every token the simulator issues is already expired
    sandbox.state.expire_access_tokens()
    with pytest.raises(QboAuthError, match="reconnect"):
        source.accounts()
    assert sandbox.state.refresh_count == 1


def test_429_is_retried_then_succeeds(sandbox: Sandbox) -> None:
    sandbox.state.inject_429(2)
    assert len(make_source(sandbox).accounts()) == 11


def test_retry_after_is_honoured(sandbox: Sandbox) -> None:
    sandbox.state.inject_429(1, retry_after=0.4)
    source = make_source(sandbox, backoff_max=5)
    started = time.perf_counter()
    source.company()
    assert time.perf_counter() - started >= 0.4


def test_persistent_500_gives_up_with_a_clear_error(sandbox: Sandbox) -> None:
    sandbox.state.inject_500(10)
    with pytest.raises(QboError) as err:
        make_source(sandbox, max_retries=3).company()
    assert not isinstance(err.value, QboFaultError | QboAuthError)
    assert "server error" in str(err.value) and "Try again" in str(err.value)
    assert sum(sandbox.state.requests.values()) >= 4


def test_persistent_429_gives_up(sandbox: Sandbox) -> None:
    sandbox.state.inject_429(10)
    with pytest.raises(QboError, match="429"):
        make_source(sandbox, max_retries=2).items()


def test_fault_becomes_a_fault_error(sandbox: Sandbox) -> None:
    with pytest.raises(QboFaultError) as err:
        make_source(sandbox).query("SELECT * FROM Item WHERE Bogus = 'x'")
    assert err.value.code == "4000"
    assert "Error parsing query" in str(err.value) and "Bogus" in str(err.value)


def test_unreachable_qbo() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = QboConfig(
        client_id="id",
        client_secret="secret",
        redirect_uri=REDIRECT,
        realm_id="1",
        environment=f"http://127.0.0.1:{port}/.well-known/openid_configuration",
    )
    source = QboSource(config, QboTokens(access_token="a", refresh_token="r"))
    with pytest.raises(QboError) as err:
        source.company()
    assert "could not be reached" in str(err.value) and "try again" in str(err.value)
    no_access = QboSource(config, QboTokens(access_token=None, refresh_token="r"))
    with pytest.raises(QboError, match="could not be reached"):
        no_access.items()


def test_oauth_helpers_round_trip(sandbox: Sandbox) -> None:
    saved: list[QboTokens] = []
    config = QboConfig(
        client_id=sandbox.state.client_id,
        client_secret=sandbox.state.client_secret,
        redirect_uri=REDIRECT,
        environment=sandbox.discovery_url,
    )
    source = QboSource(config, None, saved.append)
    url = source.authorization_url("state-xyz")
    assert "com.intuit.quickbooks.accounting" in parse_qs(urlsplit(url).query)["scope"][0]
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["state"] == "state-xyz"
    tokens = source.exchange_code(params["code"], params["realmId"])
    assert saved == [tokens] and tokens.access_token
    assert source.check_connection().realm_id == sandbox.realm_id
    with pytest.raises(QboAuthError):
        source.exchange_code(params["code"], params["realmId"])  # codes are single use


def test_a_redirect_loop_is_a_qbo_error() -> None:
    async def loop(request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": request.path})

    with stand_in(loop) as server:
        source = stand_in_source(server.url)
        with pytest.raises(QboError) as err:
            source.query("SELECT * FROM Item")
    assert "QuickBooks Online" in str(err.value) and "try again" in str(err.value)
    assert "TooManyRedirects" in (err.value.detail or "")


def test_an_answer_cut_off_midway_is_a_qbo_error() -> None:
    async def cut_off(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b'{"QueryResponse": {"Item": [')
        assert request.transport is not None
        request.transport.close()  # sends what was written, then hangs up 970 bytes short
        return response

    with stand_in(cut_off) as server:
        source = stand_in_source(server.url)
        with pytest.raises(SourceError) as err:
            source.items()
    assert isinstance(err.value, QboError) and "try again" in str(err.value)
