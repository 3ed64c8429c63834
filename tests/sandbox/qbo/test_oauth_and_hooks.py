"""Intuit OAuth as intuit-oauth sees it, bearer auth on v3, and the test hooks (faults, limits, counters)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from tests.sandbox.qbo.companies import Sandbox, serve

REDIRECT = "http://127.0.0.1:3000/qbo/callback"


def auth_client(sb: Sandbox, **tokens: str) -> AuthClient:
    return AuthClient(sb.state.client_id, sb.state.client_secret, REDIRECT, sb.discovery_url, **tokens)


def test_discovery_document_drives_intuit_oauth(sandbox: Sandbox) -> None:
    doc = requests.get(sandbox.discovery_url, timeout=5).json()
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "issuer",
        "jwks_uri",
        "userinfo_endpoint",
    ):
        assert doc[key].startswith(sandbox.url)
    client = auth_client(sandbox)
    assert client.token_endpoint == sandbox.url + "/oauth2/v1/tokens/bearer"


def test_authorization_code_round_trip(sandbox: Sandbox) -> None:
    client = auth_client(sandbox)
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="st-123")
    redirect = requests.get(url, allow_redirects=False, timeout=5)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == "st-123" and params["realmId"] == sandbox.realm_id
    client.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert client.access_token and client.refresh_token and client.id_token is None
    ok = requests.get(
        sandbox.v3(f"companyinfo/{sandbox.realm_id}"),
        headers={"Authorization": f"Bearer {client.access_token}", "Accept": "application/json"},
        timeout=5,
    )
    assert ok.status_code == 200
    with pytest.raises(AuthClientError) as reused:  # codes are single use
        client.get_bearer_token(params["code"], realm_id=params["realmId"])
    assert reused.value.status_code == 400


def test_bad_client_secret_is_rejected(sandbox: Sandbox) -> None:
    tokens = sandbox.state.issue_tokens(sandbox.realm_id)
    client = AuthClient(sandbox.state.client_id, "wrong", REDIRECT, sandbox.discovery_url)
    with pytest.raises(AuthClientError) as err:
        client.refresh(refresh_token=str(tokens["refresh_token"]))
    assert err.value.status_code == 401


def test_refresh_tokens_rotate_with_a_grace_window(sandbox: Sandbox) -> None:
    first = str(sandbox.state.issue_tokens(sandbox.realm_id)["refresh_token"])
    client = auth_client(sandbox)
    client.refresh(refresh_token=first)
    second = client.refresh_token
    assert second != first
    client.refresh(refresh_token=second)
    third = client.refresh_token
    assert third not in (first, second)
    # The rotated-out token still works within the grace window and answers with the newest one.
    client.refresh(refresh_token=first)
    assert client.refresh_token == third
    sandbox.state.advance_clock(sandbox.state.stale_refresh_grace + 1)
    with pytest.raises(AuthClientError) as err:
        client.refresh(refresh_token=first)
    assert err.value.status_code == 400
    assert err.value.content and b"invalid_grant" in err.value.content
    client.refresh(refresh_token=third)  # the newest keeps working


def test_v3_needs_a_valid_bearer_token(sandbox: Sandbox) -> None:
    url = sandbox.v3(f"companyinfo/{sandbox.realm_id}")
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    body = missing.json()
    assert body["fault"]["type"] == "AUTHENTICATION" and body["fault"]["error"][0]["code"] == "3200"
    assert "Fault" not in body
    headers = sandbox.bearer()
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    sandbox.state.expire_access_tokens()
    assert requests.get(url, headers=headers, timeout=5).status_code == 401
    with serve() as other:  # a token from another server/realm is unknown here
        assert requests.get(url, headers=other.bearer(), timeout=5).status_code == 401


def test_revoked_refresh_token(sandbox: Sandbox) -> None:
    tokens = sandbox.state.issue_tokens(sandbox.realm_id)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    sandbox.state.revoke_refresh_token(str(tokens["refresh_token"]))
    assert requests.get(sandbox.v3("preferences"), headers=headers, timeout=5).status_code == 401
    with pytest.raises(AuthClientError) as err:
        auth_client(sandbox).refresh(refresh_token=str(tokens["refresh_token"]))
    assert err.value.status_code == 400


def test_injected_429_and_500(sandbox: Sandbox) -> None:
    sandbox.state.inject_429(1, retry_after=2)
    sandbox.state.inject_500(1)
    throttled = sandbox.get("preferences")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    error = throttled.json()["fault"]["error"][0]
    assert error["code"] == "3001"
    assert error["message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    assert sandbox.get("preferences").status_code == 500
    assert sandbox.get("preferences").status_code == 200


def test_rate_limits_when_enforced() -> None:
    with serve(enforce_rate_limits=True) as sb:
        headers = sb.bearer()
        statuses = [requests.get(sb.v3("preferences"), headers=headers, timeout=5).status_code for _ in range(12)]
        assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
        time.sleep(1.05)
        assert requests.get(sb.v3("preferences"), headers=headers, timeout=5).status_code == 200


def test_latency_minor_version_and_counters() -> None:
    with serve(strict_minor_version=True, latency=0.2) as sb:
        started = time.perf_counter()
        assert sb.get("preferences").status_code == 200
        assert time.perf_counter() - started >= 0.2
        sb.state.latency = 0
        old = requests.get(sb.v3("preferences"), params={"minorversion": "65"}, headers=sb.bearer(), timeout=5)
        assert old.status_code == 400 and old.json()["Fault"]["type"] == "ValidationFault"
        assert sb.state.minor_versions == ["75", "65"]
        assert sb.state.requests[f"/v3/company/{sb.realm_id}/preferences"] == 2
        assert len(sb.state.request_times(sb.realm_id)) == 2


def test_report_parameters_are_validated(sandbox: Sandbox) -> None:
    bad = sandbox.get("reports/BalanceSheet", end_date="2024-13-45")
    assert bad.status_code == 400 and bad.json()["Fault"]["Error"][0]["element"] == "end_date"
    assert sandbox.get("reports/BalanceSheet", end_date="31/12/2024").status_code == 400
    backwards = sandbox.get("reports/BalanceSheet", start_date="2024-06-01", end_date="2024-01-01")
    assert backwards.status_code == 400
    assert sandbox.get("reports/InventoryValuationSummary", report_date="yesterday").status_code == 400


def test_cdc(sandbox: Sandbox) -> None:
    from datetime import datetime, timedelta

    pump = next(i for i in sandbox.company.items if i.id == "11")
    pump.update_time = datetime.now(sandbox.company.tz) - timedelta(days=1)
    since = (datetime.now(sandbox.company.tz) - timedelta(days=3)).isoformat(timespec="seconds")
    body = sandbox.get("cdc", entities="Item,Account", changedSince=since).json()
    groups = body["CDCResponse"][0]["QueryResponse"]
    assert [i["Id"] for i in groups[0]["Item"]] == ["11"] and groups[0]["maxResults"] == 1
    assert groups[1] == {}
    too_old = (datetime.now(sandbox.company.tz) - timedelta(days=31)).isoformat(timespec="seconds")
    assert sandbox.get("cdc", entities="Item", changedSince=too_old).status_code == 400
