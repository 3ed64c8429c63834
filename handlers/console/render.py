"""Cards as terminal text. Buttons get numbers; the chat maps a typed number back to the button."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.cards import (
    Actions,
    Button,
    Card,
    Context,
    Divider,
    Fields,
    Header,
    StatusRow,
    Table,
    Text,
    replace_mentions,
)

ICONS = {
    "pass": "✔",
    "fail": "✘",
    "warn": "!",
    "needs_input": "?",
    "not_applicable": "–",
    "error": "⚠",
    "not_checked": "·",
}
LABELS = {
    "pass": "pass",
    "fail": "FAIL",
    "warn": "warning",
    "needs_input": "waiting for you",
    "not_applicable": "not applicable",
    "error": "could not check",
    "not_checked": "not checked",
}


def plain(text: str) -> str:
    """The neutral markup as terminal text: drop emphasis markers, show links as `label (url)`, people as `@name`."""
    text = replace_mentions(text, lambda mention: f"@{mention.name}")
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return text


@dataclass
class Rendered:
    text: str
    buttons: list[Button] = field(default_factory=list)


def render_card(card: Card, first_number: int = 1) -> Rendered:
    lines: list[str] = []
    buttons: list[Button] = []
    for block in card.blocks:
        if isinstance(block, Header):
            lines += ["", f"== {plain(block.text)} =="]
        elif isinstance(block, Text):
            lines.append(plain(block.text))
        elif isinstance(block, Context):
            lines.append(f"  ({plain(block.text)})")
        elif isinstance(block, Fields):
            width = max((len(k) for k, _ in block.pairs), default=0)
            lines += [f"  {k.ljust(width)} : {plain(v)}" for k, v in block.pairs]
        elif isinstance(block, StatusRow):
            label = LABELS.get(block.status, block.status)
            if block.status == "warn" and block.cleared:
                label = "acknowledged"
            prefix = f"{block.position:>2}. " if block.position else "  "
            lines.append(f"{prefix}[{ICONS.get(block.status, '?')}] {block.title} — {label}")
            lines.append(f"      {plain(block.summary)}")
        elif isinstance(block, Table):
            lines += render_table(block)
        elif isinstance(block, Actions):
            for button in block.buttons:
                number = first_number + len(buttons)
                buttons.append(button)
                target = f" -> {button.url}" if button.url else ""
                lines.append(f"   [{number}] {button.label}{target}")
        elif isinstance(block, Divider):
            lines.append("  " + "-" * 40)
    for attachment in card.attachments:
        lines.append(f"  (attached: {attachment.filename}, {len(attachment.content):,} bytes)")
    return Rendered("\n".join(lines), buttons)


def render_table(table: Table) -> list[str]:
    rows = [tuple(plain(c) for c in r) for r in table.rows]
    widths = [len(c) for c in table.columns]
    for row in rows:
        widths = [min(max(w, len(c)), 48) for w, c in zip(widths, row, strict=False)]
    out = [f"  {plain(table.caption)}:"] if table.caption else []
    out.append("  " + "  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=False)))
    for row in rows:
        cells = [(c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(row, widths, strict=False)]
        out.append("  " + "  ".join(cells))
    more = table.total_rows - len(rows)
    if more > 0:
        out.append(f"  … and {more:,} more")
    return out
