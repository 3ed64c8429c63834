"""Render Preflight's neutral Cards and Forms as Slack Block Kit.

Messages: `client.chat_postMessage(channel=..., **render_message(card))`, or
`respond(**render_response(card))` for a response_url. Modals and App Home: handlers/slack/modals.py.

Every block is built with slack_sdk's Block Kit models, whose `to_dict()` checks Slack's per-field limits;
on top of that the renderer keeps a message within 50 blocks (100 for views), each section within 3000
characters, and always sets the fallback text Slack uses for notifications and screen readers.
Buttons carry `action_id = "preflight:<action>"` (plus ":<n>" when an action repeats within one block):
match them with `action_pattern(action)` or read the action back with `parse_action_id`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

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

ACTION_PREFIX = "preflight:"
ACTION_ID_PATTERN = re.compile(r"^preflight:(?P<action>[^:]+)(?::(?P<index>\d+))?$")

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_MAX_TEXT = 40_000
SECTION_MAX = 3000
FIELD_MAX = 2000
FIELDS_PER_SECTION = 10
HEADER_MAX = 150
CONTEXT_MAX = 3000
BUTTON_LABEL_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTONS_PER_BLOCK = 25
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
MODAL_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
PLACEHOLDER_MAX = 150
OPTION_LABEL_MAX = 75
TABLE_CELL_MAX = 40
RADIO_MAX_OPTIONS = 5  # Slack allows 10; beyond 5 a dropdown reads better
SELECT_MAX_OPTIONS = 100

STATUS_EMOJI: dict[str, str] = {
    "pass": ":white_check_mark:",
    "fail": ":x:",
    "warn": ":warning:",
    "needs_input": ":memo:",
    "not_applicable": ":heavy_minus_sign:",
    "error": ":no_entry:",
}

_ELLIPSIS = "…"
_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"(?m)^(\s*)- ")
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
# Money as Preflight writes it: "$12,345.67", "USD 1,200", "1,200.00 CAD", "-$40.00".
_AMOUNT = re.compile(
    r"-?[$€£¥]\s?-?\d[\d,]*(?:\.\d+)?"
    r"|\b(?:USD|CAD|EUR|GBP|AUD|NZD)\s?-?\d[\d,]*(?:\.\d+)?"
    r"|-?\b\d[\d,]*\.\d{2}\b(?:\s?(?:USD|CAD|EUR|GBP|AUD|NZD))?"
)


# ------------------------------------------------------------------------------------ text helpers


def escape(text: str) -> str:
    """Escape Slack's control characters so user text renders literally and cannot mention anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(text: str) -> str:
    """Neutral markup (see bot.cards) → Slack mrkdwn, with everything else escaped."""
    text = _BULLET.sub(r"\1• ", text)
    parts: list[str] = []
    for i, part in enumerate(_CODE_SPAN.split(text)):
        if i % 2 == 1:  # inside `code`: only escaping applies
            parts.append(escape(part))
            continue
        part = escape(part)
        part = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '¦')}>", part)
        part = _BOLD.sub(r"*\1*", part)
        parts.append(part)
    return "".join(parts)


def to_plain(text: str) -> str:
    """Neutral markup → plain text (headers, button labels, dialog titles render no markup)."""
    text = _BULLET.sub(r"\1• ", text)
    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"\1 (\2)", text)
    text = _BOLD.sub(r"\1", text)
    return re.sub(r"`([^`\n]+)`", r"\1", text)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + _ELLIPSIS


