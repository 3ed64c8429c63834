"""The checklist: running checks, recording what owners confirm, and deciding what is outstanding."""

from bot.checklist.errors import ChecklistError, InputError, NotFoundError, NotOwnerError
from bot.checklist.views import Actor, ChecklistStatus, ChecklistView, ScopeKey

__all__ = [
    "Actor",
    "ChecklistError",
    "ChecklistStatus",
    "ChecklistView",
    "InputError",
    "NotFoundError",
    "NotOwnerError",
    "ScopeKey",
]
