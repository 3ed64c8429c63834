"""Modal submissions; each modal's callback_id is `preflight:<form_id>`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.render import callback_id_for
from handlers.slack.views import add_owner, backup, enable_date, finale_balance, finale_credentials, not_applicable


def register(app: AsyncApp) -> None:
    app.view(callback_id_for(enable_date.FORM_ID))(enable_date.on_enable_date_submitted)
    app.view(callback_id_for(backup.FORM_ID))(backup.on_backup_submitted)
    app.view(callback_id_for(finale_balance.FORM_ID))(finale_balance.on_finale_balance_submitted)
    app.view(callback_id_for(finale_credentials.FORM_ID))(finale_credentials.on_finale_credentials_submitted)
    app.view(callback_id_for(not_applicable.FORM_ID))(not_applicable.on_not_applicable_submitted)
    app.view(callback_id_for(add_owner.FORM_ID))(add_owner.on_add_owner_submitted)
