"""The Slack Web API stand-in, driven by slack_sdk's real clients over HTTP."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient

from sandbox.server import BackgroundServer
from sandbox.slack_api import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_TOKEN,
    SlackApiSandbox,
    validate_blocks,
    validate_view,
)

TS = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def sandbox() -> SlackApiSandbox:
    return SlackApiSandbox()


@pytest.fixture
def server(sandbox: SlackApiSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app) as running:
        yield running


@pytest.fixture
def client(server: BackgroundServer) -> WebClient:
    return WebClient(token=DEFAULT_TOKEN, base_url=server.url + "/api/")


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


# ----------------------------------------------------------------------------------------- auth


def test_auth_test_identifies_the_bot_and_its_scopes(sandbox: SlackApiSandbox, client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["team_id"] == sandbox.team_id
    assert response["user_id"] == sandbox.bot_user_id
    assert response["bot_id"] == sandbox.bot_id
    assert response.headers["X-OAuth-Scopes"] == ",".join(DEFAULT_BOT_SCOPES)
    call = sandbox.last("auth.test")
    assert call.token == DEFAULT_TOKEN
    assert call.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"


def test_unknown_missing_and_revoked_tokens(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    base = server.url + "/api/"
    assert slack_error(WebClient(token="xoxb-nope", base_url=base).auth_test) == "invalid_auth"
    assert slack_error(WebClient(base_url=base).auth_test) == "not_authed"
    sandbox.add_token("xoxb-other-team", team_id="T0OTHER", team_name="Kids' Café")
    other = WebClient(token="xoxb-other-team", base_url=base)
    assert other.auth_test()["team_id"] == "T0OTHER"
    sandbox.revoke_token("xoxb-other-team")
    assert slack_error(other.auth_test) == "token_revoked"


def test_missing_scope_names_the_scope(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    sandbox.add_token("xoxb-narrow", scopes=["commands", "chat:write"])
    narrow = WebClient(token="xoxb-narrow", base_url=server.url + "/api/")
    error = error_of(lambda: narrow.users_info(user="U0OWNER"))
    assert error.response["error"] == "missing_scope"
    assert error.response["needed"] == "users:read"


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


# ---------------------------------------------------------------------------------------- views


def test_views_open_update_push_and_limits(sandbox: SlackApiSandbox, client: WebClient) -> None:
    trigger = sandbox.new_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=modal([section("Pick the date")]))["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "preflight:enable_date"
    assert opened["state"] == {"values": {}}

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal([section("Saved")]))
    assert updated["view"]["blocks"] == [section("Saved")]
    stale = error_of(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal([])))
    assert stale.response["error"] == "hash_conflict"

    client.views_push(trigger_id=sandbox.new_trigger_id(), view=modal([section("2")]))
    client.views_push(trigger_id=sandbox.new_trigger_id(), view=modal([section("3")]))
    pushed = error_of(lambda: client.views_push(trigger_id=sandbox.new_trigger_id(), view=modal([section("4")])))
    assert pushed.response["error"] == "push_limit_reached"

    too_many = error_of(lambda: client.views_open(trigger_id=trigger, view=modal([section("x")] * 101)))
    assert too_many.response["error"] == "invalid_arguments"
    assert client.views_open(trigger_id=trigger, view=modal([section("x")] * 100))["ok"]

    sandbox.expire_trigger(trigger)
    expired = error_of(lambda: client.views_open(trigger_id=trigger, view=modal([section("x")])))
    assert expired.response["error"] == "expired_trigger_id"


def test_modal_title_limit(sandbox: SlackApiSandbox, client: WebClient) -> None:
    view = modal([section("x")])
    view["title"] = {"type": "plain_text", "text": "A title longer than 24 chars"}
    error = error_of(lambda: client.views_open(trigger_id=sandbox.new_trigger_id(), view=view))
    assert error.response["error"] == "invalid_arguments"
    assert "/view/title/text" in error.response["response_metadata"]["messages"][0]


def test_views_publish_keeps_the_home_tab(sandbox: SlackApiSandbox, client: WebClient) -> None:
    client.views_publish(user_id="U0OWNER", view={"type": "home", "blocks": [section("3 of 12 cleared")]})
    home = sandbox.home_view("U0OWNER")
    assert home is not None and home["blocks"] == [section("3 of 12 cleared")]
    error = error_of(
        lambda: client.views_publish(user_id="U0OWNER", view={"type": "home", "blocks": [section("x")] * 101})
    )
    assert error.response["error"] == "invalid_arguments"


# ---------------------------------------------------------------------------------------- files


def test_files_upload_v2_round_trip(sandbox: SlackApiSandbox, client: WebClient) -> None:
    csv = b"sku,name,qty\nMUG-1,Kids' Caf\xc3\xa9 <Mug> & Co,3\n"
    response = client.files_upload_v2(
        channel="C0BOOKS",
        content=csv,
        filename="deactivate.csv",
        title="Items to deactivate",
        initial_comment="The items to deactivate",
    )
    uploaded = response["file"]
    assert uploaded["name"] == "deactivate.csv"
    assert uploaded["title"] == "Items to deactivate"
    assert uploaded["size"] == len(csv)
    assert uploaded["channels"] == ["C0BOOKS"]
    stored = sandbox.file(uploaded["id"])
    assert stored.content == csv
    assert stored.channel_id == "C0BOOKS"
    assert [c.method for c in sandbox.calls() if c.method != "auth.test"] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert sandbox.last("files.getUploadURLExternal").args["length"] == str(len(csv))


async def test_files_upload_v2_with_the_async_client(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=server.url + "/api/")
    response = await client.files_upload_v2(channel="C0BOOKS", content="a,b\n1,2\n", filename="report.csv")
    assert sandbox.file(response["file"]["id"]).content == b"a,b\n1,2\n"
    assert [f.filename for f in sandbox.files()] == ["report.csv"]


def test_completing_an_upload_that_never_arrived_fails(client: WebClient) -> None:
    issued = client.files_getUploadURLExternal(filename="x.csv", length=3)
    error = error_of(lambda: client.files_completeUploadExternal(files=[{"id": issued["file_id"]}]))
    assert error.response["error"] == "file_not_found"


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


# ----------------------------------------------------------------------------------------- oauth


def test_oauth_install_issues_a_working_bot_token(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    anonymous = WebClient(base_url=server.url + "/api/")
    installed = anonymous.oauth_v2_access(
        client_id=sandbox.client_id, client_secret=sandbox.client_secret, code="code-1"
    )
    assert installed["token_type"] == "bot"
    assert installed["access_token"].startswith("xoxb-")
    assert installed["team"] == {"id": sandbox.team_id, "name": sandbox.team_name}
    assert installed["scope"].split(",") == list(DEFAULT_BOT_SCOPES)
    bot = WebClient(token=installed["access_token"], base_url=server.url + "/api/")
    assert bot.auth_test()["team_id"] == sandbox.team_id

    again = error_of(
        lambda: anonymous.oauth_v2_access(
            client_id=sandbox.client_id, client_secret=sandbox.client_secret, code="code-1"
        )
    )
    assert again.response["error"] == "invalid_code"
    wrong = error_of(
        lambda: anonymous.oauth_v2_access(client_id=sandbox.client_id, client_secret="nope", code="code-2")
    )
    assert wrong.response["error"] == "bad_client_secret"


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
