"""Activities as Teams POSTs them to a bot's messaging endpoint (JSON, camelCase), for tests and the demo.

Shapes follow Bot Framework's Activity schema with Teams' channelData (tenant, team, channel) and the
ids Teams uses: users `29:...` with an `aadObjectId`, the bot `28:<app id>`, channel conversations
`19:...@thread.tacv2;messageid=<root>`, personal chats `a:...`.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.teams.auth import TEAMS_CHANNEL_ID

_ids = itertools.count(1_765_100_000_001)


@dataclass(frozen=True)
class TeamsUser:
    id: str = "29:1dana-whitfield"
    name: str = "Dana Whitfield"
    aad_object_id: str = "6f1b2c3d-0000-4000-8000-00000000da7a"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


@dataclass(frozen=True)
class TeamsPlace:
    """Where the activity happens: a team channel (team and channel set) or a personal chat (neither)."""

    tenant_id: str = "00000000-0000-4000-8000-00000000feed"
    team_id: str | None = "19:acme-team@thread.tacv2"
    team_name: str = "Acme Finance"
    channel_id: str | None = "19:golive@thread.tacv2"
    channel_name: str = "go-live"
    personal_chat_id: str = field(default_factory=lambda: f"a:1{uuid.uuid4().hex}")

    @property
    def is_channel(self) -> bool:
        return self.channel_id is not None

    def conversation(self, root_id: str | None = None) -> dict[str, Any]:
        if self.channel_id:
            conversation_id = f"{self.channel_id};messageid={root_id}" if root_id else self.channel_id
            return {
                "id": conversation_id,
                "conversationType": "channel",
                "isGroup": True,
                "tenantId": self.tenant_id,
                "name": self.channel_name,
            }
        return {"id": self.personal_chat_id, "conversationType": "personal", "tenantId": self.tenant_id}

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.team_id:
            data["team"] = {"id": self.team_id, "name": self.team_name}
        if self.channel_id:
            data["channel"] = {"id": self.channel_id, "name": self.channel_name}
        return data


def _base(
    kind: str, *, service_url: str, app_id: str, user: TeamsUser, place: TeamsPlace, root_id: str | None
) -> dict[str, Any]:
    activity_id = str(next(_ids))
    return {
        "type": kind,
        "id": activity_id,
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "localTimestamp": datetime.now(UTC).isoformat(),
        "channelId": TEAMS_CHANNEL_ID,
        "serviceUrl": service_url,
        "from": user.as_json(),
        "recipient": {"id": f"28:{app_id}", "name": "Preflight"},
        "conversation": place.conversation(root_id if root_id is not None else activity_id),
        "channelData": place.channel_data(),
        "locale": "en-US",
        "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"}],
    }


def message_activity(
    text: str,
    *,
    service_url: str,
    app_id: str,
    user: TeamsUser | None = None,
    place: TeamsPlace | None = None,
    mention_bot: bool | None = None,
    root_id: str | None = None,
) -> dict[str, Any]:
    """A message typed by a person. In a channel the bot only receives messages that @mention it, so by
    default the text starts with `<at>Preflight</at>` and carries the mention entity."""
    place = place or TeamsPlace()
    activity = _base(
        "message", service_url=service_url, app_id=app_id, user=user or TeamsUser(), place=place, root_id=root_id
    )
    if mention_bot if mention_bot is not None else place.is_channel:
        activity["text"] = f"<at>Preflight</at> {text}"
        activity["entities"].append(
            {"type": "mention", "text": "<at>Preflight</at>", "mentioned": dict(activity["recipient"])}
        )
    else:
        activity["text"] = text
    activity["textFormat"] = "plain"
    return activity


def _click(
    kind: str,
    *,
    service_url: str,
    app_id: str,
    reply_to_id: str,
    user: TeamsUser | None,
    place: TeamsPlace | None,
    root_id: str | None,
) -> dict[str, Any]:
    """A click on a card: in a channel it belongs to the thread the card is in."""
    activity = _base(
        kind,
        service_url=service_url,
        app_id=app_id,
        user=user or TeamsUser(),
        place=place or TeamsPlace(),
        root_id=root_id or reply_to_id,
    )
    activity["replyToId"] = reply_to_id
    return activity


def submit_activity(
    value: dict[str, Any],
    *,
    service_url: str,
    app_id: str,
    reply_to_id: str,
    user: TeamsUser | None = None,
    place: TeamsPlace | None = None,
    root_id: str | None = None,
) -> dict[str, Any]:
    """An Action.Submit click: a message with no text whose `value` is the button's data merged with inputs."""
    activity = _click(
        "message",
        service_url=service_url,
        app_id=app_id,
        reply_to_id=reply_to_id,
        user=user,
        place=place,
        root_id=root_id,
    )
    activity["value"] = value
    return activity


def invoke_activity(
    verb: str,
    data: dict[str, Any],
    *,
    service_url: str,
    app_id: str,
    reply_to_id: str,
    user: TeamsUser | None = None,
    place: TeamsPlace | None = None,
    root_id: str | None = None,
) -> dict[str, Any]:
    """An Action.Execute click: invoke `adaptiveCard/action`, the inputs merged into `data`."""
    activity = _click(
        "invoke",
        service_url=service_url,
        app_id=app_id,
        reply_to_id=reply_to_id,
        user=user,
        place=place,
        root_id=root_id,
    )
    activity.update(
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
    )
    return activity


def installation_activity(
    *,
    service_url: str,
    app_id: str,
    user: TeamsUser | None = None,
    place: TeamsPlace | None = None,
) -> dict[str, Any]:
    """The conversationUpdate Teams sends when Preflight is added to a team (or a personal chat)."""
    activity = _base(
        "conversationUpdate",
        service_url=service_url,
        app_id=app_id,
        user=user or TeamsUser(),
        place=place or TeamsPlace(),
        root_id="",
    )
    activity["membersAdded"] = [{"id": f"28:{app_id}"}]
    activity["channelData"]["eventType"] = "teamMemberAdded"
    return activity
