"""views.open, views.push, views.update and views.publish: modals (a stack of at most three) and Home tabs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox.slack.limits import validate_view
from sandbox.slack.model import SlackApiError, TokenInfo
from sandbox.slack.state import SlackState

VIEW_STACK_MAX = 3


def _check_trigger(state: SlackState, args: Mapping[str, Any]) -> None:
    trigger_id = args.get("trigger_id")
    if not isinstance(trigger_id, str) or not trigger_id:
        raise SlackApiError("invalid_trigger_id")
    with state.lock:
        if trigger_id in state.expired_triggers:
            raise SlackApiError("expired_trigger_id")


def _stored_view(
    state: SlackState, view: dict[str, Any], auth: TokenInfo, *, view_id: str | None = None, root: str | None = None
) -> dict[str, Any]:
    errors = validate_view(view)
    if errors:
        raise SlackApiError("invalid_arguments", response_metadata={"messages": errors})
    vid = view_id or state.next_id("V")
    stored: dict[str, Any] = {
        "id": vid,
        "team_id": auth.team_id,
        "type": view["type"],
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{next(state.ids):08x}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": root or vid,
        "previous_view_id": None,
        "app_id": state.app_id,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": auth.team_id,
        "bot_id": auth.bot_id,
    }
    for key in ("title", "submit", "close"):
        if view.get(key) is not None:
            stored[key] = view[key]
    with state.lock:
        state.views[vid] = stored
    return stored


def open_view(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    assert auth is not None
    _check_trigger(state, args)
    view = args.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be a modal"]})
    stored = _stored_view(state, view, auth)
    with state.lock:
        state.view_stacks[stored["id"]] = [stored["id"]]
    return {"ok": True, "view": stored}


def push_view(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    assert auth is not None
    _check_trigger(state, args)
    view = args.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be a modal"]})
    with state.lock:
        # The stand-in pushes onto the most recently opened stack (triggers are not tied to views here).
        if not state.view_stacks:
            raise SlackApiError("not_found")
        root, stack = next(reversed(state.view_stacks.items()))
        if len(stack) >= VIEW_STACK_MAX:
            raise SlackApiError("push_limit_reached")
    stored = _stored_view(state, view, auth, root=root)
    with state.lock:
        stored["previous_view_id"] = stack[-1]
        stack.append(stored["id"])
    return {"ok": True, "view": stored}


def update_view(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    assert auth is not None
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be a view"]})
    with state.lock:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next((v["id"] for v in state.views.values() if v["external_id"] == args["external_id"]), None)
        current = state.views.get(view_id) if isinstance(view_id, str) else None
        if current is None:
            raise SlackApiError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackApiError("hash_conflict")
    stored = _stored_view(state, view, auth, view_id=current["id"], root=current["root_view_id"])
    stored["previous_view_id"] = current["previous_view_id"]
    return {"ok": True, "view": stored}


def publish_view(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    assert auth is not None
    user = state.find_user(args.get("user_id"))
    view = args.get("view")
    if not isinstance(view, dict) or view.get("type") != "home":
        raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be home"]})
    with state.lock:
        current = state.home.get(user.id)
        if current is not None and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackApiError("hash_conflict")
    stored = _stored_view(state, view, auth, view_id=current["id"] if current else None)
    with state.lock:
        state.home[user.id] = stored
    return {"ok": True, "view": stored}
