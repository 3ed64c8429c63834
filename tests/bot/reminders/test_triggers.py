"""Cron text -> APScheduler 3 triggers: cron's weekday numbering, timezones, DST, and reminder slots."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.checklist.schedule import cron_trigger, fire_times, is_fire_time, parse_schedule, slot_of, zone

LA = ZoneInfo("America/Los_Angeles")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekdays_are_monday_to_friday_not_apschedulers_numbering() -> None:
    # APScheduler 3's from_crontab alone reads `1-5` as Tuesday to Saturday.
    trigger = cron_trigger(parse_schedule("weekdays 09:00"), LA)
    # From Friday 6 March 2026, 04:00 in Los Angeles: Friday, then Monday (Saturday and Sunday skipped).
    times = fire_times(trigger, utc(2026, 3, 6, 12, 0), limit=3)
    assert [t.astimezone(LA).strftime("%a %H:%M") for t in times] == ["Fri 09:00", "Mon 09:00", "Tue 09:00"]


def test_dst_start_moves_the_utc_instant_not_the_local_time() -> None:
    # US clocks go forward on Sunday 8 March 2026: 09:00 PST is 17:00 UTC, 09:00 PDT is 16:00 UTC.
    trigger = cron_trigger("0 9 * * 1-5", LA)
    assert fire_times(trigger, utc(2026, 3, 6, 12, 0), limit=3) == [
        utc(2026, 3, 6, 17, 0),
        utc(2026, 3, 9, 16, 0),
        utc(2026, 3, 10, 16, 0),
    ]


def test_a_time_repeated_when_clocks_go_back_fires_once() -> None:
    # 1 November 2026, 01:30 happens at 08:30 UTC (PDT) and again at 09:30 UTC (PST).
    trigger = cron_trigger("30 1 * * *", LA)
    assert fire_times(trigger, utc(2026, 10, 31, 12, 0), limit=2) == [utc(2026, 11, 1, 8, 30), utc(2026, 11, 2, 9, 30)]
    assert is_fire_time(trigger, utc(2026, 11, 1, 8, 30))
    assert not is_fire_time(trigger, utc(2026, 11, 1, 9, 30))


@pytest.mark.parametrize("dow", ["0", "7", "sun"])
def test_sunday_is_zero_or_seven(dow: str) -> None:
    trigger = cron_trigger(f"30 8 * * {dow}", ZoneInfo("UTC"))
    # Wednesday 4 March 2026 -> Sunday 8 March.
    assert fire_times(trigger, utc(2026, 3, 4, 0, 0), limit=1) == [utc(2026, 3, 8, 8, 30)]


def test_named_days_from_plain_words() -> None:
    paris = ZoneInfo("Europe/Paris")
    trigger = cron_trigger(parse_schedule("mon,thu 14:00"), paris)
    times = fire_times(trigger, utc(2026, 3, 2, 0, 0), limit=3)
    assert [t.astimezone(paris).strftime("%a %d %H:%M") for t in times] == [
        "Mon 02 14:00",
        "Thu 05 14:00",
        "Mon 09 14:00",
    ]


def test_day_of_month_and_day_of_week_fire_on_either_like_cron() -> None:
    # Cron: the 1st of the month OR any Monday. Sunday 1 March 2026, then Monday 2 March.
    trigger = cron_trigger("0 9 1 * 1", ZoneInfo("UTC"))
    assert fire_times(trigger, utc(2026, 2, 27, 0, 0), limit=3) == [
        utc(2026, 3, 1, 9, 0),
        utc(2026, 3, 2, 9, 0),
        utc(2026, 3, 9, 9, 0),
    ]


def test_step_in_day_of_week_counts_from_sunday() -> None:
    # `*/2`: Sunday, Tuesday, Thursday, Saturday in cron.
    trigger = cron_trigger("0 12 * * */2", ZoneInfo("UTC"))
    times = fire_times(trigger, utc(2026, 3, 1, 0, 0), limit=4)
    assert [t.strftime("%a") for t in times] == ["Sun", "Tue", "Thu", "Sat"]


@pytest.mark.parametrize("cron", ["0 9 * *", "0 9 * * 8", "0 9 * * 5-2", "0 9 * * mon-xyz"])
def test_unusable_cron_is_refused(cron: str) -> None:
    with pytest.raises(ValueError):
        cron_trigger(cron, ZoneInfo("UTC"))


def test_until_is_inclusive_and_after_is_exclusive() -> None:
    trigger = cron_trigger("0 9 * * *", ZoneInfo("UTC"))
    assert fire_times(trigger, utc(2026, 3, 1, 9, 0), until=utc(2026, 3, 3, 9, 0)) == [
        utc(2026, 3, 2, 9, 0),
        utc(2026, 3, 3, 9, 0),
    ]


def test_slot_is_utc_to_the_minute() -> None:
    late = datetime(2026, 3, 9, 9, 0, 41, 123, tzinfo=LA)
    assert slot_of(late) == utc(2026, 3, 9, 16, 0)
    assert slot_of(late).tzinfo is UTC


def test_unknown_timezone_falls_back_to_utc() -> None:
    assert zone("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert zone(None) == ZoneInfo("UTC")
    assert zone("America/Los_Angeles") == LA
