"""Render Preflight's neutral Cards as Adaptive Cards 1.5, the newest version Teams renders.

Send: `MessageFactory.attachment(CardFactory.adaptive_card(render_card(card)))`; answer an `adaptiveCard/action`
invoke with `AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD_CONTENT_TYPE, value=render_card(...))`.
Forms (bot.cards.Form) are cards with inputs: see handlers.teams.forms (`render_form`, `read_form_values`).

Design, given what Teams does and does not offer:
- Buttons are `Action.Execute` (Universal Actions, the model that lets the bot replace the card in place):
  verb = the button's intent, data = {"action": intent, "value": argument}. Each carries an `Action.Submit`
  `fallback` with the same data for a Teams client that does not know Execute; its click arrives as a message
  activity whose `value` holds that data. `parse_submission` reads either shape.
- Link buttons are `Action.OpenUrl`.
- Adaptive Cards have no confirmation dialog. A button that needs confirming is an `Action.ShowCard`: clicking
  it unfolds, inside the card, the exact confirmation text and the real Execute button, so nothing happens
  until the person reads the statement (with its amounts, never shortened) and confirms. Clicking the button
  again folds it away, which is what "Cancel" does; the unfolded card says so.
- Checklist lines (StatusRow) are grouped into a FactSet: "✅ 3. Title" → summary.
- Findings (Table) are an AC 1.5 Table of at most TABLE_MAX_ROWS rows, then "…and N more" pointing at the
  attached CSV or the Download CSV button.
- Teams refuses a message over about 28 KB. The rendered card is kept under CARD_MAX_BYTES (compact JSON,
  UTF-8): first tables shrink, then the end of the body is replaced by a note, keeping the closing buttons.
- Divider becomes `separator: true` on the next element; Card.private / replace / attachments are the
  sending surface's business (Teams has no ephemeral channel messages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards import (
    Actions,
    Block,
    Button,
    Card,
    Context,
    Divider,
    Fields,
    Header,
    StatusRow,
    Style,
    Table,
    Text,
)
from handlers.teams.elements import (
    ACTION_STYLE,
    ADAPTIVE_CARD_CONTENT_TYPE,
    SCHEMA_URL,
    TITLE_MAX,
    VERSION,
    action_data,
    adaptive_card,
    execute_action,
    text_block,
)
from handlers.teams.forms import read_form_values, render_form
from handlers.teams.markdown import escape, to_markdown, to_plain, truncate

CARD_MAX_BYTES = 26_000  # Teams' ~28 KB per message, less room for the activity around the card
TABLE_MAX_ROWS = 10
TABLE_CELL_MAX = 120
PRIMARY_ACTIONS_MAX = 6  # Teams shows up to six buttons; further ones go to the "…" menu (mode: secondary)

STATUS_ICON: dict[str, str] = {
    "pass": "✅",
    "fail": "❌",
    "warn": "⚠️",
    "needs_input": "📝",
    "not_applicable": "➖",
    "error": "⛔",
}
UNKNOWN_ICON = "⏳"

_TOO_LONG_NOTE = "…more than fits in one Teams message. Type **status** to list everything."


# --------------------------------------------------------------------------------------- actions


def _title(button: Button) -> str:
    return truncate(to_plain(button.label), TITLE_MAX) or button.action


def render_button(button: Button) -> dict[str, Any]:
    title = _title(button)
    if button.url:
        action: dict[str, Any] = {"type": "Action.OpenUrl", "title": title, "url": button.url}
        if button.style in ACTION_STYLE:
            action["style"] = ACTION_STYLE[button.style]
        return action
    execute = execute_action(title, button.action, action_data(button.action, button.value), style=button.style)
    dialog = button.confirm
    if dialog is None:
        return execute
    confirm = execute_action(
        truncate(to_plain(dialog.confirm), TITLE_MAX) or title,
        button.action,
        action_data(button.action, button.value),
        style=button.style if button.style is not Style.DEFAULT else Style.PRIMARY,
    )
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {
            "type": "AdaptiveCard",
            "body": [
                {"type": "TextBlock", "text": escape(to_plain(dialog.title)), "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": to_markdown(dialog.text), "wrap": True},
                {
                    "type": "TextBlock",
                    "text": escape(
                        f"Nothing is recorded until you press the button below. To cancel, click “{title}” again."
                    ),
                    "isSubtle": True,
                    "size": "Small",
                    "wrap": True,
                },
            ],
            "actions": [confirm],
        },
    }


def _action_set(buttons: Sequence[Button]) -> dict[str, Any]:
    actions = [render_button(b) for b in buttons]
    for action in actions[PRIMARY_ACTIONS_MAX:]:
        action["mode"] = "secondary"
    return {"type": "ActionSet", "actions": actions}


@dataclass(frozen=True)
class Submission:
    """What a click or a form submission carries, whichever way Teams delivered it."""

    action: str
    value: str
    data: dict[str, Any]  # everything, including input values for a form

    @property
    def form_id(self) -> str | None:
        form_id = self.data.get("form_id")
        return form_id if isinstance(form_id, str) and form_id else None


def parse_submission(payload: Any) -> Submission | None:
    """The intent behind an `adaptiveCard/action` invoke value or an Action.Submit message `value`; None when
    the payload is not one of Preflight's buttons."""
    if not isinstance(payload, Mapping):
        return None
    data: Any = payload
    inner = payload.get("action")
    if isinstance(inner, Mapping):  # an invoke: {"action": {"type": "Action.Execute", "verb", "data"}}
        data = inner.get("data")
        if not isinstance(data, Mapping):
            return None
    action = data.get("action")
    value = data.get("value", "")
    if not isinstance(action, str) or not action or not isinstance(value, str):
        return None
    return Submission(action=action, value=value, data=dict(data))


