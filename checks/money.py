"""Money and quantity formatting. Sums stay exact; rounding (half up, to the cent) is for display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def cents(value: Decimal) -> Decimal:
    """Round to the cent the way an accountant does (half up), not Python's default (half even)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal, currency: str) -> str:
    """`1,234.57 USD`: thousands separators, two decimals, the home currency."""
    rounded = cents(value)
    if rounded == 0:
        rounded = abs(rounded)  # never show "-0.00"
    return f"{rounded:,.2f} {currency}"


def plain_money(value: Decimal) -> str:
    """`1234.57`: for CSV cells and acknowledgement keys (no separators, no currency)."""
    rounded = cents(value)
    return f"{abs(rounded) if rounded == 0 else rounded:f}"


def qty(value: Decimal) -> str:
    """A quantity without trailing zeros, with thousands separators: `1,200`, `2.5`, `-3`."""
    if value == 0:
        return "0"
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """`1 item`, `1,500 items`."""
    word = singular if n == 1 else (plural or singular + "s")
    return f"{n:,} {word}"
