"""Buttons. Every Preflight button has action_id `preflight:<intent>[:n]` and carries the intent's argument."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from handlers.slack.actions import confirm, link, open_form, step, unknown
from handlers.slack.render import action_pattern


def register(app: AsyncApp) -> None:
    for action in step.ACTIONS:
        app.action(action_pattern(action))(step.on_step_button)
    for action in confirm.ACTIONS:
        app.action(action_pattern(action))(confirm.on_confirm_button)
    for action in open_form.ACTIONS:
        app.action(action_pattern(action))(open_form.on_open_form_button)
    app.action(action_pattern(link.ACTION))(link.on_link_button)
    # Last: buttons of older messages whose action no longer exists still get an answer.
    app.action(re.compile(r"^preflight:"))(unknown.on_unknown_button)
