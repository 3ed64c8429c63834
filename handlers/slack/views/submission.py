"""What every Preflight modal does when submitted.

What can be checked at once is checked before the ack, so mistakes show inline under the field and the
form stays open: empty or malformed fields, a date on or before QuickBooks' close date (as last read), and
whether the person is an owner. The rest (QuickBooks, Finale) runs after the ack; its outcome is posted in
the channel, and its errors come privately with a button to open the form again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.errors import ChecklistError, NotOwnerError
from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistView
from handlers.slack.origin import FormMetadata, Origin, from_view
from handlers.slack.render import form_errors_response, form_id_of
from handlers.slack.surface import SlackSurface

log = logging.getLogger(__name__)

Values = Mapping[str, str | None]
# (service, checklist, values) -> {field: message}; raising a ChecklistError with a field works too.
Validator = Callable[[ChecklistService, ChecklistView, Values], dict[str, str]]


def state_values(view: Mapping[str, Any]) -> dict[str, str | None]:
    """Every input of a submitted modal by action_id: dates, text, choices and picked users."""
    values: dict[str, str | None] = {}
    for actions in ((view.get("state") or {}).get("values") or {}).values():
        for action_id, entry in (actions or {}).items():
            value = (
                entry.get("selected_date")
                or entry.get("value")
                or (entry.get("selected_option") or {}).get("value")
                or entry.get("selected_user")
            )
            values[action_id] = value if isinstance(value, str) and value.strip() else None
    return values


async def submit_form(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    *,
    first_field: str,
    owners_only: str,
    validate: Validator,
) -> None:
    surface = SlackSurface.of(context)
    view = body.get("view") or {}
    form_id = form_id_of(str(view.get("callback_id") or "")) or ""
    metadata = FormMetadata.decode(str(view.get("private_metadata") or ""))
    if metadata is None:
        await ack()
        log.warning("Submitted Preflight form %r without its channel; ignored", form_id)
        return
    origin = from_view(body, metadata)
    values = state_values(view)
    errors = _quick_errors(surface, origin, values, first_field=first_field, owners_only=owners_only, validate=validate)
    if errors:
        await ack(**form_errors_response(errors))
        return
    await ack()
    surface.spawn(
        surface.submit(client, origin, f"submit_{form_id}", metadata.context, values), name=f"slack:form:{form_id}"
    )


def _quick_errors(
    surface: SlackSurface,
    origin: Origin,
    values: Values,
    *,
    first_field: str,
    owners_only: str,
    validate: Validator,
) -> dict[str, str]:
    checklist = surface.service.find(origin.scope)
    if checklist is None:
        return {}  # the conversation says there is no checklist here
    try:
        surface.service.require_owner(checklist.id, origin.actor(), owners_only)
    except NotOwnerError as exc:
        return {first_field: exc.message}
    try:
        return validate(surface.service, checklist, values)
    except ChecklistError as exc:
        return {getattr(exc, "field", None) or first_field: exc.message}
