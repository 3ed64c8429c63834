"""Events: the App Home tab, and the app leaving a workspace."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers.slack.events.app_home_opened import on_app_home_opened
from handlers.slack.events.app_uninstalled import on_app_uninstalled
from handlers.slack.events.tokens_revoked import on_tokens_revoked


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(on_app_home_opened)
    app.event("app_uninstalled")(on_app_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
