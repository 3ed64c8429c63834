"""Where a Teams activity came from: the tenant, the conversation, the person, and how to answer there.

A checklist belongs to a conversation of a tenant: a team channel, a group chat or a personal chat. In a
channel every message thread has its own conversation id (`19:…@thread.tacv2;messageid=…`); the checklist
is the channel's, so the thread suffix is dropped from its key, and one tenant never sees another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.checklist.views import Actor, ScopeKey

PLATFORM = "teams"
THREAD_SUFFIX = ";messageid="


@dataclass(frozen=True)
class TeamsOrigin:
    tenant_id: str
    conversation_key: str  # the channel or chat, without a thread's ;messageid=
    user_id: str  # the person's Azure AD object id where Teams gives it, else their Bot Framework id
    user_name: str
    reference: ConversationReference
    channel_id: str | None = None  # the team channel's id, for new top-level posts (reminders)
    conversation_type: str = ""  # personal | groupChat | channel
    pressed_id: str | None = None  # the card whose button was pressed, to update in place

    @property
    def scope(self) -> ScopeKey:
        return ScopeKey(PLATFORM, self.tenant_id, self.conversation_key)

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.user_name or "Someone")

    def as_context(self) -> dict[str, str]:
        """For answers that arrive later (the QuickBooks connection): where and to whom to report."""
        return {"surface": PLATFORM, "tenant_id": self.tenant_id, "conversation": self.conversation_key}


def tenant_of(activity: Activity) -> str:
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        return str(conversation.tenant_id)
    data = activity.channel_data or {}
    tenant = data.get("tenant") if isinstance(data, dict) else None
    return str((tenant or {}).get("id") or "")


def channel_of(activity: Activity) -> str | None:
    data = activity.channel_data or {}
    channel = data.get("channel") if isinstance(data, dict) else None
    channel_id = (channel or {}).get("id") if isinstance(channel, dict) else None
    return str(channel_id) if channel_id else None


def conversation_key(conversation_id: str) -> str:
    return conversation_id.split(THREAD_SUFFIX, 1)[0]


def person(account: Any) -> Actor:
    """A ChannelAccount as an Actor: the AAD object id is the person's identity across chats."""
    user_id = str(getattr(account, "aad_object_id", None) or getattr(account, "id", "") or "")
    return Actor(user_id, str(getattr(account, "name", None) or "Someone"))


def from_activity(activity: Activity) -> TeamsOrigin | None:
    """None when the activity lacks what every Teams activity carries (a conversation and a sender)."""
    if activity.conversation is None or not activity.conversation.id or activity.from_property is None:
        return None
    who = person(activity.from_property)
    pressed = activity.reply_to_id if activity.value is not None or activity.type == "invoke" else None
    return TeamsOrigin(
        tenant_id=tenant_of(activity),
        conversation_key=conversation_key(str(activity.conversation.id)),
        user_id=who.user_id,
        user_name=who.name,
        reference=TurnContext.get_conversation_reference(activity),
        channel_id=channel_of(activity),
        conversation_type=str(activity.conversation.conversation_type or ""),
        pressed_id=pressed or None,
    )
