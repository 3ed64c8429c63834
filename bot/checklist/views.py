"""Read models the surfaces use: who is acting, the checklist, and its current status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from checks.answers import Confirmation
from checks.registry import CheckSpec
from checks.results import CheckResult


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an action, as their platform knows them."""

    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class ScopeKey:
    """Where a checklist lives: a channel of a workspace on one platform."""

    platform: str  # slack | teams | console
    workspace_id: str
    channel_id: str
    workspace_name: str = ""


@dataclass(frozen=True)
class ChecklistView:
    id: int
    scope: ScopeKey
    company_label: str
    enable_date: date | None
    enable_date_decided: bool
    revenue_pushed: bool | None
    owners: tuple[Actor, ...]
    timezone: str
    qbo_connected: bool
    qbo_company: str | None
    finale_connected: bool
    finale_account: str | None
    state: str
    reminder_schedule: str | None = None
    reminders_enabled: bool = False
    reminders_paused: str | None = None  # why the channel refuses reminders (they wait for `remind on`)
    created_at: datetime | None = None

    def is_owner(self, user_id: str) -> bool:
        return any(o.user_id == user_id for o in self.owners)


@dataclass(frozen=True)
class Change:
    """A status that moved since the previous run, so the bot can say "fixed since yesterday"."""

    slug: str
    before: str
    after: str
    since: datetime


@dataclass(frozen=True)
class ChecklistStatus:
    checklist: ChecklistView
    specs: tuple[CheckSpec, ...]
    results: dict[str, CheckResult]  # latest per slug; a slug never run is absent
    checked_at: dict[str, datetime]
    changes: tuple[Change, ...] = ()
    confirmations: tuple[Confirmation, ...] = ()
    finale_balance: Decimal | None = None
    backup_date: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def outstanding(self) -> list[CheckSpec]:
        return [s for s in self.specs if not (s.slug in self.results and self.results[s.slug].cleared)]

    @property
    def next_step(self) -> CheckSpec | None:
        out = self.outstanding
        return out[0] if out else None

    @property
    def ready(self) -> bool:
        return not self.outstanding

    @property
    def cleared_count(self) -> int:
        return len(self.specs) - len(self.outstanding)
