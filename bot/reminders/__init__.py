"""Channel reminders: one scheduled job per checklist, rebuilt from the database at start.

`Reminders` (scheduler.py) runs the jobs and delivers each reminder through a `Notifier` (notify.py);
`snooze_reminders` (snooze.py) skips upcoming ones; schedule.py turns plain words into cron text and cron
text into APScheduler triggers; messages.py holds what reminders say.
"""
