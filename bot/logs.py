"""Logging for every Preflight process: no secret reaches a log, at any level.

Third-party libraries log what they send and receive at DEBUG: requests_oauthlib the QuickBooks access
token it adds to each request, slack_sdk the whole oauth.v2.access response (a bot token) and the
Authorization header, botbuilder its app password exchange. A filter on every handler of the root logger
(records from every library pass through those handlers) rewrites each message, and any traceback, with the
secrets replaced by "[redacted]".
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import TextIO

REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_SECRET_NAMES = (
    r"access_token|refresh_token|id_token|bot_token|user_token|app_token|client_secret|api_secret|api_key"
    r"|password|app_password|signing_secret|secret_key|secret|token|code|authorization|cookie|set-cookie"
)
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack tokens (bot, user, app-level, refresh, config) wherever they appear.
    (re.compile(r"\bx(?:ox[abposre]|app|oxe\.xox[bp])-[A-Za-z0-9-]{6,}"), REDACTED),
    # Authorization headers, with their scheme.
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + REDACTED),
    # JWTs (QuickBooks access tokens, Bot Framework tokens).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    # name: value pairs in dict reprs, JSON, headers and query strings.
    (
        re.compile(rf"""(?i)(['"]?\b(?:{_SECRET_NAMES})['"]?\s*[:=]\s*)(['"])(?:(?!\2).)+\2"""),
        r"\1\2" + REDACTED + r"\2",
    ),
    (re.compile(rf"""(?i)(\b(?:{_SECRET_NAMES})=)[^&\s'",}}]+"""), r"\1" + REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with secrets replaced; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string: keep what can be shown
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root by default) that lacks it."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def configure_logging(level: int | str = logging.INFO, *, format: str = FORMAT, stream: TextIO | None = None) -> None:
    """`logging.basicConfig`, then the redacting filter on every root handler."""
    logging.basicConfig(level=level, format=format, stream=stream)
    install_redaction()
