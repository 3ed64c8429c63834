"""Adaptive Card building blocks shared by card and form rendering (handlers.teams.render and .forms)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.cards import Style

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
TITLE_MAX = 80
ACTION_STYLE = {Style.PRIMARY: "positive", Style.DANGER: "destructive"}


def action_data(action: str, value: str = "") -> dict[str, str]:
    return {"action": action, "value": value}


def execute_action(
    title: str, verb: str, data: Mapping[str, Any], *, style: Style = Style.DEFAULT, inputs: bool = False
) -> dict[str, Any]:
    """An Action.Execute with its Action.Submit fallback (same title, same data)."""
    submit: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": dict(data)}
    execute: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": dict(data)}
    if not inputs:
        # A card button must not gather (or be blocked by) inputs elsewhere on the card.
        submit["associatedInputs"] = execute["associatedInputs"] = "none"
    if style in ACTION_STYLE:
        submit["style"] = execute["style"] = ACTION_STYLE[style]
    execute["fallback"] = submit
    return execute


def text_block(markdown: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": markdown, "wrap": True, **style}


def adaptive_card(
    body: list[dict[str, Any]], *, fallback: str, actions: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "type": "AdaptiveCard",
        "version": VERSION,
        "body": body,
        "fallbackText": fallback,
    }
    if actions:
        card["actions"] = list(actions)
    return card
