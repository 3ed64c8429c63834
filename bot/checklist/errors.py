"""Errors the checklist service raises. Each message is safe to show and says what to do; nothing changed."""

from __future__ import annotations


class ChecklistError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotOwnerError(ChecklistError):
    """Only owners may confirm, acknowledge, set the enable date, mark not applicable or change reminders."""


class NotFoundError(ChecklistError):
    pass


class InputError(ChecklistError):
    """A value a person typed or picked was rejected; `field` names the form field to flag."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
