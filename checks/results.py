"""What a check returns: results as data, in the spirit of Django's CheckMessage.

Every distinct outcome of every check has a stable id, `<slug>.<letter><3 digits>` like Django's `caches.E001`,
so that tests, stored results and the CLI's JSON compare ids instead of prose. The letter follows the status:

    E  error: could not check           F  fail            W  warn
    N  needs input from a person        I  pass            A  not applicable

Each check declares its own ids with what they mean (`OUTCOMES` in its module, `outcomes=` when registered);
the 9xx numbers are the generic outcomes any check can give (`checks.registry.GENERIC_OUTCOMES`: marked not
applicable, a failed source, data not loaded, stale data). An id never changes meaning once given: a new
outcome gets a new number, and a retired one is not reused.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NEEDS_INPUT = "needs_input"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Pending(enum.StrEnum):
    """The input a person still has to give before a check can clear."""

    CONFIRM = "confirm"
    ACKNOWLEDGE = "acknowledge"
    ENABLE_DATE = "enable_date"
    REVENUE_ANSWER = "revenue_answer"
    BACKUP = "backup"
    FINALE_BALANCE = "finale_balance"
    CONNECT_QBO = "connect_qbo"
    CONNECT_FINALE = "connect_finale"


@dataclass(frozen=True, slots=True)
class Finding:
    """One object a check found: a QBO item, a Finale product, a sales order..."""

    kind: str  # "qbo_item", "finale_product", "sales_order", "sale_source", "account", ...
    id: str
    name: str
    detail: str = ""
    quantity: Decimal | None = None
    amount: Decimal | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "detail": self.detail,
            "quantity": None if self.quantity is None else str(self.quantity),
            "amount": None if self.amount is None else str(self.amount),
            "extra": dict(self.extra),
        }


ID_LETTER = {
    Status.ERROR: "E",
    Status.FAIL: "F",
    Status.WARN: "W",
    Status.NEEDS_INPUT: "N",
    Status.PASS: "I",
    Status.NOT_APPLICABLE: "A",
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    slug: str
    status: Status
    summary: str
    hint: str = ""
    # The outcome's stable id (see the module docstring), e.g. "deactivation.F001".
    id: str = ""
    # The exact words an owner confirms or acknowledges for this result; empty when nothing is asked.
    ask: str = ""
    findings: tuple[Finding, ...] = ()
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    pending: Pending | None = None
    # What an acknowledgement must match to clear a warning (e.g. the total being moved). When the
    # facts change, an older acknowledgement no longer clears the check.
    ack_key: str | None = None
    cleared: bool = False

    @property
    def blocking(self) -> bool:
        return not self.cleared

    def as_dict(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "id": self.id,
            "status": self.status.value,
            "summary": self.summary,
            "hint": self.hint,
            "ask": self.ask,
            "findings": [f.as_dict() for f in self.findings],
            "amounts": {k: str(v) for k, v in self.amounts.items()},
            "pending": None if self.pending is None else self.pending.value,
            "ack_key": self.ack_key,
            "cleared": self.cleared,
        }