# -------------------------------------------------------------------------------------- elements


def status_fact(row: StatusRow) -> dict[str, str]:
    icon = STATUS_ICON.get(row.status, UNKNOWN_ICON)
    note = ""
    if row.status == "warn" and row.cleared:
        icon, note = STATUS_ICON["pass"], "_(acknowledged)_ "
    position = f"{row.position}. " if row.position else ""
    # FactSet titles render as plain text; values take markdown.
    return {"title": f"{icon} {position}{to_plain(row.title)}", "value": note + (to_markdown(row.summary) or " ")}


def _is_number(value: str) -> bool:
    return bool(value) and value.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()


def _table_elements(table: Table, max_rows: int, *, more_hint: str) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    if table.caption:
        elements.append(text_block(f"**{escape(to_plain(table.caption))}**"))
    shown = list(table.rows[:max_rows])
    if table.columns and shown:

        def cell(value: str, **style: Any) -> dict[str, Any]:
            text = escape(truncate(" ".join(value.split()), TABLE_CELL_MAX)) or " "
            return {"type": "TableCell", "items": [text_block(text, **style)]}

        columns: list[dict[str, Any]] = []
        for i in range(len(table.columns)):
            values = [row[i] for row in shown if i < len(row) and row[i]]
            # Short cells (ids, quantities, amounts) get the pixels they need, never wrapped a letter a line;
            # the columns of sentences share what is left, in proportion to their text.
            longest = max([len(table.columns[i]), *(min(len(v), TABLE_CELL_MAX) for v in values)])
            width: int | str = f"{min(120, max(48, 24 + 8 * longest))}px" if longest <= 13 else 2 + (longest > 40)
            column: dict[str, Any] = {"type": "TableColumnDefinition", "width": width}
            if values and all(_is_number(v) for v in values):
                column["horizontalCellContentAlignment"] = "Right"
            columns.append(column)
        header = {"type": "TableRow", "cells": [cell(c, weight="Bolder") for c in table.columns]}
        body = [
            {"type": "TableRow", "cells": [cell(row[i] if i < len(row) else "") for i in range(len(table.columns))]}
            for row in shown
        ]
        elements.append({"type": "Table", "columns": columns, "rows": [header, *body], "firstRowAsHeader": True})
    elif not table.rows:
        elements.append(text_block("_Nothing to list._", isSubtle=True))
    hidden = max(table.total_rows, len(table.rows)) - len(shown)
    if hidden > 0:
        note = f"…and {hidden:,} more." + (f" {more_hint}" if more_hint else "")
        elements.append(text_block(note, isSubtle=True, size="Small"))
    return elements


def _more_hint(card: Card) -> str:
    if any(a.filename.lower().endswith(".csv") for a in card.attachments):
        return "The attached CSV lists them all."
    buttons = [b for block in card.blocks if isinstance(block, Actions) for b in block.buttons]
    export = next((b for b in buttons if b.action == "export"), None)
    if export is not None:
        return f"**{escape(_title(export))}** lists them all."
    return ""  # no full list to point at: say how many are left out, and no more


