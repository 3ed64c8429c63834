"""Channel reminders: one scheduled job per checklist, rebuilt from the database at start.

`Reminders` (scheduler.py) runs the jobs and a sweep for lapsed or missed slots; delivery.py delivers one slot
under a lease (claim, re-check, look for an earlier post, post, retry, record, pause) through a `Notifier`
(notify.py); `snooze_reminders` (snooze.py) skips upcoming ones; bot/checklist/schedule.py turns plain words
into cron text and cron text into APScheduler triggers; messages.py holds what reminders say.
"""
