"""Slack requests, once each and never lost: their idempotency keys, and what is kept to run them again.

Keys (stored in the database, so every replica knows them):
- events: Slack's `event_id` (an `X-Slack-Retry-Num` retry repeats it);
- buttons: the press's `action_ts` with its user and action (a retry or replay repeats them);
- modals: the submitted view's id (one successful submission per view; a form with errors stays open and is
  not recorded);
- slash commands: SHA-256 of the signed body, which holds the command's unique `trigger_id` (Socket Mode,
  with no raw body: the trigger_id itself).

The kept request (`Pending`) is what the surface's entry points need: the origin, and the command text, the
button's action and value, or the form's values. It is stored encrypted (a form may carry a Finale secret).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from handlers.slack.origin import Origin

PLATFORM = "slack"


def event_key(body: Mapping[str, Any]) -> str | None:
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    return f"slack:event:{event_id}" if isinstance(event_id, str) and event_id else None


def command_key(raw_body: str, command: Mapping[str, Any]) -> str:
    """The signed body's hash over HTTP; in Socket Mode (no raw body) the command's own trigger_id."""
    if not raw_body:
        raw_body = "trigger_id=" + str(command.get("trigger_id") or "")
    return "slack:command:" + hashlib.sha256(raw_body.encode("utf-8", "surrogatepass")).hexdigest()


def action_key(body: Mapping[str, Any]) -> str:
    action = (body.get("actions") or [{}])[0]
    user = (body.get("user") or {}).get("id") or ""
    stamp = action.get("action_ts") or body.get("trigger_id") or ""
    return f"slack:action:{user}:{action.get('action_id') or ''}:{stamp}"[:200]


def view_key(body: Mapping[str, Any]) -> str:
    view = body.get("view") or {}
    return f"slack:view:{view.get('id') or body.get('trigger_id') or ''}"[:200]


@dataclass(frozen=True)
class Pending:
    """A Slack request as kept until it is done: which entry point, where from, and its arguments."""

    kind: str  # command | press | submit
    intent: str
    origin: Origin
    text: str = ""  # command
    value: str = ""  # press
    context: str = ""  # submit: the form's context
    values: Mapping[str, str | None] = field(default_factory=dict)  # submit
    picked: Mapping[str, str] = field(default_factory=dict)  # submit

    def encode(self) -> str:
        data = asdict(self)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> Pending:
        data = json.loads(raw)
        origin = dict(data.pop("origin"))
        return cls(origin=Origin(**origin), **data)
