"""Finale's JSON answers decoded in pieces (so the event loop keeps the interpreter), and column-major
collections turned into rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any

from checks.sources.errors import FinaleError

RETRY_LATER = "Try again in a few minutes; nothing was changed."

_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A Python-level hook gives other threads the interpreter between objects (a C decoder would not).
    return dict(pairs)


def _loads(body: bytes, keep: frozenset[str] | None = None) -> Any:
    """`json.loads(body, parse_float=Decimal)`, decoded in pieces so that no single step holds the GIL long.

    A column-major collection (`{"orderId": [...200,000 ids...], ...}`) is decoded one column at a time; a
    report (a list of row objects) with a Python hook per row. Either way other threads, above all the
    event loop answering the chat, get the interpreter every few milliseconds. Anything unusual falls back
    to `json.loads`, so results and errors are exactly json's.
    """
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    try:
        return _loads_members(text, keep)
    except (ValueError, IndexError):
        return json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs)


def _loads_members(text: str, keep: frozenset[str] | None = None) -> dict[str, Any]:
    """A top-level JSON object, member by member; ValueError when `text` is anything else.

    With `keep`, the values of other members are checked and dropped at once (their names stay, with None):
    a 200,000-order answer carries columns no check reads, and holding them all would only raise the peak."""
    i = _skip(text, 0)
    if text[i] != "{":
        raise ValueError("not an object")
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i] != "}":
        while True:
            if text[i] != '"':
                raise ValueError("expected a member name")
            key, i = _scanstring(text, i + 1)
            i = _skip(text, i)
            if text[i] != ":":
                raise ValueError("expected ':'")
            value, i = _DECODER.raw_decode(text, _skip(text, i + 1))
            out[key] = value if keep is None or key in keep else None
            i = _skip(text, i)
            if text[i] == ",":
                i = _skip(text, i + 1)
                continue
            if text[i] != "}":
                raise ValueError("expected ',' or '}'")
            break
    if _skip(text, i + 1) != len(text):
        raise ValueError("extra data")
    return out


def _skip(text: str, i: int) -> int:
    """The index of the first non-whitespace character at or after `i` (JSON's whitespace)."""
    match = _WHITESPACE.match(text, i)
    return i if match is None else match.end()


def transpose(
    payload: Any, what: str, required: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows of a column-major collection as tuples (required columns first, then optional ones; a missing
    optional column reads as None). An empty object is an empty collection."""
    if not isinstance(payload, dict):
        raise FinaleError(
            f"Finale returned {what} in an unexpected shape. {RETRY_LATER}",
            detail=f"{what}: expected a column table, got {type(payload).__name__}",
        )
    if not payload:
        return iter(())
    missing = [k for k in required if k not in payload]
    if missing:
        raise FinaleError(
            f"Finale returned {what} without the {', '.join(missing)} column. {RETRY_LATER}",
            detail=f"{what}: columns {sorted(payload)[:20]}",
        )
    columns: list[Any] = []
    lengths: dict[str, int] = {}
    for key in (*required, *optional):
        column = payload.get(key)
        if column is None and key not in required:
            columns.append(repeat(None))
            continue
        if not isinstance(column, list):
            raise FinaleError(
                f"Finale returned {what} with a malformed {key} column. {RETRY_LATER}",
                detail=f"{what}: {key} is {type(column).__name__}",
            )
        lengths[key] = len(column)
        columns.append(column)
    if len(set(lengths.values())) > 1:
        raise FinaleError(
            f"Finale returned {what} whose columns have different lengths, so rows cannot be matched up. {RETRY_LATER}",
            detail=f"{what}: column lengths {lengths}",
        )
    # Lengths were checked above; repeat(None) stands in for absent optional columns, so strict is off.
    return zip(*columns)  # noqa: B905
