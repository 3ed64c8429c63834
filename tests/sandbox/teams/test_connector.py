"""The Teams connector stand-in driven by botbuilder's real CloudAdapter: the bot fetches its token from the
stand-in's login service with MSAL over HTTPS, and every reply, update and delete is recorded and checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import requests
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ConversationParameters
from botframework.connector.models import ErrorResponseException

from bot.cards import Actions, Button, Card, Text
from handlers.teams.render import render_card
from sandbox.teams import DEFAULT_APP_ID, TeamsSandbox, load_card_schema

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hello", "wrap": True}]}


@pytest.fixture(scope="module")
def teams() -> Iterator[TeamsSandbox]:
    with TeamsSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def connector(teams: TeamsSandbox, monkeypatch: pytest.MonkeyPatch) -> TeamsSandbox:
    teams.connector.clear()
    for name, value in teams.trust_env().items():
        monkeypatch.setenv(name, value)  # MSAL trusts the stand-in's self-signed HTTPS login port
    return teams


def adapter(teams: TeamsSandbox) -> CloudAdapter:
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(teams.bot_config()))


async def turn(teams: TeamsSandbox, logic: Callable[[TurnContext], Awaitable[None]], text: str = "status") -> None:
    """Run one incoming Teams message through the real adapter, authenticated as Teams would."""
    incoming = Activity().deserialize(teams.message(text))
    await adapter(teams).process_activity("Bearer " + teams.sign_activity_token(), incoming, logic)


def card_reply(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def schema_or_skip() -> None:
    if load_card_schema() is None:
        pytest.skip("the Adaptive Cards schema lives in ../shared/specs, next to the repository")


async def test_replies_updates_and_deletes_are_recorded(connector: TeamsSandbox) -> None:
    ids: dict[str, str] = {}

    async def logic(context: TurnContext) -> None:
        sent = await context.send_activity(card_reply(CARD))
        ids["card"] = sent.id
        changed = card_reply({**CARD, "body": [{"type": "TextBlock", "text": "Updated"}]})
        changed.id = sent.id
        await context.update_activity(changed)
        note = await context.send_activity("temporary")
        await context.delete_activity(note.id)

    await turn(connector, logic)
    records = connector.connector.activities()
    assert [r.kind for r in records] == ["reply", "update", "reply", "delete"]
    assert {r.app_id for r in records} == {DEFAULT_APP_ID}  # each call carried a token the stand-in issued
    conversation = records[0].conversation_id
    assert conversation.startswith("19:golive@thread.tacv2;messageid=")
    assert records[0].reply_to_id is not None
    assert records[0].cards == [CARD]
    current = connector.connector.message(conversation, ids["card"])
    assert current is not None and current["attachments"][0]["content"]["body"][0]["text"] == "Updated"
    assert connector.connector.message(conversation, records[2].activity_id) is None
    # The bot asked the stand-in's login service for a token, as MSAL does against Azure AD.
    assert connector.connector.token_requests[0]["grant_type"] == "client_credentials"
    assert connector.connector.token_requests[0]["scope"] == "https://api.botframework.com/.default"


async def test_proactive_messages_and_new_conversations(connector: TeamsSandbox) -> None:
    references: list[Any] = []

    async def remember(context: TurnContext) -> None:
        references.append(TurnContext.get_conversation_reference(context.activity))

    await turn(connector, remember)
    bot = adapter(connector)

    async def remind(context: TurnContext) -> None:
        await context.send_activity("Reminder: 3 steps are still open.")

    await bot.continue_conversation(references[0], remind, DEFAULT_APP_ID)
    last = connector.connector.activities()[-1]
    assert last.activity["text"] == "Reminder: 3 steps are still open."
    assert last.conversation_id == references[0].conversation.id  # the same thread the reference came from

    created: list[str] = []

    async def on_created(context: TurnContext) -> None:
        created.append(context.activity.conversation.id)

    parameters = ConversationParameters(
        is_group=True,
        channel_data={"channel": {"id": "19:golive@thread.tacv2"}},
        activity=MessageFactory.text("A new post in the channel"),
    )
    await bot.create_conversation(DEFAULT_APP_ID, on_created, parameters, "msteams", connector.service_url)
    (creation,) = connector.connector.activities(kind="create")
    assert created == [creation.conversation_id] and creation.conversation_id.startswith("19:golive@thread.tacv2;")
    assert connector.connector.activities(creation.conversation_id, "send")[0].activity["text"] == (
        "A new post in the channel"
    )


async def test_members_are_listed(connector: TeamsSandbox) -> None:
    names: list[str] = []

    async def logic(context: TurnContext) -> None:
        page = await TeamsInfo.get_paged_members(context)
        names.extend(m.name for m in page.members)
        member = await TeamsInfo.get_member(context, "29:1raj-patel")
        names.append(member.email)

    await turn(connector, logic)
    assert names == ["Dana Whitfield", "Raj Patel", "raj@acme.example"]


async def test_an_invalid_card_is_refused(connector: TeamsSandbox) -> None:
    schema_or_skip()
    bad = {**CARD, "body": [{"type": "TextBlock", "txt": "typo"}]}
    errors: list[ErrorResponseException] = []

    async def logic(context: TurnContext) -> None:
        try:
            await context.send_activity(card_reply(bad))
        except ErrorResponseException as error:
            errors.append(error)

    await turn(connector, logic)
    assert errors and errors[0].response.status_code == 400
    assert errors[0].error.error.code == "BadArgument" and "Adaptive Card" in errors[0].error.error.message
    assert connector.connector.activities() == []
    too_new = {**CARD, "version": "1.6"}
    response = post(connector, "/v3/conversations/a:1x/activities", card_activity(too_new))
    assert response.status_code == 400 and "up to 1.5" in response.text


async def test_every_rendered_card_is_accepted(connector: TeamsSandbox) -> None:
    schema_or_skip()
    card = Card((Text("**Ready?** Type `next`."), Actions((Button("Next step", "next"),))), "Ready?")

    async def logic(context: TurnContext) -> None:
        await context.send_activity(card_reply(render_card(card)))

    await turn(connector, logic)
    (record,) = connector.connector.activities()
    assert record.cards[0]["body"][0]["text"] == "**Ready?** Type **next**."


def post(teams: TeamsSandbox, path: str, body: dict[str, Any], token: str | None = "issued") -> requests.Response:
    headers = {}
    if token == "issued":
        token = teams.issuer.issue_bot_token(teams.app_id)[0]
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(teams.server.url + path, json=body, headers=headers, timeout=5)


def card_activity(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


def test_calls_without_an_issued_token_are_refused(connector: TeamsSandbox) -> None:
    body = {"type": "message", "text": "hi"}
    assert post(connector, "/v3/conversations/a:1x/activities", body, token=None).status_code == 401
    forged = connector.issuer.sign_activity_token("https://api.botframework.com", service_url="x", wrong_key=True)
    assert post(connector, "/v3/conversations/a:1x/activities", body, token=forged).status_code == 401
    assert post(connector, "/v3/conversations/a:1x/activities", body).status_code == 200
    assert len(connector.connector.activities()) == 1


def test_faults_are_injected_per_conversation(connector: TeamsSandbox) -> None:
    body = {"type": "message", "text": "hi"}
    connector.connector.fail(403, conversation_id="a:1removed", times=2)
    connector.connector.fail(429, conversation_id="a:1busy", retry_after=3)
    removed = post(connector, "/v3/conversations/a:1removed/activities", body)
    assert removed.status_code == 403 and removed.json()["error"]["code"] == "BotNotInConversationRoster"
    assert post(connector, "/v3/conversations/a:1other/activities", body).status_code == 200
    assert post(connector, "/v3/conversations/a:1removed/activities", body).status_code == 403
    assert post(connector, "/v3/conversations/a:1removed/activities", body).status_code == 200
    busy = post(connector, "/v3/conversations/a:1busy/activities", body)
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "3"
    connector.connector.fail(502)
    assert post(connector, "/v3/conversations/a:1busy/activities", body).status_code == 502
    assert [r.conversation_id for r in connector.connector.activities()] == ["a:1other", "a:1removed"]


async def test_a_removed_bot_surfaces_to_botbuilder_as_403(connector: TeamsSandbox) -> None:
    errors: list[ErrorResponseException] = []

    async def logic(context: TurnContext) -> None:
        try:
            await context.send_activity("hello")
        except ErrorResponseException as error:
            errors.append(error)

    connector.connector.fail(403)
    await turn(connector, logic)
    assert errors[0].response.status_code == 403 and errors[0].error.error.code == "BotNotInConversationRoster"


def test_updating_an_unknown_message_and_oversized_messages(connector: TeamsSandbox) -> None:
    token = connector.issuer.issue_bot_token(connector.app_id)[0]
    headers = {"Authorization": f"Bearer {token}"}
    url = connector.server.url + "/v3/conversations/a:1x/activities/404404"
    assert requests.put(url, json={"type": "message"}, headers=headers, timeout=5).status_code == 404
    huge = {"type": "message", "text": "x" * 30_000}
    response = post(connector, "/v3/conversations/a:1x/activities", huge)
    assert response.status_code == 413 and response.json()["error"]["code"] == "MessageSizeTooBig"