def _safe_cut(text: str, limit: int) -> int:
    """An index ≤ limit at which mrkdwn can be cut without splitting an `&amp;` entity or a `<link>`."""
    if len(text) <= limit:
        return len(text)
    cut = limit
    amp, lt = text.rfind("&", 0, cut), text.rfind("<", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    if lt != -1 and lt < cut and ">" not in text[lt:cut]:
        cut = lt
    if cut == 0:  # a single link longer than the limit: cut it anyway rather than loop
        cut = limit
    newline = text.rfind("\n", 0, cut)
    space = text.rfind(" ", 0, cut)
    for boundary in (newline, space):
        if boundary > cut * 0.8:
            return boundary
    return cut


def truncate_mrkdwn(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: _safe_cut(text, limit - 1)].rstrip() + _ELLIPSIS


def split_mrkdwn(text: str, limit: int) -> list[str]:
    """Split converted text into chunks of at most `limit` characters, at line breaks where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _safe_cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest.strip():
        chunks.append(rest)
    return [c for c in chunks if c.strip()]


def fit_keeping_amounts(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters, keeping every sentence that states an amount if possible.

    A confirmation dialog must still say how much money moves after Slack's length limits are applied.
    """
    if len(text) <= limit:
        return text
    if not _AMOUNT.search(text):
        return truncate(text, limit)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    keep = [False] * len(sentences)

    def length() -> int:
        kept = [s for s, k in zip(sentences, keep, strict=True) if k]
        gaps = sum(1 for i, k in enumerate(keep) if not k and (i == 0 or keep[i - 1]))
        return sum(len(s) for s in kept) + max(len(kept) - 1, 0) + gaps * 2

    for want_amount in (True, False):
        for i, sentence in enumerate(sentences):
            if keep[i] or bool(_AMOUNT.search(sentence)) != want_amount:
                continue
            keep[i] = True
            if length() > limit:
                keep[i] = False
    if not any(keep[i] for i, s in enumerate(sentences) if _AMOUNT.search(s)):
        # One sentence holds the amount and is itself too long: show a window around the amount.
        match = _AMOUNT.search(text)
        assert match is not None
        start = max(0, min(match.start() - limit // 3, len(text) - limit + 2))
        window = text[start : start + limit - 2].strip()
        return (_ELLIPSIS if start > 0 else "") + window + _ELLIPSIS
    out: list[str] = []
    for i, sentence in enumerate(sentences):
        if keep[i]:
            out.append(sentence)
        elif not out or out[-1] != _ELLIPSIS:
            out.append(_ELLIPSIS)
    return truncate(" ".join(out), limit)


# ------------------------------------------------------------------------------------- buttons


def action_id_for(action: str, index: int | None = None) -> str:
    return f"{ACTION_PREFIX}{action}" if index is None else f"{ACTION_PREFIX}{action}:{index}"


def parse_action_id(action_id: str) -> str | None:
    """The intent behind a Preflight action_id ("preflight:confirm:2" → "confirm"), else None."""
    match = ACTION_ID_PATTERN.match(action_id)
    return match.group("action") if match else None


def action_pattern(action: str) -> re.Pattern[str]:
    """For `app.action(action_pattern("confirm"))`: matches the action with or without an index suffix."""
    return re.compile(rf"^{re.escape(ACTION_PREFIX + action)}(?::\d+)?$")


def _confirm(button: Button) -> ConfirmObject | None:
    dialog = button.confirm
    if dialog is None:
        return None
    return ConfirmObject(
        title=PlainTextObject(text=fit_keeping_amounts(to_plain(dialog.title), CONFIRM_TITLE_MAX)),
        text=PlainTextObject(text=fit_keeping_amounts(to_plain(dialog.text), CONFIRM_TEXT_MAX)),
        confirm=PlainTextObject(text=truncate(to_plain(dialog.confirm), CONFIRM_BUTTON_MAX)),
        deny=PlainTextObject(text=truncate(to_plain(dialog.deny), CONFIRM_BUTTON_MAX)),
        style="danger" if button.style is Style.DANGER else None,
    )


def render_button(button: Button, action_id: str) -> dict[str, Any]:
    if len(button.value) > BUTTON_VALUE_MAX:
        # A cut value would trigger the wrong thing; this is a bug in the caller, not user input.
        raise ValueError(f"button value for {button.action!r} exceeds {BUTTON_VALUE_MAX} characters")
    element = ButtonElement(
        text=PlainTextObject(text=truncate(to_plain(button.label), BUTTON_LABEL_MAX) or button.action),
        action_id=action_id,
        value=button.value or None,
        url=button.url,
        style=None if button.style is Style.DEFAULT else str(button.style),
        confirm=_confirm(button),
    )
    return element.to_dict()


def _actions_blocks(actions: Actions) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    buttons = list(actions.buttons)
    for start in range(0, len(buttons), BUTTONS_PER_BLOCK):
        chunk = buttons[start : start + BUTTONS_PER_BLOCK]
        seen: dict[str, int] = {}
        elements: list[dict[str, Any]] = []
        for index, button in enumerate(chunk):
            # Slack requires unique action_ids within a block: repeat actions get their position appended.
            repeat = seen.get(button.action, 0)
            seen[button.action] = repeat + 1
            elements.append(render_button(button, action_id_for(button.action, index if repeat else None)))
        blocks.append(ActionsBlock(elements=elements).to_dict())
    return blocks


# -------------------------------------------------------------------------------------- blocks


def section_block(mrkdwn: str) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn)).to_dict()


def _context(mrkdwn: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate_mrkdwn(mrkdwn, CONTEXT_MAX))]).to_dict()


