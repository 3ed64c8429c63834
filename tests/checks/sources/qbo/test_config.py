"""QBO settings and tokens: plain http only on loopback, secrets out of reprs."""

from __future__ import annotations

import os
from typing import Any

import pytest

from checks.sources.errors import ConfigurationError
from checks.sources.qbo import QboConfig, QboSource, QboTokens, is_loopback_http
from tests.checks.sources.qbo.support import REDIRECT, make_source
from tests.sandbox.qbo.companies import Sandbox


def test_insecure_transport_only_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_loopback_http("http://127.0.0.1:9000/v3") and is_loopback_http("http://localhost/v3")
    assert not is_loopback_http("http://quickbooks.example.com/v3")
    assert not is_loopback_http("https://127.0.0.1/v3")
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)

    def config(**kw: Any) -> QboConfig:
        return QboConfig(client_id="id", client_secret="secret", redirect_uri=REDIRECT, realm_id="1", **kw)

    real = QboSource(config(environment="production"), None)
    assert real.api_base == "https://quickbooks.api.intuit.com/v3"
    assert QboSource(config(environment="sandbox"), None).api_base == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    with pytest.raises(ConfigurationError):
        QboSource(config(api_base="http://quickbooks.example.com/v3"), None)
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    local = QboSource(config(environment="http://127.0.0.1:9/.well-known/openid_configuration"), None)
    assert local.api_base == "http://127.0.0.1:9/v3"
    # Plain http is allowed in the simulator's own sessions, never process-wide.
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ


def test_the_qbo_session_only_reads() -> None:
    from checks.sources.qbo.session import ReadOnlySession, WriteRefused, allowed

    assert allowed("GET", "https://q/v3/company/1/item/5") and allowed("post", "https://q/v3/company/1/query")
    session = ReadOnlySession("id", token={"access_token": "t", "token_type": "Bearer"})
    for method, path in (("POST", "/v3/company/1/item"), ("DELETE", "/v3/company/1/item/5"), ("PUT", "/x")):
        with pytest.raises(WriteRefused):
            session.request(method, "http://127.0.0.1:9" + path)


def test_secrets_stay_out_of_reprs(sandbox: Sandbox) -> None:
    source = make_source(sandbox)
    tokens = QboTokens(access_token="access-secret-value", refresh_token="refresh-secret-value")
    assert "secret-value" not in repr(tokens)
    assert sandbox.state.client_secret not in repr(source) and sandbox.state.client_secret not in repr(source.config)
