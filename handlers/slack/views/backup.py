"""The backup modal: the date a complete QuickBooks backup was made, and an optional reference."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistView
from bot.conversation.conversation import parse_date
from handlers.slack.views.submission import Values, submit_form

FORM_ID = "backup"


def validate(service: ChecklistService, checklist: ChecklistView, values: Values) -> dict[str, str]:
    raw = values.get("backup_date")
    if not raw:
        return {"backup_date": "Give the date the backup was made."}
    made = parse_date(raw, "backup_date")
    if made > service.today(checklist.id):
        return {"backup_date": f"{made.isoformat()} is in the future. Give the date the backup was actually made."}
    return {}


async def on_backup_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await submit_form(
        ack, body, client, context, first_field="backup_date", owners_only="confirm the backup", validate=validate
    )