def status_line(row: StatusRow) -> str:
    """The mrkdwn of one checklist line: icon, position, title, and the summary below it."""
    emoji = STATUS_EMOJI.get(row.status, ":grey_question:")
    note = ""
    if row.status == "warn" and row.cleared:
        emoji, note = STATUS_EMOJI["pass"], " _(acknowledged)_"
    position = f"{row.position}. " if row.position else ""
    title = f"{emoji} {position}*{escape(to_plain(row.title))}*{note}"
    summary = to_mrkdwn(row.summary.strip())
    return truncate_mrkdwn(f"{title}\n{summary}" if summary else title, SECTION_MAX)


def _table_blocks(table: Table, *, csv_attached: bool) -> list[dict[str, Any]]:
    def cell(value: str) -> str:
        flat = " ".join(value.split()).replace("`", "'")
        return truncate(flat, TABLE_CELL_MAX)

    columns = [cell(c) for c in table.columns]
    rows = [[cell(v) for v in row] for row in table.rows]
    widths = [len(c) for c in columns]
    for row in rows:
        for i, value in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(value))

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(widths[i]) if i < len(widths) else v for i, v in enumerate(values)]
        return escape("  ".join(padded).rstrip())

    caption = f"*{escape(to_plain(table.caption))}*\n" if table.caption else ""
    head = [line(columns), escape("  ".join("-" * w for w in widths))] if columns else []
    budget = SECTION_MAX - len(caption) - len("```\n\n```")
    body: list[str] = []
    used = sum(len(h) + 1 for h in head)
    for row in rows:
        rendered = line(row)
        if used + len(rendered) + 1 > budget:
            break
        body.append(rendered)
        used += len(rendered) + 1
    total = max(table.total_rows, len(rows))
    hidden = total - len(body)
    blocks: list[dict[str, Any]] = []
    if head or body:
        blocks.append(section_block(caption + "```\n" + "\n".join(head + body) + "\n```"))
    elif caption:
        blocks.append(section_block(caption + "_Nothing to list._"))
    if hidden > 0:
        where = "see the attached CSV" if csv_attached else "ask for the report to see them all"
        blocks.append(_context(f"…and {hidden:,} more — {where}."))
    return blocks


def _fields_blocks(fields: Fields) -> list[dict[str, Any]]:
    texts = [
        MarkdownTextObject(text=truncate_mrkdwn(f"*{escape(to_plain(label))}*\n{to_mrkdwn(value) or ' '}", FIELD_MAX))
        for label, value in fields.pairs
    ]
    return [
        SectionBlock(fields=texts[i : i + FIELDS_PER_SECTION]).to_dict()
        for i in range(0, len(texts), FIELDS_PER_SECTION)
    ]


