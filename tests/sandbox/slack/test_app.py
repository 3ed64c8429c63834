"""The Slack stand-in, driven by slack_sdk: response URLs and the record of calls."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox
from tests.sandbox.slack.payloads import section

# ---------------------------------------------------------------------------------- response_url


def test_response_url_records_posts_and_expires(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    url = sandbox.new_response_url(server.url)
    webhook = WebhookClient(url)
    sent = webhook.send(text="Checking…", response_type="ephemeral", replace_original=True)
    assert (sent.status_code, sent.body) == (200, "ok")
    assert sandbox.response_posts(url) == [
        {"text": "Checking…", "response_type": "ephemeral", "replace_original": True}
    ]
    bad = webhook.send(text="x", blocks=[section("y")] * 51)
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    sandbox.expire_response_url(url)
    expired = webhook.send(text="late")
    assert (expired.status_code, expired.body) == (404, "expired_url")
    assert [c.status for c in sandbox.calls("response_url")] == [200, 400, 404]


def test_response_url_allows_five_uses(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    webhook = WebhookClient(sandbox.new_response_url(server.url, "R0FIVE"))
    statuses = [webhook.send(text=str(i)).status_code for i in range(6)]
    assert statuses == [200] * 5 + [404]
    assert sandbox.last("response_url").response == "used_url"


# ------------------------------------------------------------------------------------ recording


def test_wait_for_sees_calls_made_from_another_thread(sandbox: SlackApiSandbox, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.1)
        client.chat_postMessage(channel="C0BOOKS", text="a")
        client.chat_postMessage(channel="C0BOOKS", text="b")

    worker = threading.Thread(target=later)
    worker.start()
    found = sandbox.wait_for("chat.postMessage", count=2, timeout=5)
    worker.join()
    assert [c.args["text"] for c in found] == ["a", "b"]
    with pytest.raises(TimeoutError):
        sandbox.wait_for("chat.update", timeout=0.05)
    with pytest.raises(LookupError):
        sandbox.last("views.open")


async def test_wait_for_async(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=server.url + "/api/")
    await client.chat_postMessage(channel="C0BOOKS", text="a")
    (call,) = await sandbox.wait_for_async("chat.postMessage", timeout=1)
    assert call.ok and call.error is None
    sandbox.clear_calls()
    assert sandbox.calls() == []
