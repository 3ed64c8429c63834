"""Reminder schedules in plain words, stored as cron text.

`weekdays 09:00`, `daily 8:30`, `mon,thu 14:00`, `weekly fri 16:00`, or a cron expression `0 9 * * 1-5`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.checklist.errors import InputError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CRON_DAYS = {"mon": "1", "tue": "2", "wed": "3", "thu": "4", "fri": "5", "sat": "6", "sun": "0"}
HELP = (
    "Say when to remind, e.g. `remind weekdays 09:00`, `remind daily 8:30`, `remind mon,thu 14:00`, "
    "or a cron expression like `remind 0 9 * * 1-5`. Times are in the checklist's timezone."
)


def parse_schedule(text: str) -> str:
    """Plain words or cron -> a five-field cron expression. Raises InputError with examples."""
    words = text.strip().lower().split()
    if len(words) == 5 and all(re.fullmatch(r"[\d*/,\-]+", w) for w in words):
        _validate_cron(words)
        return " ".join(words)
    if len(words) == 3 and words[0] == "weekly":
        words = words[1:]
    if len(words) != 2:
        raise InputError(HELP)
    when, clock = words
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", clock)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InputError(f"“{clock}” is not a time of day. {HELP}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if when in ("daily", "everyday", "every-day"):
        dow = "*"
    elif when in ("weekdays", "workdays"):
        dow = "1-5"
    else:
        names = [d.strip()[:3] for d in when.split(",") if d.strip()]
        if not names or any(n not in DAYS for n in names):
            raise InputError(f"“{when}” is not a day or list of days. {HELP}")
        dow = ",".join(CRON_DAYS[n] for n in names)
    return f"{minute} {hour} * * {dow}"


def _validate_cron(fields: list[str]) -> None:
    # Through the same translation the scheduler uses, so that cron's Sunday 7 (`0 9 * * 7`) is valid here too.
    try:
        cron_trigger(" ".join(fields), UTC)
    except ValueError as exc:
        raise InputError(f"That cron expression is not valid ({exc}). {HELP}") from None


def describe(cron: str) -> str:
    minute, hour, dom, month, dow = cron.split()
    if dom != "*" or month != "*":
        return f"on the schedule `{cron}`"  # e.g. the 1st of each month: not "every day"
    if minute.isdigit() and hour.isdigit():
        at = f"at {int(hour):02d}:{int(minute):02d}"
    else:
        return f"on the schedule `{cron}`"
    if dow == "*":
        return f"every day {at}"
    if dow == "1-5":
        return f"on weekdays {at}"
    names = {v: k.capitalize() for k, v in CRON_DAYS.items()}
    if all(p in names for p in dow.split(",")):
        return "every " + ", ".join(names[p] for p in dow.split(",")) + f" {at}"
    return f"on the schedule `{cron}`"


# ---------------------------------------------------------------- cron text -> APScheduler 3 triggers

_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler 3 numbers Monday 0
_CRON_NUMBER_TO_DAY = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # cron numbers Sunday 0 (and 7)


def zone(name: str | None) -> ZoneInfo:
    """The checklist's timezone; an unknown or empty name falls back to UTC rather than failing a reminder."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def cron_trigger(cron: str, timezone: tzinfo) -> BaseTrigger:
    """An APScheduler 3 trigger that fires when the cron text says, in `timezone`.

    `CronTrigger.from_crontab` keeps APScheduler 3's weekday numbering (Monday is 0) while cron numbers
    from Sunday (APScheduler issue 286): `1-5` would mean Tuesday to Saturday. So the day-of-week field is
    rewritten with day names first. Cron also fires when *either* the day of month or the day of week
    matches if both are restricted, where APScheduler requires both: that case becomes an OrTrigger.
    """
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"expected five cron fields, got {cron!r}")
    minute, hour, dom, month, dow = fields
    days = _weekday_names(dow)
    if not dom.startswith("*") and not dow.startswith("*"):
        return OrTrigger(
            [
                CronTrigger.from_crontab(f"{minute} {hour} {dom} {month} *", timezone=timezone),
                CronTrigger.from_crontab(f"{minute} {hour} * {month} {days}", timezone=timezone),
            ]
        )
    return CronTrigger.from_crontab(f"{minute} {hour} {dom} {month} {days}", timezone=timezone)


def fire_times(
    trigger: BaseTrigger, after: datetime, *, until: datetime | None = None, limit: int = 1000
) -> list[datetime]:
    """The trigger's fire times in UTC strictly after `after` (and not after `until`), at most `limit` of them.

    A wall-clock time that happens twice when the clocks go back fires once, like cron: the repeat is left out.
    """
    out: list[datetime] = []
    at: datetime | None = trigger.get_next_fire_time(None, _just_after(after))
    while at is not None and len(out) < limit and (until is None or at.astimezone(UTC) <= until.astimezone(UTC)):
        if not _repeated(at):
            out.append(at.astimezone(UTC))
        at = trigger.get_next_fire_time(at, _just_after(at))
    return out


def slot_of(at: datetime) -> datetime:
    """A reminder slot: the scheduled time in UTC, to the minute (the same on every replica)."""
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def is_fire_time(trigger: BaseTrigger, when: datetime) -> bool:
    """True when the trigger fires exactly at `when` (a reminder slot on the current schedule)."""
    at: datetime | None = trigger.get_next_fire_time(None, when)
    # Compared in UTC: Python never finds an ambiguous local time equal to a time in another zone (PEP 495).
    return at is not None and at.astimezone(UTC) == when.astimezone(UTC) and not _repeated(at)


def _just_after(at: datetime) -> datetime:
    # In UTC: adding to a local time drops `fold` and can step back an hour when the clocks go back.
    return at.astimezone(UTC) + timedelta(microseconds=1)


def _repeated(at: datetime) -> bool:
    """The second occurrence of a local time that happens twice (the hour after the clocks go back)."""
    return at.fold == 1 and at.replace(fold=0).utcoffset() != at.utcoffset()


def _weekday_names(dow: str) -> str:
    """Cron's day-of-week field as APScheduler day names (`1-5` -> `mon,tue,wed,thu,fri`); `*` stays."""
    if dow == "*":
        return "*"
    days: set[str] = set()
    for part in dow.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in day of week {dow!r}")
        if span == "*":
            first, last = 0, 6
        else:
            start, _, end = span.partition("-")
            first = _day_number(start, dow)
            last = _day_number(end, dow) if end else (6 if step_text else first)
            if last < first and last == 0:
                last = 7  # `5-0`, `5-7`: Friday through Sunday
            if last < first:
                raise ValueError(f"day range {span!r} runs backwards in {dow!r}")
        days.update(_CRON_NUMBER_TO_DAY[n] for n in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(d for d in _APS_DAYS if d in days)


def _day_number(token: str, dow: str) -> int:
    if token in CRON_DAYS:
        return int(CRON_DAYS[token])
    if token.isdigit() and int(token) <= 7:
        return int(token)
    raise ValueError(f"{token!r} is not a day of the week in {dow!r}")
