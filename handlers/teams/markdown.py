"""Preflight's neutral markup (see bot.cards) → the markdown subset an Adaptive Card TextBlock renders in Teams.

Teams' TextBlock understands `**bold**`, `_italic_`, `- ` bullet lists, numbered lists and `[label](url)` links,
and nothing else: no inline code, no headings, no HTML. So:
- `**bold**`, `_italic_` and web/mail links pass through;
- `` `code` `` (commands such as `next`) becomes bold, because Teams would show the backticks literally;
- a line break becomes a paragraph break (a single newline is folded into a space by TextBlock's markdown),
  except between bullet lines, which stay one list;
- everything else a person or a check wrote is backslash-escaped, so a name such as `Kids_Café *Mugs*`
  renders literally instead of turning italic or bold.
"""

from __future__ import annotations

import re

from bot.cards import replace_mentions

_LINK = re.compile(r"\[([^\]\n]+)\]\(((?:https?://|mailto:)[^)\s]+)\)")
_TOKEN = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<link>\[[^\]\n]+\]\((?:https?://|mailto:)[^)\s]+\))"
    r"|(?P<bold>\*\*.+?\*\*)"
    r"|(?P<italic>(?<![\w_])_[^_\n]+_(?![\w_]))"
)
# Characters that start markdown formatting; a backslash makes CommonMark render them literally.
_SPECIAL = re.compile(r"([\\`*_\[\]])")
_BULLET = re.compile(r"^(\s*)- (.*)$")
_ORDERED = re.compile(r"^(\s*\d+)([.)]) ")
_ELLIPSIS = "…"


def escape(text: str) -> str:
    """User or check text rendered literally in a TextBlock (no bold, italic, links or lists)."""
    text = _SPECIAL.sub(r"\\\1", text)
    # "1. " or "# " at a line start would become a list or a heading.
    lines = [_ORDERED.sub(r"\1\\\2 ", line) for line in text.split("\n")]
    return "\n".join(("\\" + line) if line.startswith(("#", "- ", "+ ", ">")) else line for line in lines)


def _inline(text: str, *, bold: bool = False) -> str:
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(escape(text[position : match.start()]))
        token = match.group(0)
        if match.group("code"):
            # Already bold: the command text simply stays bold.
            out.append(escape(token[1:-1]) if bold else f"**{escape(token[1:-1])}**")
        elif match.group("link"):
            link = _LINK.fullmatch(token)
            assert link is not None
            out.append(f"[{escape(link.group(1))}]({link.group(2)})")
        elif match.group("bold"):
            out.append(f"**{_inline(token[2:-2], bold=True)}**")
        else:
            out.append(f"_{escape(token[1:-1])}_")
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def to_markdown(text: str) -> str:
    """Neutral markup → TextBlock markdown (see the module docstring). A mention shows the name for now."""
    text = replace_mentions(text, lambda mention: f"@{mention.name}")
    pieces: list[tuple[bool, str]] = []
    for raw in text.strip("\n").split("\n"):
        bullet = _BULLET.match(raw)
        if bullet:
            pieces.append((True, f"{bullet.group(1)}- {_inline(bullet.group(2))}"))
        else:
            pieces.append((False, _inline(raw)))
    out = ""
    for i, (is_bullet, line) in enumerate(pieces):
        if i:
            out += "\n" if is_bullet and pieces[i - 1][0] else "\n\n"
        out += line
    return out


def to_plain(text: str) -> str:
    """Neutral markup → plain text, for places Teams shows verbatim (button titles, facts' titles, fallbacks)."""
    text = replace_mentions(text, lambda mention: f"@{mention.name}")
    text = re.sub(r"\[([^\]\n]+)\]\(([^)\s]+)\)", r"\1 (\2)", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    return re.sub(r"`([^`\n]+)`", r"\1", text)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + _ELLIPSIS
