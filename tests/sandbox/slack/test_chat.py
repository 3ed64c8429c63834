"""The Slack stand-in, driven by slack_sdk: chat.* limits, channels the bot may post in, DMs."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient

from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox, validate_blocks, validate_view
from tests.sandbox.slack.payloads import TS, error_of, section, slack_error

# ------------------------------------------------------------------------------------- messages


def test_post_message_json_and_form_bodies_are_parsed_alike(sandbox: SlackApiSandbox, client: WebClient) -> None:
    blocks = [section("*Checklist*"), {"type": "divider"}]
    posted = client.chat_postMessage(channel="C0BOOKS", text="Checklist", blocks=blocks)  # JSON body
    # Form-encoded callers send blocks as a JSON string, as Slack expects.
    form = {"channel": "C0BOOKS", "text": "Checklist", "blocks": json.dumps(blocks)}
    client.api_call("chat.postMessage", data=form)
    first, second = sandbox.calls("chat.postMessage")
    assert first.headers["Content-Type"].startswith("application/json")
    assert second.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert first.args["blocks"] == second.args["blocks"] == blocks
    assert TS.match(posted["ts"])
    assert posted["channel"] == "C0BOOKS"
    assert posted["message"]["blocks"] == blocks
    assert posted["message"]["bot_id"] == sandbox.bot_id
    assert float(second.response["ts"]) > float(posted["ts"])
    assert [m["text"] for m in sandbox.messages("C0BOOKS")] == ["Checklist", "Checklist"]


def test_post_to_a_user_lands_in_the_app_dm(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U0OWNER", text="You own 2 items")
    assert posted["channel"] == "D0OWNER"


def test_update_and_delete_in_place(sandbox: SlackApiSandbox, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C0BOOKS", text="Checking…")
    updated = client.chat_update(channel="C0BOOKS", ts=posted["ts"], text="3 of 12 cleared", blocks=[section("x")])
    assert updated["ts"] == posted["ts"]
    current = sandbox.message("C0BOOKS", posted["ts"])
    assert current is not None and current["text"] == "3 of 12 cleared"
    assert slack_error(lambda: client.chat_update(channel="C0BOOKS", ts="1.000001", text="x")) == "message_not_found"
    client.chat_delete(channel="C0BOOKS", ts=posted["ts"])
    assert sandbox.message("C0BOOKS", posted["ts"]) is None


def test_ephemeral_returns_message_ts(client: WebClient) -> None:
    response = client.chat_postEphemeral(channel="C0BOOKS", user="U0OWNER", text="Only you see this")
    assert TS.match(response["message_ts"])


def test_block_and_text_limits_are_enforced_like_slack(client: WebClient) -> None:
    fifty = [section("y" * 3000)] * 50
    assert client.chat_postMessage(channel="C0BOOKS", text="ok", blocks=fifty)["ok"]

    error = error_of(lambda: client.chat_postMessage(channel="C0BOOKS", text="x", blocks=[section("y")] * 51))
    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 51 items [json-pointer:/blocks]"
    ]
    error = error_of(lambda: client.chat_postMessage(channel="C0BOOKS", text="x", blocks=[section("y" * 3001)]))
    assert error.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in error.response["response_metadata"]["messages"][0]
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    assert slack_error(lambda: client.chat_postMessage(channel="C", text="x", blocks=[header])) == "invalid_blocks"
    assert slack_error(lambda: client.chat_postMessage(channel="C0BOOKS", text="t" * 40_001)) == "msg_too_long"
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns as well
        assert slack_error(lambda: client.chat_postMessage(channel="C0BOOKS", text="")) == "no_text"
    assert client.chat_postMessage(channel="C0BOOKS", text="t" * 40_000)["ok"]


def test_update_is_validated_too(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C0BOOKS", text="x")
    error = error_of(lambda: client.chat_update(channel="C0BOOKS", ts=posted["ts"], text="x", blocks=[section("")]))
    assert error.response["error"] == "invalid_blocks"


def test_validator_catches_duplicate_action_ids_and_long_confirm_dialogs() -> None:
    button = {
        "type": "button",
        "action_id": "preflight:confirm",
        "text": {"type": "plain_text", "text": "OK"},
    }
    assert validate_blocks([{"type": "actions", "elements": [button, dict(button)]}])
    confirm = {
        "title": {"type": "plain_text", "text": "t" * 101},
        "text": {"type": "plain_text", "text": "Moves $1.00"},
        "confirm": {"type": "plain_text", "text": "Yes"},
        "deny": {"type": "plain_text", "text": "No"},
    }
    assert validate_blocks([{"type": "actions", "elements": [{**button, "confirm": confirm}]}])
    assert validate_blocks([{"type": "actions", "elements": [button]}]) == []
    assert validate_view({"type": "home", "blocks": [section("x")] * 100}) == []
    assert validate_view({"type": "home", "blocks": [section("x")] * 101})


# ------------------------------------------------------------------------------------- channels


def test_archived_missing_and_uninvited_channels(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    client = WebClient(token=DEFAULT_TOKEN, base_url=server.url + "/api/")
    sandbox.set_channel("C0OLD", name="old-close", is_archived=True)
    sandbox.set_channel("C0GONE", exists=False)
    sandbox.set_channel("G0PRIVATE", name="controllers", is_private=True, is_member=False)
    sandbox.set_channel("C0PUBLIC", name="bookkeeping", is_member=False)
    assert error_of(lambda: client.chat_postMessage(channel="C0OLD", text="x")).response["error"] == "is_archived"
    assert slack_error(lambda: client.chat_postMessage(channel="C0GONE", text="x")) == "channel_not_found"
    assert slack_error(lambda: client.chat_postMessage(channel="G0PRIVATE", text="x")) == "channel_not_found"
    # chat:write.public lets the bot post in a public channel it was never invited to ...
    assert client.chat_postMessage(channel="C0PUBLIC", text="x")["ok"]
    # ... and without it Slack answers not_in_channel.
    sandbox.add_token("xoxb-no-public", scopes=["chat:write"])
    narrow = WebClient(token="xoxb-no-public", base_url=server.url + "/api/")
    assert slack_error(lambda: narrow.chat_postMessage(channel="C0PUBLIC", text="x")) == "not_in_channel"


def test_not_in_channel_option_and_file_shares_need_membership(sandbox: SlackApiSandbox, client: WebClient) -> None:
    sandbox.set_channel("C0SHARED", name="shared-with-accountant", not_in_channel=True)
    assert slack_error(lambda: client.chat_postMessage(channel="C0SHARED", text="x")) == "not_in_channel"
    sandbox.set_channel("C0PUBLIC", name="bookkeeping", is_member=False)
    assert client.chat_postMessage(channel="C0PUBLIC", text="x")["ok"]
    upload = lambda: client.files_upload_v2(channel="C0PUBLIC", content="a,b\n", filename="x.csv")  # noqa: E731
    assert slack_error(upload) == "not_in_channel"
    sandbox.set_channel("C0PUBLIC", name="bookkeeping", is_member=True)
    assert upload()["ok"]


def test_conversations_info_reports_archival(sandbox: SlackApiSandbox, client: WebClient) -> None:
    sandbox.set_channel("C0CLOSE", name="month-end")
    assert client.conversations_info(channel="C0CLOSE")["channel"]["is_archived"] is False
    sandbox.archive_channel("C0CLOSE")
    info = client.conversations_info(channel="C0CLOSE")["channel"]
    assert info["is_archived"] is True
    assert info["name"] == "month-end"


def test_strict_mode_knows_only_configured_channels_and_users(server: BackgroundServer) -> None:
    strict = SlackApiSandbox(strict=True)
    with BackgroundServer(strict.app) as other:
        client = WebClient(token=DEFAULT_TOKEN, base_url=other.url + "/api/")
        assert slack_error(lambda: client.chat_postMessage(channel="C0X", text="x")) == "channel_not_found"
        assert slack_error(lambda: client.users_info(user="U0X")) == "user_not_found"
        strict.set_channel("C0X")
        strict.add_user("U0X", name="pat", real_name="Pat Lee", display_name="Pat")
        assert client.chat_postMessage(channel="C0X", text="x")["ok"]
        assert client.users_info(user="U0X")["user"]["profile"]["display_name"] == "Pat"
