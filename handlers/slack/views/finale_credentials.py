"""The Finale credentials modal. The key is checked with a live call to Finale before it is saved
(encrypted); it is never shown again, logged or echoed in a message."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.checklist.service import ChecklistService
from bot.checklist.views import ChecklistView
from handlers.slack.views.submission import Values, submit_form

FORM_ID = "finale_credentials"
_ACCOUNT = re.compile(r"[A-Za-z0-9._-]+")


def validate(service: ChecklistService, checklist: ChecklistView, values: Values) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, label in (("account", "the account path"), ("api_key", "the API key"), ("api_secret", "the API secret")):
        if not (values.get(name) or "").strip():
            errors[name] = f"Fill in {label}."
    account = (values.get("account") or "").strip().strip("/")
    if account and not _ACCOUNT.fullmatch(account):
        errors["account"] = "The account path is the single word after app.finaleinventory.com/ in your Finale address."
    return errors


async def on_finale_credentials_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await submit_form(
        ack, body, client, context, first_field="account", owners_only="connect Finale", validate=validate
    )
