"""Snoozing reminders: skip the next scheduled reminder(s) of a checklist.

A snooze is stored as claimed delivery rows (`reminder_deliveries`, claimed_by `snooze:<user id> <name>`)
for every slot it skips: the scheduler claims each slot before posting, so a slot that a snooze holds is
never posted, on any replica, with no extra column and no migration. The row also records who snoozed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.checklist.errors import InputError, NotFoundError
from bot.checklist.schedule import cron_trigger, fire_times, slot_of, zone
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor
from storage.repositories import checklists, reminders

SNOOZE_CLAIMANT_PREFIX = "snooze:"
DEFAULT_PERIOD = timedelta(days=1)
MAX_PERIOD = timedelta(days=14)


@dataclass(frozen=True)
class Snooze:
    by: Actor
    skipped: tuple[datetime, ...]  # UTC slots that will not be posted
    next_at: datetime | None  # the first reminder after the snooze
    timezone: ZoneInfo


def parse_period(text: str) -> timedelta:
    """`1d` (the button), `2d`, `12h`, `1w`; empty means one day."""
    raw = text.strip().lower()
    if not raw:
        return DEFAULT_PERIOD
    match = re.fullmatch(r"(\d{1,3})\s*(h|hours?|d|days?|w|weeks?)", raw)
    if not match:
        raise InputError(f"“{text}” is not a snooze period. Say e.g. `1d`, `2d` or `12h`.")
    amount, unit = int(match.group(1)), match.group(2)[0]
    period = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]
    if not timedelta(0) < period <= MAX_PERIOD:
        raise InputError("Snooze for at least an hour and at most 14 days; or turn reminders off with `remind off`.")
    return period


def snooze_claimant(actor: Actor) -> str:
    return f"{SNOOZE_CLAIMANT_PREFIX}{actor.user_id} {actor.name}"[:255]


def is_snooze(claimed_by: str) -> bool:
    return claimed_by.startswith(SNOOZE_CLAIMANT_PREFIX)


def snooze_reminders(service: ChecklistService, checklist_id: int, actor: Actor, period: str = "") -> Snooze:
    """Skip every reminder due within the period, and always at least the next one.

    Anyone in the channel may snooze (it changes no answer); the row keeps who did.
    """
    length = parse_period(period)
    now = service.clock()
    with service.sessions.begin() as s:
        row = checklists.get_checklist(s, checklist_id)
        if row is None:
            raise NotFoundError("That checklist no longer exists. Type `start` to create one.")
        if not row.reminders_enabled or not row.reminder_schedule:
            raise InputError("Reminders are off for this checklist, so there is nothing to snooze.")
        tz = zone(row.reminder_timezone or service.settings.timezone)
        trigger = cron_trigger(row.reminder_schedule, tz)
        # "Snooze 1 day" on Friday with weekday reminders still skips Monday's: at least the next one goes.
        skipped = fire_times(trigger, now, until=now + length) or fire_times(trigger, now, limit=1)
        for slot in skipped:
            reminders.claim_reminder(s, checklist_id, slot_of(slot), claimed_by=snooze_claimant(actor), now=now)
        after = fire_times(trigger, skipped[-1], limit=1) if skipped else []
    return Snooze(actor, tuple(slot_of(t) for t in skipped), slot_of(after[0]) if after else None, tz)
