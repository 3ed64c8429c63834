"""Where a Slack request came from, and so where its answers go."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.checklist.views import Actor, ScopeKey

PLATFORM = "slack"
# App Home buttons carry the channel of their checklist in front of the button's own value.
HOME_VALUE_SEPARATOR = "\n"


@dataclass(frozen=True)
class Origin:
    team_id: str
    channel_id: str
    user_id: str
    user_name: str = ""
    team_name: str = ""
    response_url: str | None = None
    trigger_id: str | None = None
    # A channel message whose button was pressed: "checking…" and the result replace it in place.
    message_ts: str | None = None
    # That message's text and blocks, put back when nothing replaces it (e.g. a refused confirmation).
    message: Mapping[str, Any] | None = None
    from_home: bool = False

    @property
    def scope(self) -> ScopeKey:
        # Team and channel together: two workspaces never share a checklist, even with equal channel ids.
        return ScopeKey(PLATFORM, self.team_id, self.channel_id, self.team_name)

    def actor(self, name: str | None = None) -> Actor:
        return Actor(self.user_id, name or self.user_name or self.user_id)

    def as_context(self) -> dict[str, str]:
        """For answers that arrive later (the QuickBooks connection): where and to whom to report."""
        return {
            "surface": PLATFORM,
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "user_id": self.user_id,
        }


def from_command(command: Mapping[str, Any]) -> Origin:
    return Origin(
        team_id=str(command.get("team_id") or ""),
        channel_id=str(command.get("channel_id") or ""),
        user_id=str(command.get("user_id") or ""),
        user_name=str(command.get("user_name") or ""),
        team_name=str(command.get("team_domain") or ""),
        response_url=command.get("response_url") or None,
        trigger_id=command.get("trigger_id") or None,
    )


def _team(body: Mapping[str, Any]) -> tuple[str, str]:
    team = body.get("team") or {}
    user = body.get("user") or {}
    team_id = team.get("id") or user.get("team_id") or (body.get("view") or {}).get("team_id") or ""
    return str(team_id), str(team.get("domain") or "")


def _user(body: Mapping[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return str(user.get("id") or ""), str(user.get("name") or user.get("username") or "")


def from_action(body: Mapping[str, Any], value: str) -> tuple[Origin, str]:
    """The origin of a button press, and the button's value (without the App Home channel prefix)."""
    team_id, team_name = _team(body)
    user_id, user_name = _user(body)
    container = body.get("container") or {}
    from_home = container.get("type") == "view" and (body.get("view") or {}).get("type") == "home"
    channel_id = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    if from_home and HOME_VALUE_SEPARATOR in value:
        channel_id, _, value = value.partition(HOME_VALUE_SEPARATOR)
    message = body.get("message") or {}
    # Ephemeral messages cannot be updated with chat.update: answers to their buttons are posted anew.
    in_place = container.get("type") == "message" and not container.get("is_ephemeral") and bool(message)
    message_ts = str(container.get("message_ts") or message.get("ts") or "") if in_place else ""
    origin = Origin(
        team_id=team_id,
        channel_id=channel_id,
        user_id=user_id,
        user_name=user_name,
        team_name=team_name,
        response_url=body.get("response_url") or None,
        trigger_id=body.get("trigger_id") or None,
        message_ts=message_ts or None,
        message={"text": message.get("text", ""), "blocks": message.get("blocks", [])} if message_ts else None,
        from_home=from_home,
    )
    return origin, value


@dataclass(frozen=True)
class FormMetadata:
    """What a modal carries through Slack in `private_metadata`: its channel and the form's own context."""

    channel_id: str
    context: str = ""

    def encode(self) -> str:
        return json.dumps({"channel": self.channel_id, "context": self.context}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> FormMetadata | None:
        try:
            data = json.loads(raw or "")
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("channel"), str) or not data["channel"]:
            return None
        context = data.get("context")
        return cls(data["channel"], context if isinstance(context, str) else "")


def from_view(body: Mapping[str, Any], metadata: FormMetadata) -> Origin:
    team_id, team_name = _team(body)
    user_id, user_name = _user(body)
    return Origin(
        team_id=team_id,
        channel_id=metadata.channel_id,
        user_id=user_id,
        user_name=user_name,
        team_name=team_name,
    )
