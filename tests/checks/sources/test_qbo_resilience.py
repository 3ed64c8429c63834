"""QboSource when things go wrong: expired and revoked tokens, throttling, server errors, faults, no server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from checks.sources.errors import QboAuthError, QboError, QboFaultError
from checks.sources.qbo import QboConfig, QboSource, QboTokens, Rank, RateLimiter
from tests.checks.sources.test_qbo import REDIRECT, make_source
from tests.sandbox.qbo.companies import Sandbox, bulk_company, serve


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with serve() as sb:
        yield sb


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


def test_secrets_stay_out_of_reprs(sandbox: Sandbox) -> None:
    source = make_source(sandbox)
    tokens = QboTokens(access_token="access-secret-value", refresh_token="refresh-secret-value")
    assert "secret-value" not in repr(tokens)
    assert sandbox.state.client_secret not in repr(source) and sandbox.state.client_secret not in repr(source.config)


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


def test_rate_limiter_keeps_qbo_limits(sandbox: Sandbox) -> None:
    source = make_source(sandbox, requests_per_second=10)
    for _ in range(25):
        source.query("SELECT COUNT(*) FROM Item")
    times = sandbox.state.request_times(sandbox.realm_id)
    assert len(times) == 25
    worst = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert worst <= 10
    assert times[-1] - times[0] >= 2.0  # 25 requests at 10/s cannot finish sooner


def test_rate_limiter_minute_window() -> None:
    limiter = RateLimiter(per_second=100, per_minute=3, margin=0)
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire()
    assert time.monotonic() - started < 0.5
    for slot in limiter._sent:
        slot.at -= 59.8  # pretend they were a minute ago
    limiter.acquire()
    waited = time.monotonic() - started
    assert 0.1 <= waited < 1.0


def test_rate_limiter_gives_the_next_slot_to_the_lowest_rank() -> None:
    limiter = RateLimiter(per_second=20, per_minute=1000, margin=0)
    limiter.acquire()  # the next slot is 50 ms away: every request below has to queue
    granted: list[Rank] = []
    lock = threading.Lock()

    def ask(rank: Rank) -> None:
        limiter.acquire(rank)
        with lock:
            granted.append(rank)

    arrivals = [Rank.BALANCE_SHEET, Rank.TRANSACTIONS, Rank.ITEMS, Rank.COMPANY, Rank.ITEMS]
    threads = [threading.Thread(target=ask, args=(rank,)) for rank in arrivals]
    for thread in threads:
        thread.start()
        time.sleep(0.005)  # they arrive in this order, all within the first slot's 50 ms
    for thread in threads:
        thread.join(timeout=5)
    assert granted == [Rank.COMPANY, Rank.ITEMS, Rank.ITEMS, Rank.TRANSACTIONS, Rank.BALANCE_SHEET]
    sent = [slot.at for slot in limiter._sent]
    # Still one slot every 50 ms: the k-th is never sooner than k slots after the first.
    assert all(t - sent[0] >= k * 0.05 - 0.001 for k, t in enumerate(sent))


def test_rate_limiter_serves_a_lone_request_at_once_whatever_its_rank() -> None:
    limiter = RateLimiter(per_second=10, per_minute=500)
    started = time.monotonic()
    limiter.acquire(Rank.BALANCE_SHEET)
    assert time.monotonic() - started < 0.05


def test_rate_limiter_makes_up_for_late_wake_ups_on_its_grid() -> None:
    limiter = RateLimiter(per_second=10, per_minute=1000, margin=0)
    limiter.acquire()
    first = limiter._sent[0].at
    time.sleep(0.13)  # the second request comes 30 ms after its slot: the third keeps to the grid
    limiter.acquire()
    limiter.acquire()
    second, third = limiter._sent[1].at, limiter._sent[2].at
    assert second - first >= 0.13 and third - first == pytest.approx(0.2, abs=0.01)


def test_rate_limiter_never_lets_eleven_requests_into_one_second() -> None:
    limiter = RateLimiter(per_second=10, per_minute=1000, margin=0.02)
    for _ in range(25):
        limiter.acquire()
    sent = [slot.at for slot in limiter._sent]
    assert all(sent[k + 10] - sent[k] >= 1.02 - 1e-6 for k in range(len(sent) - 10))


def test_rate_limiter_counts_a_request_from_when_it_left() -> None:
    limiter = RateLimiter(per_second=2, per_minute=1000, margin=0)
    late = limiter.acquire()
    limiter.acquire()
    time.sleep(0.3)
    limiter.departed(late)  # the first request left 0.3 s after its slot (this machine was busy)
    started = time.monotonic()
    limiter.acquire()
    # Two requests within the second that follows its departure: the third waits for that second to end.
    assert time.monotonic() - started >= 0.65


def test_each_request_reports_when_it_left(sandbox: Sandbox) -> None:
    source = make_source(sandbox, requests_per_second=10)
    source.query("SELECT COUNT(*) FROM Item")
    source.query("SELECT COUNT(*) FROM Item")
    limiter = source._client(source._access()[1], Rank.ITEMS).limiter
    arrivals = sandbox.state.request_times(sandbox.realm_id)
    # Both slots hold the moment the request was written, which on this machine is within a few
    # milliseconds of the moment the simulator saw it arrive.
    for slot, arrived in zip(list(limiter._sent)[-2:], arrivals[-2:], strict=True):
        assert abs(slot.at - arrived) < 0.02
