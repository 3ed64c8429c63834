"""The Slack stand-in, driven by slack_sdk: injected failures and rate limits, with its retry handlers."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox
from tests.sandbox.slack.payloads import error_of, section

# ----------------------------------------------------------------------------------- rate limits


def test_rate_limit_answers_429_with_retry_after(sandbox: SlackApiSandbox, client: WebClient) -> None:
    sandbox.rate_limit("chat.postMessage", times=1, retry_after=7)
    error = error_of(lambda: client.chat_postMessage(channel="C0BOOKS", text="x"))
    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C0BOOKS", text="x")["ok"]


def test_rate_limit_retry_handler_retries(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    client = WebClient(
        token=DEFAULT_TOKEN,
        base_url=server.url + "/api/",
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    sandbox.rate_limit("chat.postMessage", times=2, retry_after=0)
    assert client.chat_postMessage(channel="C0BOOKS", text="reminder")["ok"]
    assert [c.status for c in sandbox.calls("chat.postMessage")] == [429, 429, 200]
    assert len(sandbox.messages("C0BOOKS")) == 1


async def test_async_rate_limit_retry_handler_retries(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    client = AsyncWebClient(
        token=DEFAULT_TOKEN,
        base_url=server.url + "/api/",
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    sandbox.rate_limit("views.publish", times=1, retry_after=0)
    response = await client.views_publish(user_id="U0OWNER", view={"type": "home", "blocks": [section("x")]})
    assert response["ok"]
    assert [c.status for c in sandbox.calls("views.publish")] == [429, 200]


def test_injected_failure(sandbox: SlackApiSandbox, client: WebClient) -> None:
    sandbox.fail("users.info", "internal_error", status=500)
    assert error_of(lambda: client.users_info(user="U0OWNER")).response.status_code == 500
    assert client.users_info(user="U0OWNER")["user"]["id"] == "U0OWNER"
