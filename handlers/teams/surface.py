"""The Teams surface: `POST /api/messages` behind botbuilder's CloudAdapter, the same turn as every surface.

    POST /api/messages   activities from Teams (Bot Framework JWT checked by botbuilder's own validation)
    GET  /files/{token}  the short-lived CSV links (handlers/teams/files.py)

Every request is answered at once; the work runs in a background task and answers through the connector
(handlers/teams/delivery.py), so Teams never waits on QuickBooks or Finale.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ConversationReference

from bot.app import Core
from bot.cards import Card
from bot.checklist.views import Actor, ChecklistView
from bot.conversation import messages as m
from bot.conversation.intents import Intent
from bot.conversation.turn import Turn
from bot.reminders.notify import Notifier
from bot.tasks import BackgroundTasks
from handlers.teams.bot import PreflightTeamsBot
from handlers.teams.config import BotConfig
from handlers.teams.delivery import Connector, TeamsDelivery
from handlers.teams.files import FILES_PATH, Downloads
from handlers.teams.forms import render_form
from handlers.teams.notifier import TeamsNotifier
from handlers.teams.origin import PLATFORM, TeamsOrigin, conversation_key, from_activity
from handlers.teams.render import Submission
from storage.repositories import conversations

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
MAX_BODY = 256 * 1024  # Teams activities are small; a card submission is a few KB


class TeamsSurface:
    platform = PLATFORM

    def __init__(self, core: Core, config: BotConfig, public_url: str) -> None:
        self.core = core
        self.config = config
        self.conversation = core.conversation
        self.turn = Turn(core.conversation)
        self.adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
        self.adapter.on_turn_error = self._on_turn_error
        self.connector = Connector(self.adapter, config.APP_ID)
        self.bot = PreflightTeamsBot(self)
        self.tasks = BackgroundTasks()
        self.files = Downloads(core.sessions, public_url)
        self._remembered: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ Surface

    def mount(self, app: web.Application) -> None:
        app.router.add_post(MESSAGES_PATH, self.messages)
        app.router.add_get(FILES_PATH, self.files.serve)
        if self.config.local:
            log.warning(
                "Teams runs in LOCAL MODE: MicrosoftAppId is empty, so /api/messages accepts activities WITHOUT "
                "checking who sent them. Use it only with Microsoft 365 Agents Playground on this machine; set "
                "MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId for real Teams."
            )

        async def close(_: web.Application) -> None:
            await self.tasks.close()

        app.on_cleanup.append(close)

    def notifier(self) -> Notifier:
        return TeamsNotifier(self.connector, self.origin_for)

    async def qbo_connected(self, view: ChecklistView, context: Mapping[str, str]) -> None:
        self.tasks.spawn(self._announce_qbo(view), name="teams:qbo_connected")

    # ------------------------------------------------------------------ HTTP

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """Never a 500 for what a caller sends: 415/400 for bodies that are not activities, 401 for tokens
        botbuilder refuses (it raises several kinds of error for them, not only PermissionError)."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "Send the activity as application/json."}, status=415)
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.json_response({"error": "The activity is too large."}, status=413)
        try:
            body = json.loads(raw.decode("utf-8"))
            activity = Activity().deserialize(body) if isinstance(body, dict) else None
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError):
            activity = None
        if activity is None or not activity.type:
            return web.json_response({"error": "The body is not a Bot Framework activity."}, status=400)
        try:
            authenticated = await self.adapter.bot_framework_authentication.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except Exception as exc:
            log.info("Refused a Teams request: %s", type(exc).__name__)  # never the token itself
            return web.json_response({"error": "Unauthorized."}, status=401)
        invoke_response = await self.adapter.process_activity(authenticated, activity, self.bot.on_turn)
        if invoke_response is not None:
            body = invoke_response.body
            return web.json_response(
                body if isinstance(body, dict) else serializer_helper(body), status=invoke_response.status
            )
        return web.Response(status=201)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("A Teams turn failed: %s", type(error).__name__, exc_info=error)

    # ------------------------------------------------------------------ activities (from the bot)

    async def remember(self, activity: Activity) -> None:
        """Keep the conversation's reference for proactive reminders; written only when it changed."""
        origin = from_activity(activity)
        if origin is None or not activity.service_url:
            return
        key = (origin.tenant_id, origin.conversation_key)
        base = _base_reference(origin.reference)
        fingerprint = json.dumps(base, sort_keys=True)
        if self._remembered.get(key) == fingerprint:
            return

        def save() -> None:
            with self.core.sessions.begin() as session:
                conversations.save_reference(
                    session,
                    PLATFORM,
                    origin.tenant_id,
                    origin.conversation_key,
                    service_url=str(activity.service_url),
                    reference=base,
                )

        await asyncio.to_thread(save)
        self._remembered[key] = fingerprint

    def text(self, origin: TeamsOrigin, text: str, people: Mapping[str, Actor]) -> None:
        intent = self.conversation.from_text(text, origin.actor, origin.scope)
        if people and intent.name == "owners" and intent.arg.split()[:1] == ["add"]:
            intent = replace(intent, arg="add", people=dict(people))
        self._spawn(origin, intent)

    def press(self, origin: TeamsOrigin, submission: Submission) -> None:
        self._spawn(origin, Intent(submission.action, origin.actor, origin.scope, arg=submission.value))

    async def submit(self, origin: TeamsOrigin, submission: Submission, people: Mapping[str, Actor]) -> None:
        """A form card's submit button: wrong fields re-render the form in place, with what was typed."""
        form_id = submission.form_id or ""
        context = str(submission.data.get("context") or "")
        opened = await self.conversation.handle(
            Intent("open_form", origin.actor, origin.scope, arg=f"{form_id}:{context}" if context else form_id)
        )
        form = opened.form
        delivery = self.delivery(origin)
        if form is None:  # not an owner any more, or the checklist is gone: the reply says so
            await self.turn.deliver(opened.cards, None, delivery)
            return
        from handlers.teams.forms import read_form_values

        values = read_form_values(form, submission.data)
        intent = Intent(
            form.submit_action, origin.actor, origin.scope, arg=form.context, values=values, people=dict(people)
        )
        errors = await self.conversation.check_form(intent)
        if errors and origin.pressed_id is not None:
            card = render_form(form, errors=errors, values=values, people=await delivery.members() or None)
            if await delivery.replace_card(origin.pressed_id, card, form.title):
                return
        self._spawn(origin, intent)

    def delivery(self, origin: TeamsOrigin) -> TeamsDelivery:
        return TeamsDelivery(self.connector, self.files, origin, self.current_card)

    def _spawn(self, origin: TeamsOrigin, intent: Intent) -> None:
        intent = replace(intent, origin=origin.as_context())
        self.tasks.spawn(self._run(intent, origin), name=f"teams:{intent.name}")

    async def _run(self, intent: Intent, origin: TeamsOrigin) -> None:
        await self.turn.run(intent, self.delivery(origin))

    async def welcome(self, origin: TeamsOrigin) -> None:
        await self.delivery(replace(origin, pressed_id=None)).post(m.welcome_card())

    async def current_card(self, origin: TeamsOrigin) -> Card | None:
        """The checklist as it stands, to put back on a pressed card that nothing else replaced."""
        reply = await self.conversation.handle(Intent("status", origin.actor, origin.scope))
        return reply.cards[0] if reply.cards else None

    # ------------------------------------------------------------------ outside a request

    async def origin_for(self, tenant_id: str, conversation: str, actor: Actor | None = None) -> TeamsOrigin | None:
        """How to reach a stored conversation; None when Preflight never heard from it."""

        def load() -> dict[str, Any] | None:
            with self.core.sessions() as session:
                return conversations.find_reference(session, PLATFORM, tenant_id, conversation)

        stored = await asyncio.to_thread(load)
        if stored is None:
            return None
        reference = ConversationReference().deserialize(stored)
        who = actor or Actor("", "Someone")
        data = stored.get("conversation") or {}
        return TeamsOrigin(
            tenant_id=tenant_id,
            conversation_key=conversation_key(conversation),
            user_id=who.user_id,
            user_name=who.name,
            reference=reference,
            channel_id=conversation if data.get("conversationType") == "channel" else None,
            conversation_type=str(data.get("conversationType") or ""),
        )

    async def _announce_qbo(self, view: ChecklistView) -> None:
        origin = await self.origin_for(view.scope.workspace_id, view.scope.channel_id)
        if origin is None:
            log.warning("QuickBooks connected for Teams conversation %s, which Preflight cannot reach", view.id)
            return
        company = view.qbo_company or view.company_label
        delivery = self.delivery(origin)
        await delivery.post(
            m.notice(f"Preflight is connected to QuickBooks Online company **{company}**.", private=False)
        )
        owner = view.owners[0] if view.owners else Actor("", "Someone")
        await self.turn.run(Intent("check", owner, view.scope, arg="admin-access"), delivery)


def _base_reference(reference: ConversationReference) -> dict[str, Any]:
    """The reference without the message it answered, and with a channel thread's id cut back to the channel:
    what reminders and later answers start from."""
    data: dict[str, Any] = reference.serialize()
    data.pop("activityId", None)
    conversation = dict(data.get("conversation") or {})
    if conversation.get("id"):
        conversation["id"] = conversation_key(str(conversation["id"]))
    data["conversation"] = conversation
    data.pop("user", None)  # whoever spoke last is not who a reminder is for
    return data
