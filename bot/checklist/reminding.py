"""A checklist's reminder settings, and the rule that an all-clear turns reminders off for good.

The scheduler (bot/reminders/) follows these settings: it listens for changes and asks the service, never
deciding on its own when reminders stop.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from bot.checklist.checklists import Checklists
from bot.checklist.views import Actor, ChecklistStatus
from bot.requests import mark_applied
from storage.repositories import checklists

log = logging.getLogger(__name__)


class Reminding(Checklists):
    def set_reminders(self, checklist_id: int, actor: Actor, schedule: str | None) -> str:
        from bot.checklist.schedule import describe, parse_schedule

        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "change reminders")
            mark_applied(s)
            row = self._row(s, checklist_id)
            if schedule is None:
                checklists.update_checklist(s, checklist_id, reminders_enabled=False)
                reply = "Reminders for this checklist are off."
            else:
                cron = parse_schedule(schedule)
                checklists.update_checklist(s, checklist_id, reminder_schedule=cron, reminders_enabled=True)
                tz = row.reminder_timezone or self.settings.timezone
                reply = f"I'll remind this channel {describe(cron)} ({tz}) until every item is cleared."
        # After the commit, so that the scheduler reads the new settings.
        self._reminders_changed(checklist_id)
        return reply

    def stop_reminders_if_all_clear(self, checklist_id: int, status: ChecklistStatus) -> bool:
        """Everything is cleared: the ready card is the all-clear, so reminders stop for good. True when this
        turned them off (they were on and the checklist is ready)."""
        if not status.ready:
            return False
        with self.sessions.begin() as s:
            row = checklists.get_checklist(s, checklist_id)
            stopped = row is not None and row.reminders_enabled
            if stopped:
                checklists.update_checklist(s, checklist_id, reminders_enabled=False)
        if stopped:
            self._reminders_changed(checklist_id)
        return stopped

    def add_reminder_listener(self, listener: Callable[[int], None]) -> None:
        """Call `listener(checklist_id)` after a checklist's reminder settings change (the scheduler's sync)."""
        self._reminder_listeners.append(listener)

    def remove_reminder_listener(self, listener: Callable[[int], None]) -> None:
        with contextlib.suppress(ValueError):
            self._reminder_listeners.remove(listener)

    def _reminders_changed(self, checklist_id: int) -> None:
        for listener in list(self._reminder_listeners):
            try:
                listener(checklist_id)
            except Exception:  # the change is saved; the scheduler's periodic refresh picks it up
                log.exception("A reminder listener failed for checklist %s", checklist_id)
