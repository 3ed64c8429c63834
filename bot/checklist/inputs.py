"""Rules for what owners type, enforced by the service whatever surface or command the value came through
(forms read them too, to flag the field before anything is recorded)."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.checklist.errors import InputError

# QBO's Account.Name is at most 100 characters (research/qbo.md §6): a longer offset account cannot exist there.
QBO_ACCOUNT_NAME_MAX = 100
BALANCE_LIMIT = Decimal("1e12")
_LINE_BREAKS = re.compile(r"[\t\r\n\v\f\u2028\u2029]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as typed, or None. NUL bytes and lone surrogates come only from broken
    clients or pasted binary; PostgreSQL refuses the first and UTF-8 the second."""
    if "\x00" in value:
        return "The text contains a NUL character (often from pasted binary data). Type it again as plain text."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "The text contains a broken character (a lone UTF-16 surrogate). Type it again as plain text."
    return None


def require_text(value: str, field: str | None = None) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise InputError(problem, field=field)
    return value


def require_balance(amount: Decimal, field: str = "amount") -> Decimal:
    """Finale's inventory asset balance: an asset, so never negative; the entry drafted from it must not credit
    the asset account with more than it holds."""
    if not amount.is_finite():
        raise InputError("That is not an amount. Type it like 48,210.37.", field=field)
    if amount < 0:
        raise InputError(
            f"An inventory asset balance cannot be negative ({amount:,.2f}). Read the Inventory (101) balance "
            "from Finale's general ledger again; if it really is negative, clear the negative stock first.",
            field=field,
        )
    if amount >= BALANCE_LIMIT:
        raise InputError("That amount is too large to be an inventory balance; check the figure.", field=field)
    return amount


def offset_account_name(raw: str | None, field: str = "offset_account") -> str | None:
    """The offset account as QBO would name it, or None when left empty."""
    name = require_text(raw or "", field).strip()
    if not name:
        return None
    if _LINE_BREAKS.search(name):
        raise InputError("An account name is one line, with no tabs or line breaks.", field=field)
    if len(name) > QBO_ACCOUNT_NAME_MAX:
        raise InputError(
            f"That offset account name is {len(name):,} characters long; QuickBooks account names are at most "
            f"{QBO_ACCOUNT_NAME_MAX}. Type the account's name as QuickBooks shows it.",
            field=field,
        )
    return name
