"""A local stand-in for the Slack Web API, served over real HTTP.

slack_sdk's `WebClient` / `AsyncWebClient(base_url=server.url + "/api/")` talk to it as they would to Slack:

    sandbox = SlackApiSandbox()
    with BackgroundServer(sandbox.app) as server:
        client = WebClient(token="xoxb-valid", base_url=server.url + "/api/")
        client.chat_postMessage(channel="C0PREFLIGHT", text="hello")
        assert sandbox.last("chat.postMessage").args["text"] == "hello"

It is modelled on bolt-python's `tests/mock_web_api_server`, but it also enforces what real Slack rejects
(block counts, text lengths, archived channels, expired response URLs, rate limits) so that tests catch a
message that Slack would refuse. Error names and shapes follow Slack's documentation. Tokens get the bot
scopes of manifest/slack/manifest.json unless told otherwise, as an install of that manifest would.
"""

from __future__ import annotations

from sandbox.slack.app import SlackApiSandbox
from sandbox.slack.faults import Chance
from sandbox.slack.limits import validate_blocks, validate_message, validate_view
from sandbox.slack.model import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_TOKEN,
    Channel,
    RecordedCall,
    ResponseUrl,
    SlackApiError,
    TokenInfo,
    UploadedFile,
    User,
)

__all__ = [
    "Chance",
    "DEFAULT_BOT_SCOPES",
    "DEFAULT_TOKEN",
    "Channel",
    "RecordedCall",
    "ResponseUrl",
    "SlackApiError",
    "SlackApiSandbox",
    "TokenInfo",
    "UploadedFile",
    "User",
    "validate_blocks",
    "validate_message",
    "validate_view",
]
