"""Preflight's ActivityHandler: what each kind of Teams activity becomes.

- A message with text: a command, typed as on every surface (`status`, `check negative-qoh`, …), with the
  bot's own @mention stripped in channels; `owners add @Dana` names Dana through Teams' mention entity.
- A message with a value: an `Action.Submit` click (the fallback of every button).
- An `adaptiveCard/action` invoke: an `Action.Execute` click (Universal Actions), answered at once.
- The bot added to a team or chat: a welcome card.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import ChannelAccount, Mention

from bot.checklist.views import Actor
from bot.tasks import BackgroundTasks
from handlers.teams.origin import TeamsOrigin, from_activity, person
from handlers.teams.render import Submission, parse_submission

log = logging.getLogger(__name__)

WORKING = "application/vnd.microsoft.activity.message"


class Handlers(Protocol):
    """What the bot hands each activity to (the Teams surface)."""

    tasks: BackgroundTasks

    async def remember(self, activity: Any) -> None: ...

    def text(self, origin: TeamsOrigin, text: str, people: Mapping[str, Actor]) -> None: ...

    def press(self, origin: TeamsOrigin, submission: Submission) -> None: ...

    async def submit(self, origin: TeamsOrigin, submission: Submission, people: Mapping[str, Actor]) -> None: ...

    async def welcome(self, origin: TeamsOrigin) -> None: ...


class PreflightTeamsBot(TeamsActivityHandler):
    def __init__(self, surface: Handlers) -> None:
        self.surface = surface

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.surface.remember(turn_context.activity)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        origin = from_activity(activity)
        if origin is None:
            return
        if activity.value is not None:
            submission = parse_submission(activity.value)
            if submission is not None:
                await self._submitted(turn_context, origin, submission)
            return
        mentions = [m for m in _mentions(activity) if m.id != activity.recipient.id]
        TurnContext.remove_recipient_mention(activity)
        text = (activity.text or "").strip()
        for mention in mentions:
            text = text.replace(f"<at>{mention.name}</at>", f"@{mention.name}")
        people = {"owner": await _identity(turn_context, mentions[0])} if len(mentions) == 1 else {}
        self.surface.text(origin, text, people)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        origin = from_activity(turn_context.activity)
        submission = parse_submission(turn_context.activity.value)
        if origin is None or submission is None:
            error = {"code": "BadRequest", "message": "This is not one of Preflight's buttons."}
            return InvokeResponse(status=200, body=_invoke_body(400, "application/vnd.microsoft.error", error))
        await self._submitted(turn_context, origin, submission)
        # Answered at once (Teams waits only a few seconds); the card itself is updated through the connector
        # when the work is done. botbuilder's AdaptiveCardInvokeResponse cannot carry this text value.
        return InvokeResponse(status=200, body=_invoke_body(200, WORKING, "Working on it…"))

    async def _submitted(self, turn_context: TurnContext, origin: TeamsOrigin, submission: Submission) -> None:
        if submission.form_id is None:
            self.surface.press(origin, submission)
            return
        people: dict[str, Actor] = {}
        picked = submission.data.get("owner")
        if submission.form_id == "add_owner" and isinstance(picked, str) and picked.strip():
            member = await _member(turn_context, picked.strip())
            if member is not None:  # nobody of this conversation: the form says "pick the person"
                people["owner"] = member
        self.surface.tasks.spawn(self.surface.submit(origin, submission, people), name="teams:form")

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        recipient = turn_context.activity.recipient
        if any(member.id == recipient.id for member in members_added):
            origin = from_activity(turn_context.activity)
            if origin is not None:
                self.surface.tasks.spawn(self.surface.welcome(origin), name="teams:welcome")


def _invoke_body(status: int, kind: str, value: Any) -> dict[str, Any]:
    return {"statusCode": status, "type": kind, "value": value}


def _mentions(activity: Any) -> list[ChannelAccount]:
    """The people @mentioned in a message (botbuilder keeps a mention's fields as additional properties)."""
    found: list[ChannelAccount] = []
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        extra = getattr(entity, "additional_properties", None) or {}
        mention = Mention().deserialize({"type": "mention", **extra})
        if mention.mentioned is not None and mention.mentioned.id:
            found.append(mention.mentioned)
    return found


async def _identity(turn_context: TurnContext, account: ChannelAccount) -> Actor:
    """The mentioned person by Azure AD object id (how owners are kept), asking Teams when the mention lacks it."""
    if getattr(account, "aad_object_id", None):
        return person(account)
    try:
        member = await TeamsInfo.get_member(turn_context, account.id)
    except Exception as exc:
        log.info("Could not look up a mentioned Teams member: %s", type(exc).__name__)
        return person(account)
    return person(member)


async def _member(turn_context: TurnContext, picked: str) -> Actor | None:
    """A person of this conversation picked in a form: by the id the people list gave, or by the name or
    email address typed when Teams could not list them. None when nobody matches exactly."""
    try:
        page = await TeamsInfo.get_paged_members(turn_context, None, 100)
    except Exception as exc:
        log.info("Could not list Teams members: %s", type(exc).__name__)
        return None
    wanted = picked.casefold()
    for member in page.members or []:
        names = (member.aad_object_id, member.id, member.name, getattr(member, "email", None))
        if any(isinstance(n, str) and n.casefold() == wanted for n in names):
            return person(member)
    return None
