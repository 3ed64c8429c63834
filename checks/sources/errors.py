"""Errors a source raises. Every message is written for the person in the chat: what failed, what to do.

`SourceError` is the one root: whatever goes wrong in the QBO or Finale client (network, HTTP status, an answer
in an unexpected shape, configuration) reaches the caller as a `SourceError`, never as a library's exception.
No message may contain a token, key or secret.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source could not be read. `str(error)` is safe to show a user."""

    source = "source"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # technical detail for logs (never secrets)


class ConfigurationError(SourceError):
    """Something is missing or malformed in the configuration; nothing was contacted."""


class QboError(SourceError):
    source = "QuickBooks Online"


class QboAuthError(QboError):
    """QBO rejected the connection even after a token refresh: an owner must reconnect."""


class QboFaultError(QboError):
    """QBO answered with a Fault body (validation, query parser, not found...)."""

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.code = code


class FinaleError(SourceError):
    source = "Finale"


class FinaleAuthError(FinaleError):
    """Finale rejected the API key and secret."""