def _elements(block: Block, *, table_rows: int, more_hint: str) -> list[dict[str, Any]]:
    if isinstance(block, Header):
        text = to_plain(block.text).strip()
        return [text_block(escape(text), size="Large", weight="Bolder", style="heading")] if text else []
    if isinstance(block, Text):
        text = to_markdown(block.text)
        return [text_block(text)] if text.strip() else []
    if isinstance(block, Context):
        text = to_markdown(block.text)
        return [text_block(text, isSubtle=True, size="Small")] if text.strip() else []
    if isinstance(block, Fields):
        facts = [{"title": to_plain(label), "value": to_markdown(value) or " "} for label, value in block.pairs]
        return [{"type": "FactSet", "facts": facts}] if facts else []
    if isinstance(block, StatusRow):
        return [{"type": "FactSet", "facts": [status_fact(block)]}]
    if isinstance(block, Table):
        return _table_elements(block, table_rows, more_hint=more_hint)
    if isinstance(block, Actions):
        return [_action_set(block.buttons)] if block.buttons else []
    raise TypeError(f"unknown card block {type(block).__name__}")


def render_body(card: Card, *, table_rows: int = TABLE_MAX_ROWS) -> list[dict[str, Any]]:
    """The card's body elements. Adjacent checklist lines share one FactSet; a Divider separates."""
    more_hint = _more_hint(card)
    body: list[dict[str, Any]] = []
    separate = False
    previous: Block | None = None
    for block in card.blocks:
        if isinstance(block, Divider):
            separate = bool(body)
            continue
        if isinstance(block, StatusRow) and isinstance(previous, StatusRow) and not separate:
            body[-1]["facts"].append(status_fact(block))
            previous = block
            continue
        elements = _elements(block, table_rows=table_rows, more_hint=more_hint)
        if elements and separate:
            elements[0]["separator"] = True
            separate = False
        body.extend(elements)
        previous = block if elements else previous
    if not body:
        body.append(text_block(escape(fallback_text(card))))
    return body


def fallback_text(card: Card) -> str:
    """One plain sentence for notifications and clients that cannot show the card; never empty."""
    text = card.fallback.strip()
    if not text:
        text = next((b.text.strip() for b in card.blocks if isinstance(b, Header | Text) and b.text.strip()), "")
    return to_plain(text) or "Preflight"


def card_size(card: Mapping[str, Any]) -> int:
    """Bytes of the card as sent: compact JSON, UTF-8."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _fit(body: list[dict[str, Any]], fallback: str, limit: int) -> dict[str, Any]:
    """Replace the end of the body with a note (keeping the closing buttons) until the card fits."""
    tail: list[dict[str, Any]] = []
    while body and body[-1]["type"] == "ActionSet" and len(tail) < 2:
        tail.insert(0, body.pop())
    note = text_block(_TOO_LONG_NOTE, isSubtle=True, size="Small")
    keep = len(body)
    while keep > 0:
        card = adaptive_card([*body[:keep], note, *tail], fallback=fallback)
        if card_size(card) <= limit:
            return card
        keep -= 1
    return adaptive_card([note, *tail], fallback=fallback)


def render_card(card: Card, *, max_bytes: int = CARD_MAX_BYTES) -> dict[str, Any]:
    """An Adaptive Card 1.5 (a JSON-ready dict) for the neutral card, within Teams' message size."""
    fallback = fallback_text(card)
    rendered: dict[str, Any] = {}
    for rows in (TABLE_MAX_ROWS, 5, 2, 0):
        rendered = adaptive_card(render_body(card, table_rows=rows), fallback=fallback)
        if card_size(rendered) <= max_bytes:
            return rendered
    return _fit(rendered["body"], fallback, max_bytes)


def render_attachment(card: Card) -> dict[str, Any]:
    """The Bot Framework attachment (what `CardFactory.adaptive_card` builds), as JSON."""
    return {"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": render_card(card)}


# Forms live in their own module; re-exported so that one import serves the Teams surface.
__all__ = [
    "ADAPTIVE_CARD_CONTENT_TYPE",
    "SCHEMA_URL",
    "VERSION",
    "action_data",
    "Submission",
    "card_size",
    "fallback_text",
    "parse_submission",
    "read_form_values",
    "render_attachment",
    "render_button",
    "render_card",
    "render_form",
]
