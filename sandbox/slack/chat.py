"""chat.postMessage, chat.postEphemeral, chat.update and chat.delete: messages checked against Slack's limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox.slack.limits import validate_blocks, validate_message
from sandbox.slack.model import Channel, SlackApiError, TokenInfo
from sandbox.slack.state import SlackState


def _message_object(state: SlackState, args: Mapping[str, Any], auth: TokenInfo, ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "text": args.get("text") or "",
        "ts": ts,
        "user": auth.user_id,
        "bot_id": auth.bot_id,
        "app_id": state.app_id,
        "team": auth.team_id,
    }
    if args.get("blocks") is not None:
        message["blocks"] = args["blocks"]
    if args.get("thread_ts"):
        message["thread_ts"] = args["thread_ts"]
    metadata = args.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str):
        message["metadata"] = {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload")}
    return message


def _check_message(args: Mapping[str, Any]) -> dict[str, Any]:
    error = validate_message(args)
    if error == "invalid_blocks":
        raise SlackApiError(error, response_metadata={"messages": validate_blocks(args.get("blocks"))})
    if error is not None:
        raise SlackApiError(error)
    if not args.get("text"):
        # Slack posts it but warns: notifications and screen readers need the fallback text.
        return {"warning": "missing_text", "response_metadata": {"warnings": ["missing_text"]}}
    return {}


def post_message(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    assert auth is not None
    channel = state.channel_for_post(args.get("channel"), auth)
    extra = _check_message(args)
    ts = state.next_ts()
    message = _message_object(state, args, auth, ts)
    with state.lock:
        state.posted[(channel.id, ts)] = message
    return {"ok": True, "channel": channel.id, "ts": ts, "message": message, **extra}


def post_ephemeral(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    assert auth is not None
    state.channel_for_post(args.get("channel"), auth)
    state.find_user(args.get("user"))
    extra = _check_message(args)
    # Ephemeral messages are not stored: they cannot be updated with chat.update.
    return {"ok": True, "message_ts": state.next_ts(), **extra}


def _existing_message(state: SlackState, args: Mapping[str, Any], auth: TokenInfo) -> tuple[Channel, str]:
    channel_id = args.get("channel")
    if not isinstance(channel_id, str) or not channel_id:
        raise SlackApiError("channel_not_found")
    channel = state.channel_or_default(channel_id)
    if channel.is_archived:
        raise SlackApiError("is_archived")
    ts = args.get("ts")
    with state.lock:
        if not isinstance(ts, str) or (channel.id, ts) not in state.posted:
            raise SlackApiError("message_not_found")
    return channel, ts


def update(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    assert auth is not None
    channel, ts = _existing_message(state, args, auth)
    extra = _check_message(args)
    message = _message_object(state, args, auth, ts)
    with state.lock:
        old = state.posted[(channel.id, ts)]
        if "thread_ts" in old:
            message["thread_ts"] = old["thread_ts"]
        state.posted[(channel.id, ts)] = message
    return {
        "ok": True,
        "channel": channel.id,
        "ts": ts,
        "text": message["text"],
        "message": message,
        **extra,
    }


def delete(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    assert auth is not None
    channel, ts = _existing_message(state, args, auth)
    with state.lock:
        del state.posted[(channel.id, ts)]
    return {"ok": True, "channel": channel.id, "ts": ts}


def history(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    """conversations.history: newest first, `oldest`/`latest` bounds, `limit` and cursor pages; message metadata
    only with `include_all_metadata`. Needs channels:history (groups:history for private channels)."""
    assert auth is not None
    channel_id = args.get("channel")
    if not isinstance(channel_id, str) or not channel_id:
        raise SlackApiError("channel_not_found")
    channel = state.channel_or_default(channel_id)
    needed = "groups:history" if channel.is_private and not channel.is_im else "channels:history"
    if channel.is_im:
        needed = "im:history"
    if needed not in auth.scopes:
        raise SlackApiError("missing_scope", needed=needed, provided=",".join(auth.scopes))
    if channel.is_private and not channel.is_member and not channel.is_im:
        raise SlackApiError("channel_not_found")
    if not channel.is_member and not channel.is_im and channel.members_only:
        raise SlackApiError("not_in_channel")
    try:
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or 9e18)
        limit = max(1, min(int(args.get("limit") or 100), 999))
        start = int(args.get("cursor") or 0)
    except (TypeError, ValueError) as exc:
        raise SlackApiError("invalid_arguments") from exc
    with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    with state.lock:
        found = [m for (c, ts), m in state.posted.items() if c == channel.id and oldest < float(ts) <= latest]
    found.sort(key=lambda m: float(m["ts"]), reverse=True)
    page = found[start : start + limit]
    messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
    more = start + limit < len(found)
    return {
        "ok": True,
        "messages": messages,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }
