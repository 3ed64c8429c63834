"""What people have told Preflight, as the checks see it.

The checklist service derives this view from the append-only confirmation log: the latest record of each
kind for each check, with withdrawals applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One recorded confirmation, acknowledgement or answer, with who and when."""

    slug: str
    kind: str  # confirm | acknowledge | not_applicable | answer
    value: str  # what exactly was confirmed (amount, date, reason...), as text
    user_id: str
    user_name: str
    recorded_at: datetime


@dataclass(frozen=True)
class Answers:
    today: date
    enable_date: date | None = None
    # True once an owner chose the enable date, including choosing to leave it blank (push all history).
    enable_date_decided: bool = False
    revenue_pushed: bool | None = None
    backup_date: date | None = None
    backup_reference: str | None = None
    finale_balance: Decimal | None = None  # typed in by an owner when no Finale report is configured
    offset_account: str | None = None  # the account the opening-balance entry posts against
    confirmations: Mapping[str, Confirmation] = field(default_factory=dict)  # slug -> latest "confirm"
    acknowledgements: Mapping[str, Confirmation] = field(default_factory=dict)  # slug -> latest "acknowledge"
    not_applicable: Mapping[str, Confirmation] = field(default_factory=dict)  # slug -> reason
    qbo_connected: bool = True
    finale_connected: bool = True
    backup_max_age_days: int = 7
    invoice_volume_warn_per_month: int = 2000

    def confirmed(self, slug: str) -> Confirmation | None:
        return self.confirmations.get(slug)

    def acknowledged(self, slug: str, ack_key: str | None) -> bool:
        ack = self.acknowledgements.get(slug)
        return ack is not None and (ack_key is None or ack.value == ack_key)
