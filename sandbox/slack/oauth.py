"""auth.test and oauth.v2.access: who a token belongs to, and the install that issues one."""

from __future__ import annotations

import base64
import time
from typing import Any

from aiohttp import web

from sandbox.slack.model import SlackApiError, TokenInfo
from sandbox.slack.state import SlackState


def auth_test(state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
    assert auth is not None
    return {
        "ok": True,
        "url": f"https://{state.team_domain}.slack.com/",
        "team": auth.team_name,
        "user": "preflight",
        "team_id": auth.team_id,
        "user_id": auth.user_id,
        "bot_id": auth.bot_id,
        "is_enterprise_install": False,
    }


def oauth_v2_access(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    client_id, client_secret = args.get("client_id"), args.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            raise SlackApiError("invalid_client_id") from None
    if client_id != state.client_id:
        raise SlackApiError("invalid_client_id")
    if client_secret != state.client_secret:
        raise SlackApiError("bad_client_secret")
    code = args.get("code")
    with state.lock:
        if not isinstance(code, str) or not code or code in state.used_codes:
            raise SlackApiError("invalid_code")
        state.used_codes.add(code)
    bot_token = f"xoxb-{state.team_id}-{next(state.ids)}-{time.time_ns():x}"
    state.add_token(bot_token)
    return {
        "ok": True,
        "app_id": state.app_id,
        "authed_user": {"id": "U0INSTALLER"},
        "scope": ",".join(state.scopes),
        "token_type": "bot",
        "access_token": bot_token,
        "bot_user_id": state.bot_user_id,
        "team": {"id": state.team_id, "name": state.team_name},
        "enterprise": None,
        "is_enterprise_install": False,
    }
