"""Payloads and error helpers shared by the Slack stand-in tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

TS = re.compile(r"^\d{10}\.\d{6}$")


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "preflight:enable_date",
        "title": {"type": "plain_text", "text": "Enable date"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks,
    }


def error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def slack_error(call: Any) -> str:
    return str(error_of(call).response["error"])
