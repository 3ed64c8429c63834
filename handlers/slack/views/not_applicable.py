"""The "not applicable" modal: the reason, which goes in the report next to who said so and when."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistView
from handlers.slack.views.submission import Values, submit_form

FORM_ID = "not_applicable"


def validate(service: ChecklistService, checklist: ChecklistView, values: Values) -> dict[str, str]:
    if not (values.get("reason") or "").strip():
        return {"reason": "Say why this step does not apply; the reason goes in the report."}
    return {}


async def on_not_applicable_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await submit_form(
        ack, body, client, context, first_field="reason", owners_only="mark steps not applicable", validate=validate
    )
