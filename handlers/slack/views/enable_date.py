"""The enable date modal: a date picker, or a deliberate blank (push the whole history)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistView
from bot.conversation.conversation import parse_date
from handlers.slack.views.submission import Values, submit_form

FORM_ID = "enable_date"


def validate(service: ChecklistService, checklist: ChecklistView, values: Values) -> dict[str, str]:
    if values.get("blank") == "yes":
        return {}
    raw = values.get("enable_date")
    if not raw:
        return {"enable_date": "Pick a date, or choose to leave it blank."}
    chosen = parse_date(raw, "enable_date")
    # The close date as of the last check: no QuickBooks call here, Slack wants an answer within 3 seconds.
    # The service checks it again live before anything is saved.
    close = service.book_close_date(checklist.id)
    if close is not None and chosen <= close:
        return {
            "enable_date": (
                f"The books are closed through {close.isoformat()} in QuickBooks, so the enable date must be "
                f"after it. Pick {(close + timedelta(days=1)).isoformat()} or later, or change the closing date "
                "in QuickBooks first."
            )
        }
    return {}


async def on_enable_date_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await submit_form(
        ack, body, client, context, first_field="enable_date", owners_only="set the enable date", validate=validate
    )
