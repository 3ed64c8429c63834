"""Finale's values as Preflight's: numbers as Decimal (from JSON or from display text), ids from URLs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from checks.sources.errors import FinaleError


def to_decimal(value: Any, what: str) -> Decimal:
    """A JSON number (parsed as Decimal or int) or numeric text as Decimal; never through float."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        parsed = parse_display_decimal(value, what)
        if parsed is not None:
            return parsed
    raise FinaleError(f"Finale returned {value!r} where a number ({what}) was expected.", detail=what)


def parse_display_decimal(value: Any, what: str) -> Decimal | None:
    """A number as Finale's UI shows it: "1,234.50", "$12.00", "(3.00)" or "-3.00"; "--" and "" are None."""
    if value is None:
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if text in ("", "--", "-", "—"):
        return None
    negative = text.startswith("(") and text.endswith(")")
    cleaned = text.strip("()").replace(",", "").replace("$", "").replace("\u00a0", "").replace(" ", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise FinaleError(
            f"Finale's report shows {text!r} in the {what!r} column, which is not a number.",
            detail=f"unparsable {what}: {text!r}",
        ) from None
    if not number.is_finite():
        raise FinaleError(f"Finale's report shows {text!r} in the {what!r} column.", detail=what)
    return -number if negative else number


def _last_segment(url: Any) -> str:
    return unquote(str(url).rstrip("/").rpartition("/")[2])
