"""The door of POST /slack/events: what is checked before Bolt (or anything else) parses a request.

Bolt parses the body before it checks the signature, and its parser raises on a malformed `payload=` form,
a JSON array or non-UTF-8, and on a timestamp that is not a number: each a 500 with a traceback, for anyone,
with no secret needed. Here, in order, each refused with a 4xx and without parsing more than needed:

1. the content type is one Slack sends (form-urlencoded for commands and interactivity, JSON for events);
2. the timestamp is a number and the signature matches (Slack's v0 HMAC over the raw bytes, with the
   signing secret and clock of slack_sdk's SignatureVerifier; 5-minute window), so nothing below is
   reachable without the signing secret;
3. the body is UTF-8 and parses into one JSON object (events, or the form's `payload` field) or a form.

Bolt's parser also takes any form body containing the text "payload" for an interaction, so a slash
command whose text, channel or user name holds that word reaches no listener (Bolt answers "installation
no longer available"). `parse` below decides on the form's own `payload` field instead, and the request
handed to Bolt carries that body (slack_bolt/request/internals.py `parse_body`; no upstream issue found).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CONTENT_TYPES = (FORM, JSON)
MAX_AGE_SECONDS = 5 * 60


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


@dataclass(frozen=True)
class Accepted:
    raw: str
    body: dict[str, Any]


def _strict_json(text: str) -> Any:
    def no_constants(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=no_constants)


def parse(raw: str, content_type: str) -> dict[str, Any] | None:
    """The request body as Slack meant it; None when it is not one object Slack would send."""
    try:
        if content_type == JSON:
            data = _strict_json(raw)
        elif raw.startswith("{"):
            return None  # Bolt would parse it as JSON whatever the content type says
        else:
            fields = parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw), errors="strict")
            form = dict(fields)
            data = _strict_json(form["payload"]) if "payload" in form else form
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def signed(verifier: SignatureVerifier, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes (SignatureVerifier would decode them first, and raise)."""
    if abs(verifier.clock.now() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(verifier.signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def check(
    verifier: SignatureVerifier | None, raw: bytes, content_type: str, headers: dict[str, str]
) -> Accepted | Refusal:
    """Accept a request to /slack/events, or say why not (status and a short reason, no request content)."""
    if content_type not in CONTENT_TYPES:
        return Refusal(415, "Slack sends application/x-www-form-urlencoded or application/json")
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return Refusal(401, "X-Slack-Request-Timestamp must be a Unix time")
    if verifier is not None and not signed(verifier, raw, timestamp, headers.get("X-Slack-Signature", "")):
        return Refusal(401, "invalid or expired signature")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "the body is not UTF-8")
    body = parse(text, content_type)
    if body is None:
        return Refusal(400, "the body is not a Slack request")
    return Accepted(text, body)
