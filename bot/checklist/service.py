"""The checklist service: the one place that runs checks, records answers and decides what is outstanding.

Every surface (Slack, Teams, the console, the scheduler) goes through it. It authorises owners, validates
input before changing anything, and keeps the confirmation log append-only. It reads and writes only through
storage's repositories. Each concern lives in a module of its own, layered in this order:

- base.py: shared state, the checklist as a view, the owners check, the confirmation log, the answers
- checklists.py: finding and starting checklists, owners
- reminding.py: reminder settings, and the all-clear that turns them off
- status.py: where every check stands (with a cache of decoded results)
- runs.py: running checks, opening and closing runs, the checklist's state
- connect.py: connecting QuickBooks Online and Finale
- answers.py: confirmations, acknowledgements and the owners' answers
- exports.py: the deactivation CSV and the opening-balance entry
"""

from __future__ import annotations

from bot.checklist.answers import AnswerRecording
from bot.checklist.connect import OAUTH_STATE_TTL
from bot.checklist.exports import Exports
from bot.checklist.status import RESULT_CACHE_SIZE

__all__ = ["OAUTH_STATE_TTL", "RESULT_CACHE_SIZE", "ChecklistService"]


class ChecklistService(AnswerRecording, Exports):
    """Checklists, their status, runs, connections, answers and exports: see the modules above."""
