"""Reminder schedules in plain words -> cron text, and back to words."""

from __future__ import annotations

import pytest

from bot.checklist.errors import InputError
from bot.checklist.schedule import HELP, describe, parse_schedule


@pytest.mark.parametrize(
    ("text", "cron", "words"),
    [
        ("weekdays 09:00", "0 9 * * 1-5", "on weekdays at 09:00"),
        ("Weekdays 9:00", "0 9 * * 1-5", "on weekdays at 09:00"),
        ("workdays 17:45", "45 17 * * 1-5", "on weekdays at 17:45"),
        ("daily 8:30", "30 8 * * *", "every day at 08:30"),
        ("mon,thu 14:00", "0 14 * * 1,4", "every Mon, Thu at 14:00"),
        ("Monday,Thursday 14:00", "0 14 * * 1,4", "every Mon, Thu at 14:00"),
        ("weekly fri 16:00", "0 16 * * 5", "every Fri at 16:00"),
        ("sun 10:05", "5 10 * * 0", "every Sun at 10:05"),
        ("0 9 * * 1-5", "0 9 * * 1-5", "on weekdays at 09:00"),
        ("0 9 * * 7", "0 9 * * 7", "on the schedule `0 9 * * 7`"),  # cron's other Sunday
        ("*/30 9-17 * * 1-5", "*/30 9-17 * * 1-5", "on the schedule `*/30 9-17 * * 1-5`"),
        ("0 9 1 * *", "0 9 1 * *", "on the schedule `0 9 1 * *`"),  # the 1st of each month, not every day
    ],
)
def test_parse_and_describe(text: str, cron: str, words: str) -> None:
    assert parse_schedule(text) == cron
    assert describe(cron) == words


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("sometimes", ""),
        ("", ""),
        ("weekdays", ""),
        ("weekdays 9", "is not a time of day"),
        ("weekdays 24:00", "is not a time of day"),
        ("daily 12:60", "is not a time of day"),
        ("funday 09:00", "is not a day or list of days"),
        ("mon,,xyz 09:00", "is not a day or list of days"),
        ("61 9 * * *", "That cron expression is not valid"),
        ("0 9 * * 8", "That cron expression is not valid"),
        ("0 9 32 * *", "That cron expression is not valid"),
    ],
)
def test_invalid_schedules_give_examples(text: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_schedule(text)
    assert why in caught.value.message and caught.value.message.endswith(HELP)
    assert "remind weekdays 09:00" in caught.value.message
