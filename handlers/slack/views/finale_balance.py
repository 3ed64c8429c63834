"""The Finale balance modal: Finale's inventory asset balance on the day before the enable date."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistView
from bot.conversation.conversation import parse_amount
from handlers.slack.views.submission import Values, submit_form

FORM_ID = "finale_balance"


def validate(service: ChecklistService, checklist: ChecklistView, values: Values) -> dict[str, str]:
    raw = values.get("amount")
    if not raw:
        return {"amount": "Type the balance, e.g. 48,210.37."}
    parse_amount(raw, "amount")
    if not checklist.enable_date_decided or checklist.enable_date is None:
        return {"amount": "Pick the enable date first: the balance is Finale's on the day before it."}
    return {}


async def on_finale_balance_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await submit_form(ack, body, client, context, first_field="amount", owners_only="enter balances", validate=validate)