def render_block(block: Block, *, csv_attached: bool) -> list[tuple[str, dict[str, Any]]]:
    """One neutral block → Block Kit blocks, each tagged with its kind for the size guard."""
    if isinstance(block, Header):
        text = truncate(to_plain(block.text).strip(), HEADER_MAX)
        return [("header", HeaderBlock(text=PlainTextObject(text=text)).to_dict())] if text else []
    if isinstance(block, Text):
        return [("text", section_block(chunk)) for chunk in split_mrkdwn(to_mrkdwn(block.text), SECTION_MAX)]
    if isinstance(block, Context):
        text = to_mrkdwn(block.text).strip()
        return [("context", _context(text))] if text else []
    if isinstance(block, Fields):
        return [("fields", b) for b in _fields_blocks(block)] if block.pairs else []
    if isinstance(block, StatusRow):
        return [("status", section_block(status_line(block)))]
    if isinstance(block, Table):
        return [("table", b) for b in _table_blocks(block, csv_attached=csv_attached)]
    if isinstance(block, Actions):
        return [("actions", b) for b in _actions_blocks(block)] if block.buttons else []
    if isinstance(block, Divider):
        return [("divider", DividerBlock().to_dict())]
    raise TypeError(f"unknown card block {type(block).__name__}")


def _merge_sections(tagged: list[tuple[str, dict[str, Any]]], kinds: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Join runs of adjacent text sections of the given kinds into as few sections as fit 3000 chars."""
    kinds = kinds | {"merged"}
    merged: list[tuple[str, dict[str, Any]]] = []
    for kind, block in tagged:
        if kind in kinds and merged and merged[-1][0] in kinds:
            previous = merged[-1][1]["text"]["text"]
            joined = f"{previous}\n{block['text']['text']}"
            if len(joined) <= SECTION_MAX:
                merged[-1] = ("merged", section_block(joined))
                continue
        merged.append(("merged" if kind in kinds else kind, block))
    return merged


def fit_blocks(tagged: list[tuple[str, dict[str, Any]]], limit: int) -> list[dict[str, Any]]:
    """Keep a reply within Slack's block limit, losing as little as possible."""
    if len(tagged) > limit:
        tagged = [t for t in tagged if t[0] != "divider"]
    if len(tagged) > limit:
        tagged = _merge_sections(tagged, {"status"})
    if len(tagged) > limit:
        tagged = _merge_sections(tagged, {"status", "text", "merged"})
    if len(tagged) > limit:
        # Still too long: keep the beginning and the closing buttons, and say that the rest is elided.
        tail: list[tuple[str, dict[str, Any]]] = []
        while tagged and tagged[-1][0] == "actions" and len(tail) < 2:
            tail.insert(0, tagged.pop())
        head = tagged[: limit - 1 - len(tail)]
        note = (
            "context",
            _context("…more than fits in one Slack message. `/preflight status` lists everything."),
        )
        tagged = [*head, note, *tail]
    return [block for _, block in tagged]


def render_blocks(card: Card, *, max_blocks: int = MESSAGE_MAX_BLOCKS) -> list[dict[str, Any]]:
    """The Block Kit blocks of a card, at most `max_blocks` of them."""
    csv_attached = any(a.filename.lower().endswith(".csv") for a in card.attachments)
    tagged: list[tuple[str, dict[str, Any]]] = []
    for block in card.blocks:
        tagged.extend(render_block(block, csv_attached=csv_attached))
    return fit_blocks(tagged, max_blocks)


def fallback_text(card: Card) -> str:
    """The notification text: the card's fallback, else its header or first text, never empty."""
    text = card.fallback.strip()
    if not text:
        for block in card.blocks:
            if isinstance(block, Header | Text) and block.text.strip():
                text = block.text.strip()
                break
    return truncate_mrkdwn(to_mrkdwn(text or "Preflight"), MESSAGE_MAX_TEXT)


def render_message(card: Card) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.update / chat.postEphemeral: `text` and `blocks`."""
    return {"text": fallback_text(card), "blocks": render_blocks(card)}


def render_response(card: Card) -> dict[str, Any]:
    """Keyword arguments for Bolt's `respond()` (a response_url post): visibility and replacement too."""
    return {
        **render_message(card),
        "response_type": "ephemeral" if card.private else "in_channel",
        "replace_original": card.replace,
    }


def file_uploads(card: Card) -> list[dict[str, Any]]:
    """The card's attachments as `files_upload_v2(file_uploads=...)` entries."""
    return [{"content": a.content, "filename": a.filename, "title": a.title or a.filename} for a in card.attachments]
