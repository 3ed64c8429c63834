"""users.info and conversations.info: who a user is, and what the bot can see of a channel."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.slack.model import SlackApiError, TokenInfo
from sandbox.slack.state import SlackState


def users_info(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    assert auth is not None
    user = state.find_user(args.get("user"))
    return {
        "ok": True,
        "user": {
            "id": user.id,
            "team_id": auth.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "is_bot": user.is_bot,
            "profile": {
                "real_name": user.real_name,
                "display_name": user.display_name,
                "real_name_normalized": user.real_name,
                "display_name_normalized": user.display_name,
            },
        },
    }


def conversations_info(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    assert auth is not None
    channel_id = args.get("channel")
    if not isinstance(channel_id, str) or not channel_id:
        raise SlackApiError("channel_not_found")
    channel = state.channel_or_default(channel_id)
    needed = "groups:read" if channel.is_private and not channel.is_im else "channels:read"
    if channel.is_im:
        needed = "im:read"
    if needed not in auth.scopes:
        raise SlackApiError("missing_scope", needed=needed, provided=",".join(auth.scopes))
    if channel.is_private and not channel.is_member and not channel.is_im:
        raise SlackApiError("channel_not_found")
    return {
        "ok": True,
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private and not channel.is_im,
            "is_group": channel.is_private and not channel.is_im,
            "is_im": channel.is_im,
            "is_private": channel.is_private,
            "is_archived": channel.is_archived,
            "is_member": channel.is_member,
            "is_general": False,
            "created": 1_700_000_000,
            "context_team_id": auth.team_id,
        },
    }
