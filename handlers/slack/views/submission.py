"""What every Preflight modal does when submitted.

The conversation reads the fields before the ack (`Conversation.check_form`: no QuickBooks or Finale call),
so mistakes show inline under the field and the form stays open: empty or malformed fields, a date on or
before QuickBooks' close date as last read, and whether the person is an owner. The rest runs after the ack
as a turn; its outcome is posted in the channel, and later errors come privately with a button to open the
form again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.views import Actor
from bot.conversation.intents import Intent
from handlers.slack import texts
from handlers.slack.modals import form_errors_response, form_id_of
from handlers.slack.origin import FormMetadata, from_view
from handlers.slack.requests import Pending, view_key
from handlers.slack.surface import SlackSurface

log = logging.getLogger(__name__)


def state_values(view: Mapping[str, Any]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Every input of a submitted modal by action_id (dates, text, choices), and the people picked."""
    values: dict[str, str | None] = {}
    picked: dict[str, str] = {}
    for actions in ((view.get("state") or {}).get("values") or {}).values():
        for action_id, entry in (actions or {}).items():
            user = entry.get("selected_user")
            if isinstance(user, str) and user.strip():
                picked[action_id] = user.strip()
            value = (
                entry.get("selected_date") or entry.get("value") or (entry.get("selected_option") or {}).get("value")
            )
            values[action_id] = value if isinstance(value, str) and value.strip() else None
    return values, picked


async def on_form_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    surface = SlackSurface.of(context)
    view = body.get("view") or {}
    form_id = form_id_of(str(view.get("callback_id") or "")) or ""
    metadata = FormMetadata.decode(str(view.get("private_metadata") or ""))
    if metadata is None:
        # The form cannot say which checklist it belongs to (changed or cut on the way): say so in the form.
        log.warning("Submitted Preflight form %r without a readable channel", form_id)
        await ack(**form_errors_response({_first_block(view): texts.FORM_UNREADABLE}))
        return
    origin = from_view(body, metadata)
    values, picked = state_values(view)
    # The check before the ack reads the database only: people are named by id until the turn asks Slack.
    people = {name: Actor(user_id, user_id) for name, user_id in picked.items()}
    intent = Intent(
        f"submit_{form_id}", origin.actor(), origin.scope, arg=metadata.context, values=values, people=people
    )
    errors = await surface.conversation.check_form(intent)
    if errors:
        await ack(**form_errors_response(errors))
        return
    pending = Pending("submit", intent.name, origin, context=metadata.context, values=values, picked=picked)
    key = view_key(body)
    # Kept before the ack: a second submission of this view (a double click, a retry) changes nothing.
    first = await surface.durable.admit(key, pending)
    if first:
        pending = await surface.durable.show_progress(client, key, pending, intent)
    await ack()
    if first:
        surface.durable.run(client, key, pending)


def _first_block(view: Mapping[str, Any]) -> str:
    """Where a whole-form error shows: the first input's block (Slack shows errors under inputs only)."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return "form"
