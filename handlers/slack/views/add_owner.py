"""The "Add an owner" modal: Slack's user picker, so the new owner is one exact person (by user id)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.models.blocks import InputBlock, PlainTextObject, UserSelectElement
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.errors import NotOwnerError
from handlers.slack.origin import FormMetadata, from_view
from handlers.slack.render import callback_id_for, form_errors_response
from handlers.slack.surface import SlackSurface
from handlers.slack.views.submission import state_values

FORM_ID = "add_owner"
FIELD = "owner"


def add_owner_modal(channel_id: str) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=callback_id_for(FORM_ID),
        title=PlainTextObject(text="Add an owner"),
        submit=PlainTextObject(text="Add"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=FormMetadata(channel_id).encode(),
        blocks=[
            InputBlock(
                block_id=FIELD,
                label=PlainTextObject(text="Who else may confirm and change answers?"),
                element=UserSelectElement(action_id=FIELD, placeholder=PlainTextObject(text="Pick a person")),
            )
        ],
    ).to_dict()


async def on_add_owner_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    surface = SlackSurface.of(context)
    view = body.get("view") or {}
    metadata = FormMetadata.decode(str(view.get("private_metadata") or ""))
    user_id = state_values(view).get(FIELD)
    if metadata is None or not user_id:
        await ack(**form_errors_response({FIELD: "Pick the person to add."}))
        return
    origin = from_view(body, metadata)
    checklist = surface.service.find(origin.scope)
    if checklist is not None:
        try:
            surface.service.require_owner(checklist.id, origin.actor(), "add owners")
        except NotOwnerError as exc:
            await ack(**form_errors_response({FIELD: exc.message}))
            return
    await ack()
    # The same intent as typing `/preflight owners add @person`; the service checks the submitter owns it.
    surface.spawn(surface.command(client, origin, f"owners add <@{user_id}>"), name="slack:form:add_owner")
