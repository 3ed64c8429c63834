"""A local stand-in for Microsoft Teams' side of the Bot Framework, served over real HTTP.

One aiohttp app holds three services (see sandbox/teams/__init__.py for how a bot is pointed at them):
- the connector (the `serviceUrl` a bot replies to): `/v3/conversations/...`. It records every activity sent,
  replied, updated or deleted; refuses an Adaptive Card the AC 1.5 schema rejects (400) and a message over
  Teams' size limit (413); checks that the bearer token is one its login service issued (401); and can be
  told to fail a conversation (403 bot removed, 404, 429 with Retry-After, 5xx).
- the login service (what MSAL calls): tenant discovery and the client-credentials token endpoint.
- the channel's OpenID metadata and JWKS, which a bot uses to validate the tokens Teams signs.
Error bodies follow Bot Framework's ErrorResponse: `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web

from sandbox.teams.auth import CHANNEL_TOKEN_ISSUER, TokenIssuer

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE_MAX_BYTES = 28_000  # Teams refuses larger bot messages (HTTP 413)
SUPPORTED_CARD_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")
CARD_SCHEMA_PATH = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "adaptive-card-1.5.schema.json"
LOGIN_TENANT = "botframework.com"
DEFAULT_APP_ID = "00000000-0000-4000-8000-00000000b0b1"
DEFAULT_APP_PASSWORD = "preflight-teams-sandbox-secret"  # the stand-in's own, not a real credential


@dataclass(frozen=True)
class RecordedActivity:
    kind: str  # send | reply | update | delete | create
    conversation_id: str
    activity_id: str
    activity: dict[str, Any]
    reply_to_id: str | None = None
    app_id: str | None = None  # from the bearer token, None when auth is not required

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.activity.get("attachments") or [] if a.get("contentType") == ADAPTIVE_CARD]


@dataclass
class _Fault:
    status: int
    code: str
    conversation_id: str | None
    times: int
    retry_after: int | None = None


@dataclass
class Member:
    id: str
    name: str
    aad_object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    email: str = ""

    def as_json(self, tenant_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": tenant_id,
            "userRole": "user",
        }


def load_card_schema(path: Path = CARD_SCHEMA_PATH) -> dict[str, Any] | None:
    """The Adaptive Cards 1.5 JSON schema from the shared specs, None when they are not next to the repo."""
    if not path.exists():
        return None
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def card_errors(card: Any, schema: Mapping[str, Any] | None) -> list[str]:
    """Why Teams would not render this card (empty when it would)."""
    if not isinstance(card, Mapping) or card.get("type") != "AdaptiveCard":
        return ["the attachment content is not an AdaptiveCard"]
    if card.get("version") not in SUPPORTED_CARD_VERSIONS:
        return [f"version {card.get('version')!r}: Teams renders Adaptive Cards up to 1.5"]
    if schema is None:
        return []
    from jsonschema import Draft6Validator  # a dev dependency: validation is for tests and the demo

    errors = sorted(Draft6Validator(schema).iter_errors(card), key=lambda e: list(e.absolute_path))
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}" for e in errors]


def _error(status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class TeamsConnectorSandbox:
    """`with BackgroundServer(sandbox.app, ssl_context=tls.server_context()) as server: ...`"""

    def __init__(
        self,
        *,
        issuer: TokenIssuer | None = None,
        apps: Mapping[str, str] | None = None,
        card_schema: Mapping[str, Any] | None = None,
        require_auth: bool = True,
    ) -> None:
        self.issuer = issuer or TokenIssuer()
        self.apps: dict[str, str] = dict(apps or {DEFAULT_APP_ID: DEFAULT_APP_PASSWORD})
        self.card_schema = card_schema if card_schema is not None else load_card_schema()
        self.require_auth = require_auth
        self.members: list[Member] = [
            Member("29:1dana-whitfield", "Dana Whitfield", email="dana@acme.example"),
            Member("29:1raj-patel", "Raj Patel", email="raj@acme.example"),
        ]
        self.token_requests: list[dict[str, str]] = []
        self._records: list[RecordedActivity] = []
        self._messages: dict[str, dict[str, dict[str, Any]]] = {}
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1_765_000_000_001)
        self._changed = threading.Condition()
        self.app = self._build_app()

    # -------------------------------------------------------------------------- test controls

    def fail(
        self,
        status: int,
        code: str = "",
        *,
        conversation_id: str | None = None,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` connector calls (for that conversation, or any) answer `status`.

        Teams' own codes: 403 BotNotInConversationRoster (app removed), 403 ConversationBlockedByUser,
        404 ConversationNotFound, 429 (with Retry-After), 502/503 ServiceError."""
        default = {403: "BotNotInConversationRoster", 404: "ConversationNotFound", 429: "Throttled"}
        self._faults.append(
            _Fault(status, code or default.get(status, "ServiceError"), conversation_id, times, retry_after)
        )

    def clear(self) -> None:
        with self._changed:
            self._records.clear()
            self._messages.clear()
            self._faults.clear()
            self.token_requests.clear()

    def activities(self, conversation_id: str | None = None, kind: str | None = None) -> list[RecordedActivity]:
        with self._changed:
            return [
                r
                for r in self._records
                if (conversation_id is None or r.conversation_id == conversation_id)
                and (kind is None or r.kind == kind)
            ]

    def message(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """The message as it stands now (after updates), None once deleted or never sent."""
        with self._changed:
            return self._messages.get(conversation_id, {}).get(activity_id)

    def wait_for(self, count: int, *, kind: str | None = None, timeout: float = 5.0) -> list[RecordedActivity]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [r for r in self._records if kind is None or r.kind == kind]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {kind or 'activities'} arrived")
                self._changed.wait(left)

    # ------------------------------------------------------------------------------- the app

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_get("/.well-known/openidconfiguration", self._openid_metadata)
        app.router.add_get("/keys", self._keys)
        app.router.add_get(r"/{tenant}/{path:.*}/.well-known/openid-configuration", self._login_discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        base = "/v3/conversations"
        app.router.add_post(base, self._create_conversation)
        app.router.add_post(base + "/{conversation}/activities", self._send)
        app.router.add_post(base + "/{conversation}/activities/{activity}", self._send)
        app.router.add_put(base + "/{conversation}/activities/{activity}", self._update)
        app.router.add_delete(base + "/{conversation}/activities/{activity}", self._delete)
        app.router.add_get(base + "/{conversation}/members", self._members)
        app.router.add_get(base + "/{conversation}/pagedmembers", self._paged_members)
        app.router.add_get(base + "/{conversation}/members/{member}", self._member)
        return app

    # ---------------------------------------------------------------------------- identity

    async def _openid_metadata(self, request: web.Request) -> web.Response:
        origin = str(request.url.origin())
        return web.json_response(
            {
                "issuer": CHANNEL_TOKEN_ISSUER,
                "authorization_endpoint": f"{origin}/{LOGIN_TENANT}/oauth2/v2.0/authorize",
                "jwks_uri": f"{origin}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        return web.json_response(self.issuer.jwks())

    async def _login_discovery(self, request: web.Request) -> web.Response:
        origin = str(request.url.origin())
        tenant = request.match_info["tenant"]
        return web.json_response(
            {
                "issuer": f"https://login.microsoftonline.com/{self.issuer.tenant_id}/v2.0",
                "authorization_endpoint": f"{origin}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{origin}/{tenant}/oauth2/v2.0/token",
                "jwks_uri": f"{origin}/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        client_id = form.get("client_id", "")
        if client_id not in self.apps or self.apps[client_id] != form.get("client_secret"):
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
                status=401,
            )
        scope = form.get("scope", "").split(" ")[0]
        token, lifetime = self.issuer.issue_bot_token(client_id, scope)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        )

    def _authorize(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        if not self.require_auth:
            return None, None
        header = request.headers.get("Authorization", "")
        denied = web.json_response({"message": "Authorization has been denied for this request."}, status=401)
        if not header.startswith("Bearer "):
            return None, denied
        try:
            claims = self.issuer.verify_bot_token(header.removeprefix("Bearer "))
        except jwt.InvalidTokenError:
            return None, denied
        app_id = claims.get("appid")
        if app_id not in self.apps:
            return None, denied
        return str(app_id), None

    # --------------------------------------------------------------------------- connector

    def _take_fault(self, conversation_id: str) -> web.Response | None:
        for fault in self._faults:
            if fault.conversation_id in (None, conversation_id) and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                return _error(
                    fault.status, fault.code, f"Simulated {fault.status} for {conversation_id}", headers=headers
                )
        return None

    async def _body(self, request: web.Request) -> tuple[dict[str, Any] | None, web.Response | None]:
        raw = await request.read()
        if len(raw) > MESSAGE_MAX_BYTES:
            return None, _error(413, "MessageSizeTooBig", f"Message size {len(raw)} exceeds {MESSAGE_MAX_BYTES}")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return None, _error(400, "BadSyntax", "The request body is not JSON")
        if not isinstance(body, dict):
            return None, _error(400, "BadSyntax", "The request body is not a JSON object")
        for i, attachment in enumerate(body.get("attachments") or []):
            if isinstance(attachment, dict) and attachment.get("contentType") == ADAPTIVE_CARD:
                errors = card_errors(attachment.get("content"), self.card_schema)
                if errors:
                    return None, _error(400, "BadArgument", f"attachments[{i}] is not a valid Adaptive Card: {errors}")
        return body, None

    def _record(self, record: RecordedActivity, *, store: bool = True) -> None:
        with self._changed:
            self._records.append(record)
            messages = self._messages.setdefault(record.conversation_id, {})
            if record.kind == "delete":
                messages.pop(record.activity_id, None)
            elif store:
                messages[record.activity_id] = record.activity
            self._changed.notify_all()

    async def _prologue(
        self, request: web.Request, *, body: bool = True
    ) -> tuple[str, str | None, dict[str, Any], web.Response | None]:
        conversation = request.match_info.get("conversation", "")
        app_id, denied = self._authorize(request)
        if denied is not None:
            return conversation, None, {}, denied
        fault = self._take_fault(conversation)
        if fault is not None:
            return conversation, app_id, {}, fault
        if not body:
            return conversation, app_id, {}, None
        activity, bad = await self._body(request)
        return conversation, app_id, activity or {}, bad

    async def _send(self, request: web.Request) -> web.Response:
        conversation, app_id, activity, refused = await self._prologue(request)
        if refused is not None:
            return refused
        reply_to = request.match_info.get("activity")
        activity_id = str(next(self._ids))
        activity = {**activity, "id": activity_id}
        kind = "reply" if reply_to else "send"
        self._record(RecordedActivity(kind, conversation, activity_id, activity, reply_to, app_id))
        return web.json_response({"id": activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        conversation, app_id, activity, refused = await self._prologue(request)
        if refused is not None:
            return refused
        activity_id = request.match_info["activity"]
        if self.message(conversation, activity_id) is None:
            return _error(404, "ActivityNotFoundInConversation", f"No message {activity_id} in {conversation}")
        activity = {**activity, "id": activity_id}
        self._record(RecordedActivity("update", conversation, activity_id, activity, None, app_id))
        return web.json_response({"id": activity_id})

    async def _delete(self, request: web.Request) -> web.Response:
        conversation, app_id, _, refused = await self._prologue(request, body=False)
        if refused is not None:
            return refused
        activity_id = request.match_info["activity"]
        if self.message(conversation, activity_id) is None:
            return _error(404, "ActivityNotFoundInConversation", f"No message {activity_id} in {conversation}")
        self._record(RecordedActivity("delete", conversation, activity_id, {}, None, app_id))
        return web.Response(status=200)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        _, app_id, params, refused = await self._prologue(request)
        if refused is not None:
            return refused
        channel = ((params.get("channelData") or {}).get("channel") or {}).get("id")
        members = params.get("members") or []
        if not channel and not members:
            return _error(400, "BadArgument", "A conversation needs members, or channelData.channel for a post")
        activity = params.get("activity")
        activity_id = str(next(self._ids)) if activity else None
        conversation = f"{channel};messageid={activity_id}" if channel and activity_id else channel
        conversation = conversation or f"a:1{uuid.uuid4().hex}"
        self._record(RecordedActivity("create", conversation, activity_id or "", params, None, app_id), store=False)
        if activity and activity_id:
            body = {**activity, "id": activity_id}
            self._record(RecordedActivity("send", conversation, activity_id, body, None, app_id))
        result: dict[str, Any] = {"id": conversation, "serviceUrl": str(request.url.origin())}
        if activity_id:
            result["activityId"] = activity_id
        return web.json_response(result, status=201)

    async def _members(self, request: web.Request) -> web.Response:
        _, _, _, refused = await self._prologue(request, body=False)
        if refused is not None:
            return refused
        return web.json_response([m.as_json(self.issuer.tenant_id) for m in self.members])

    async def _paged_members(self, request: web.Request) -> web.Response:
        _, _, _, refused = await self._prologue(request, body=False)
        if refused is not None:
            return refused
        return web.json_response({"members": [m.as_json(self.issuer.tenant_id) for m in self.members]})

    async def _member(self, request: web.Request) -> web.Response:
        _, _, _, refused = await self._prologue(request, body=False)
        if refused is not None:
            return refused
        wanted = request.match_info["member"]
        for member in self.members:
            if wanted in (member.id, member.aad_object_id, member.email):
                return web.json_response(member.as_json(self.issuer.tenant_id))
        return _error(404, "MemberNotFoundInConversation", f"No member {wanted}")
