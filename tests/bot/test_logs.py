"""No secret reaches a log at DEBUG: the real libraries log what they send and receive, through the filter."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from requests_oauthlib import OAuth2Session
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import RedactingFilter, install_redaction, redact
from sandbox.server import BackgroundServer
from sandbox.slack import SlackApiSandbox

QBO_ACCESS_TOKEN = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.secretpayload0123456789.signature-part"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The root logger at DEBUG into a buffer, with the filter as `configure_logging` installs it."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_redaction(root)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_slack_sdk_oauth_exchange_and_bot_token_stay_out_of_debug_logs(debug_log: io.StringIO) -> None:
    api = SlackApiSandbox()
    with BackgroundServer(api.app) as server:
        client = AsyncWebClient(base_url=server.url + "/api/")
        response = await client.oauth_v2_access(
            client_id=api.client_id, client_secret=api.client_secret, code="install-code"
        )
        bot_token = str(response["access_token"])
        await AsyncWebClient(token=bot_token, base_url=server.url + "/api/").auth_test()
    text = debug_log.getvalue()
    assert "oauth.v2.access" in text  # slack_sdk did log the exchange at DEBUG
    assert bot_token not in text and api.client_secret not in text
    assert "[redacted]" in text


def test_requests_oauthlib_access_token_stays_out_of_debug_logs(
    debug_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = SlackApiSandbox()
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # a loopback stand-in, in this test only
    with BackgroundServer(api.app) as server:
        session = OAuth2Session(
            client_id="qbo-client", token={"access_token": QBO_ACCESS_TOKEN, "token_type": "Bearer"}
        )
        assert session.get(server.url + "/api/auth.test", timeout=5).status_code == 200
    text = debug_log.getvalue()
    assert "Adding token" in text  # requests_oauthlib logged the request, token included, at DEBUG
    assert QBO_ACCESS_TOKEN not in text and "secretpayload" not in text


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer abcdefghijklmnop",
        "{'access_token': 'abc123secret', 'refresh_token': 'def456secret'}",
        '{"client_secret": "abc123secret", "ok": true}',
        "GET /qbo/callback?code=abc123secret&realmId=1&state=xyz",
        "token xoxb-123-456-abc123secret posted",
        "Basic YWJjMTIzc2VjcmV0OnBhc3N3b3Jk",
    ],
)
def test_redact_replaces_each_kind_of_secret(line: str) -> None:
    assert "abc123secret" not in redact(line) and "YWJjMTIzc2VjcmV0" not in redact(line)


def test_a_traceback_with_a_secret_is_redacted() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("xoxb-1-2-abc123secret",), None)
    try:
        raise RuntimeError("refresh_token='abc123secret' refused")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert "abc123secret" not in record.getMessage() and "abc123secret" not in (record.exc_text or "")
