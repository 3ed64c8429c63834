"""The Slack stand-in's HTTP face: the Web API route, the file upload URL and response URLs.

Each Web API method is a function of the state in a module per family (chat, views, files, directory, oauth).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any

from aiohttp import web

from sandbox.slack import chat, directory, files, oauth, views
from sandbox.slack.limits import validate_message
from sandbox.slack.model import ResponseUrl, SlackApiError, TokenInfo
from sandbox.slack.state import SlackState

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60

# Slack sends these arguments as JSON strings in form-encoded requests.
_JSON_ARGS = ("blocks", "view", "attachments", "files", "metadata")

_SCOPE_FOR_METHOD: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "users.info": "users:read",
}

Method = Callable[[SlackState, web.Request, dict[str, Any], TokenInfo | None], dict[str, Any]]

METHODS: dict[str, Method] = {
    "auth.test": oauth.auth_test,
    "chat.postMessage": chat.post_message,
    "chat.postEphemeral": chat.post_ephemeral,
    "chat.update": chat.update,
    "chat.delete": chat.delete,
    "views.open": views.open_view,
    "views.push": views.push_view,
    "views.update": views.update_view,
    "views.publish": views.publish_view,
    "files.getUploadURLExternal": files.get_upload_url,
    "files.completeUploadExternal": files.complete_upload,
    "users.info": directory.users_info,
    "conversations.info": directory.conversations_info,
    "conversations.history": chat.history,
    "oauth.v2.access": oauth.oauth_v2_access,
}


class SlackApiSandbox(SlackState):
    """The stand-in. Serve `sandbox.app` with `sandbox.server.BackgroundServer`.

    Lenient by default: channels and users it has not been told about exist (public channel with the bot
    in it; an ordinary user). Configure what a test needs: `set_channel(...)`, `add_user(...)`,
    `add_token(...)`, `fail(...)`, `rate_limit(...)`, `expire_response_url(...)`, `expire_trigger(...)`.
    """

    @cached_property
    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{response_id}", self._handle_response_url)
        return app

    @staticmethod
    async def _parse_args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    args.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, str | bytes | bytearray):
                        args[key] = value
                    else:
                        args[key] = value.file.read()
        for key in _JSON_ARGS:
            raw = args.get(key)
            if isinstance(raw, str):
                try:
                    args[key] = json.loads(raw)
                except json.JSONDecodeError:
                    args[key] = {"__invalid_json__": raw}
        return args

    @staticmethod
    def _token_of(request: web.Request, args: Mapping[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :].strip() or None
        token = args.get("token")
        return token if isinstance(token, str) and token else None

    def _authenticate(self, token: str | None) -> TokenInfo:
        if token is None:
            raise SlackApiError("not_authed")
        with self.lock:
            info = self.tokens.get(token)
        if info is None:
            raise SlackApiError("invalid_auth")
        if info.revoked:
            raise SlackApiError("token_revoked")
        return info

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._parse_args(request)
        token = self._token_of(request, args)
        status = 200
        headers: dict[str, str] = {}
        body: dict[str, Any]
        try:
            failure = self.faults.take(method)
            if failure is not None and not failure.after:
                status = failure.status
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                raise SlackApiError(failure.error, status=failure.status)
            handler = METHODS.get(method)
            if handler is None:
                raise SlackApiError("unknown_method", status=404)
            if method == "oauth.v2.access":
                body = handler(self, request, args, None)
            else:
                auth = self._authenticate(token)
                needed = _SCOPE_FOR_METHOD.get(method)
                if needed is not None and needed not in auth.scopes:
                    raise SlackApiError("missing_scope", needed=needed, provided=",".join(auth.scopes))
                if method == "chat.postMessage" and isinstance(args.get("channel"), str):
                    wait = self.post_wait(args["channel"])
                    if wait > 0:
                        headers["Retry-After"] = str(max(1, round(wait + 0.499)))
                        raise SlackApiError("ratelimited", status=429)
                body = handler(self, request, args, auth)
                headers["X-OAuth-Scopes"] = ",".join(auth.scopes)
            if failure is not None:  # the work is done, yet the answer is an error
                raise SlackApiError(failure.error, status=failure.status)
        except SlackApiError as error:
            status = error.status
            body = {"ok": False, "error": error.error, **error.extra}
        self.record(method, args, request, token, status, body)
        return web.json_response(body, status=status, headers=headers)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        # The upload URL from files.getUploadURLExternal takes the raw bytes and answers text/plain.
        file_id = request.match_info["file_id"]
        content = await request.read()
        with self.lock:
            found = self.uploads.get(file_id)
            if found is not None:
                found.content = content
        status, text = (200, f"OK - {len(content)}") if found is not None else (404, "file_not_found")
        self.record("upload", {"file_id": file_id, "length": len(content)}, request, None, status, text)
        return web.Response(status=status, text=text, content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["response_id"]
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        args: dict[str, Any] = {"response_id": rid, **(payload if isinstance(payload, dict) else {})}
        with self.lock:
            entry = self.response_urls.setdefault(rid, ResponseUrl(rid, time.time()))
            if entry.expired or time.time() - entry.created > RESPONSE_URL_TTL_SECONDS:
                status, text = 404, "expired_url"
            elif entry.uses >= RESPONSE_URL_MAX_USES:
                status, text = 404, "used_url"
            elif not isinstance(payload, dict):
                status, text = 400, "invalid_payload"
            else:
                error = validate_message(payload)
                if error is not None:
                    status, text = 400, error
                else:
                    entry.uses += 1
                    entry.posts.append(payload)
                    status, text = 200, "ok"
        self.record("response_url", args, request, None, status, text)
        return web.Response(status=status, text=text, content_type="text/plain")
