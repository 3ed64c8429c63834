"""The opening-balance journal entry Preflight drafts (and never posts: Preflight is read-only).

Finale creates no opening balance: it only pushes transactions from the enable date on. For QBO's inventory
asset account to agree with Finale, a person enters one journal entry dated the day before the enable date
(D-1) for the difference, against an offset account the owner chooses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from checks.money import ZERO, cents, money
from checks.snapshot import Ref

PostingType = Literal["Debit", "Credit"]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account by name, with its QBO id when known (a person can still pick the account by name)."""

    name: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class JournalLine:
    posting_type: PostingType
    account: AccountRef
    amount: Decimal
    description: str


@dataclass(frozen=True, slots=True)
class DraftJournalEntry:
    txn_date: date  # D-1 for the opening entry; the write-off's own date for a reversing entry
    enable_date: date
    lines: tuple[JournalLine, ...]
    memo: str
    currency: str
    qbo_balance: Decimal = ZERO
    finale_value: Decimal = ZERO
    heading: str = ""  # what the entry is for, after its date; the opening entry's when empty

    @property
    def amount(self) -> Decimal:
        return self.total_debits

    @property
    def total_debits(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.posting_type == "Debit"), ZERO)

    @property
    def total_credits(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.posting_type == "Credit"), ZERO)

    @property
    def balanced(self) -> bool:
        return self.total_debits == self.total_credits

    def as_qbo_payload(self) -> dict[str, object]:
        """The body of `POST /v3/company/<realm>/journalentry` (QBO's JournalEntry shape).

        Amounts stay Decimal so nothing is lost on the way; `as_qbo_json()` writes them as exact JSON numbers.
        """
        lines: list[dict[str, object]] = []
        for n, ln in enumerate(self.lines):
            ref: dict[str, str] = {"name": ln.account.name}
            if ln.account.id is not None:
                ref["value"] = ln.account.id
            lines.append(
                {
                    "Id": str(n),
                    "Description": ln.description,
                    "Amount": ln.amount,
                    "DetailType": "JournalEntryLineDetail",
                    "JournalEntryLineDetail": {"PostingType": ln.posting_type, "AccountRef": ref},
                }
            )
        return {
            "TxnDate": self.txn_date.isoformat(),
            "PrivateNote": self.memo,
            "Adjustment": False,
            "CurrencyRef": {"value": self.currency},
            "Line": lines,
        }

    def as_qbo_json(self) -> str:
        def number(value: object) -> str:
            if isinstance(value, Decimal):
                return f"\x00{value:f}\x00"
            raise TypeError(f"cannot serialise {type(value).__name__}")

        text = json.dumps(self.as_qbo_payload(), default=number, ensure_ascii=False)
        return re.sub(r'"\\u0000(-?[0-9.]+)\\u0000"', r"\1", text)

    def as_text(self) -> str:
        width = max(len(ln.account.name) for ln in self.lines)
        rows = [
            f"  {ln.posting_type:<6}  {ln.account.name:<{width}}  {money(ln.amount, self.currency):>20}"
            for ln in self.lines
        ]
        return "\n".join(
            [
                f"Journal entry dated {self.txn_date.isoformat()} "
                + (self.heading or f"(the day before the enable date {self.enable_date.isoformat()})"),
                *rows,
                f"Memo: {self.memo}",
            ]
        )


def draft_opening_balance_entry(
    enable_date: date,
    qbo_balances_by_account: Mapping[str, Decimal],
    finale_value: Decimal,
    offset_account_name: str,
    asset_account: Ref | AccountRef,
    *,
    offset_account_id: str | None = None,
    currency: str = "USD",
) -> DraftJournalEntry:
    """The entry that makes QBO's inventory asset balance on D-1 equal Finale's inventory value on D-1.

    Finale higher: debit the inventory asset account, credit the offset account. Finale lower: the reverse.
    Both sides are rounded to the cent (half up) first, as QBO holds cents. Raises ValueError when the two
    already agree to the cent: there is nothing to enter.
    """
    qbo_total = cents(sum(qbo_balances_by_account.values(), ZERO))
    finale = cents(finale_value)
    difference = finale - qbo_total
    if difference == 0:
        raise ValueError("QBO and Finale already agree to the cent: no journal entry is needed.")
    d1 = enable_date - timedelta(days=1)
    asset = AccountRef(asset_account.name, asset_account.id)
    offset = AccountRef(offset_account_name, offset_account_id)
    amount = abs(difference)
    direction = "raise" if difference > 0 else "lower"
    memo = (
        f"Opening balance for Finale Inventory's QuickBooks Online integration (enable date "
        f"{enable_date.isoformat()}): {direction} the inventory asset balance on {d1.isoformat()} from "
        f"{money(qbo_total, currency)} to Finale's {money(finale, currency)}."
    )
    description = f"Inventory opening balance to match Finale on {d1.isoformat()}"
    if difference > 0:
        lines = (
            JournalLine("Debit", asset, amount, description),
            JournalLine("Credit", offset, amount, description),
        )
    else:
        lines = (
            JournalLine("Debit", offset, amount, description),
            JournalLine("Credit", asset, amount, description),
        )
    return DraftJournalEntry(
        txn_date=d1,
        enable_date=enable_date,
        lines=lines,
        memo=memo,
        currency=currency,
        qbo_balance=qbo_total,
        finale_value=finale,
    )


def draft_reversing_entry(
    txn_date: date,
    enable_date: date,
    adjustment: str,
    debits: Mapping[AccountRef, Decimal],
    credits: Mapping[AccountRef, Decimal],
    *,
    currency: str = "USD",
) -> DraftJournalEntry:
    """The entry that puts back what an inventory write-off dated on or after the enable date moved to expense:
    on the write-off's own date, debit the asset account(s) and credit the account QBO debited. Amounts are
    cents; raises ValueError when the two sides do not balance."""
    description = f"Reverses QBO inventory adjustment {adjustment} (item made inactive)"
    lines = tuple(JournalLine("Debit", a, cents(v), description) for a, v in sorted(debits.items(), key=_by_name))
    lines += tuple(JournalLine("Credit", a, cents(v), description) for a, v in sorted(credits.items(), key=_by_name))
    entry = DraftJournalEntry(
        txn_date=txn_date,
        enable_date=enable_date,
        lines=lines,
        memo=(
            f"Reverse inventory adjustment {adjustment} of {txn_date.isoformat()}: the value it wrote off falls "
            f"inside the period Finale Inventory pushes (enable date {enable_date.isoformat()})."
        ),
        currency=currency,
        heading=f"(reverses inventory adjustment {adjustment})",
    )
    if not entry.balanced:
        raise ValueError("A reversing entry must balance.")
    return entry


def _by_name(pair: tuple[AccountRef, Decimal]) -> tuple[str, str]:
    return (pair[0].name, pair[0].id or "")
