"""The Slack stand-in, driven by slack_sdk: modals, their stack and limits, the Home tab."""

from __future__ import annotations

from slack_sdk import WebClient

from sandbox.slack import SlackApiSandbox
from tests.sandbox.slack.payloads import error_of, modal, section

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
