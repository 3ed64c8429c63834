"""Modal submissions; each Preflight modal's callback_id is `preflight:<form_id>`."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from handlers.slack.views.submission import on_form_submitted


def register(app: AsyncApp) -> None:
    app.view(re.compile(r"^preflight:"))(on_form_submitted)
