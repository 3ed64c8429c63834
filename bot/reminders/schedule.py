"""Reminder schedules in plain words, stored as cron text.

`weekdays 09:00`, `daily 8:30`, `mon,thu 14:00`, `weekly fri 16:00`, or a cron expression `0 9 * * 1-5`.
"""

from __future__ import annotations

import re

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
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(" ".join(fields))
    except ValueError as exc:
        raise InputError(f"That cron expression is not valid ({exc}). {HELP}") from None


def describe(cron: str) -> str:
    minute, hour, _dom, _month, dow = cron.split()
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
