"""A local stand-in for the Slack Web API, served over real HTTP.

slack_sdk's `WebClient` / `AsyncWebClient(base_url=server.url + "/api/")` talk to it as they would to Slack:

    sandbox = SlackApiSandbox()
    with BackgroundServer(sandbox.app) as server:
        client = WebClient(token="xoxb-valid", base_url=server.url + "/api/")
        client.chat_postMessage(channel="C0PREFLIGHT", text="hello")
        assert sandbox.last("chat.postMessage").args["text"] == "hello"

It is modelled on bolt-python's `tests/mock_web_api_server`, but it also enforces what real Slack rejects
(block counts, text lengths, archived channels, expired response URLs, rate limits) so that tests catch a
message that Slack would refuse. Error names and shapes follow Slack's documentation.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from handlers.slack.scopes import BOT_SCOPES

# A token issued by an install of Preflight has the manifest's bot scopes.
DEFAULT_BOT_SCOPES: tuple[str, ...] = BOT_SCOPES
DEFAULT_TOKEN = "xoxb-valid"

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_MAX_TEXT = 40_000
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
VIEW_STACK_MAX = 3

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


# ------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class TokenInfo:
    token: str
    team_id: str
    team_name: str
    user_id: str  # the bot user for xoxb tokens
    bot_id: str
    scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES
    revoked: bool = False


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = True  # whether the bot user is in it
    is_im: bool = False
    user: str | None = None  # the other party of a DM
    # Slack refuses posts from non-members even with chat:write.public (e.g. Slack Connect channels).
    members_only: bool = False


@dataclass(frozen=True)
class User:
    id: str
    name: str
    real_name: str
    display_name: str = ""
    tz: str = "America/New_York"
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in answered: a Web API method, an upload, or a response_url post."""

    method: str  # "chat.postMessage", ..., "upload" for the file upload URL, "response_url"
    args: dict[str, Any]
    headers: dict[str, str]
    time: float
    token: str | None
    status: int
    response: Any  # the body answered (a dict, or text for uploads and response URLs)

    @property
    def ok(self) -> bool:
        return isinstance(self.response, dict) and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        if isinstance(self.response, dict):
            error = self.response.get("error")
            return str(error) if error is not None else None
        return None if self.status == 200 else str(self.response)


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class ResponseUrl:
    id: str
    created: float
    uses: int = 0
    expired: bool = False
    posts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Failure:
    error: str
    remaining: int
    status: int = 200
    retry_after: int | None = None


class SlackApiError(Exception):
    """Raised inside a method handler; becomes `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


# ------------------------------------------------------------------------------ limit validation


def _pointer(path: str) -> str:
    return f"[json-pointer:{path}]"


def _text_errors(obj: Any, path: str, *, max_len: int, plain_only: bool = False, required: bool = True) -> list[str]:
    if obj is None:
        return [f"[ERROR] missing required field: {path.rsplit('/', 1)[-1]} {_pointer(path)}"] if required else []
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"[ERROR] must be a text object {_pointer(path)}"]
    if plain_only and obj["type"] != "plain_text":
        return [f"[ERROR] must be plain_text {_pointer(path + '/type')}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters {_pointer(path + '/text')}"]
    if len(text) > max_len:
        return [f"[ERROR] must be less than {max_len + 1} characters {_pointer(path + '/text')}"]
    return []


def _confirm_errors(confirm: Any, path: str) -> list[str]:
    if confirm is None:
        return []
    if not isinstance(confirm, dict):
        return [f"[ERROR] must be an object {_pointer(path)}"]
    errors = _text_errors(confirm.get("title"), path + "/title", max_len=100, plain_only=True)
    errors += _text_errors(confirm.get("text"), path + "/text", max_len=300)
    errors += _text_errors(confirm.get("confirm"), path + "/confirm", max_len=30, plain_only=True)
    errors += _text_errors(confirm.get("deny"), path + "/deny", max_len=30, plain_only=True)
    if confirm.get("style") not in (None, "primary", "danger"):
        errors.append(f"[ERROR] must be primary or danger {_pointer(path + '/style')}")
    return errors


def _option_errors(options: Any, path: str, *, max_items: int) -> list[str]:
    if not isinstance(options, list) or not options:
        return [f"[ERROR] must provide at least 1 option {_pointer(path)}"]
    if len(options) > max_items:
        return [f"[ERROR] must be less than {max_items + 1} items {_pointer(path)}"]
    errors: list[str] = []
    values: set[str] = set()
    for i, option in enumerate(options):
        p = f"{path}/{i}"
        errors += _text_errors(option.get("text") if isinstance(option, dict) else None, p + "/text", max_len=75)
        value = option.get("value") if isinstance(option, dict) else None
        if not isinstance(value, str) or not value or len(value) > 150:
            errors.append(f"[ERROR] must be 1 to 150 characters {_pointer(p + '/value')}")
        elif value in values:
            errors.append(f"[ERROR] duplicate option value {_pointer(p + '/value')}")
        else:
            values.add(value)
    return errors


def _element_errors(element: Any, path: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"[ERROR] must be an object {_pointer(path)}"]
    kind = element.get("type")
    errors: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or not 0 < len(action_id) <= 255):
        errors.append(f"[ERROR] must be 1 to 255 characters {_pointer(path + '/action_id')}")
    errors += _confirm_errors(element.get("confirm"), path + "/confirm")
    if kind == "button":
        errors += _text_errors(element.get("text"), path + "/text", max_len=75, plain_only=True)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            errors.append(f"[ERROR] must be less than 2001 characters {_pointer(path + '/value')}")
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > 3000):
            errors.append(f"[ERROR] must be less than 3001 characters {_pointer(path + '/url')}")
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(f"[ERROR] must be primary or danger {_pointer(path + '/style')}")
    elif kind == "datepicker":
        initial = element.get("initial_date")
        if initial is not None and not (isinstance(initial, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", initial)):
            errors.append(f"[ERROR] must match YYYY-MM-DD {_pointer(path + '/initial_date')}")
        errors += _text_errors(element.get("placeholder"), path + "/placeholder", max_len=150, required=False)
    elif kind == "plain_text_input":
        errors += _text_errors(element.get("placeholder"), path + "/placeholder", max_len=150, required=False)
        initial = element.get("initial_value")
        if initial is not None and (not isinstance(initial, str) or len(initial) > 3000):
            errors.append(f"[ERROR] must be less than 3001 characters {_pointer(path + '/initial_value')}")
    elif kind in ("static_select", "radio_buttons"):
        errors += _option_errors(
            element.get("options"), path + "/options", max_items=100 if kind == "static_select" else 10
        )
        initial = element.get("initial_option")
        options = element.get("options")
        if initial is not None and (not isinstance(options, list) or initial not in options):
            errors.append(f"[ERROR] must be one of the options {_pointer(path + '/initial_option')}")
    elif kind not in (
        "checkboxes",
        "overflow",
        "users_select",
        "conversations_select",
        "channels_select",
        "timepicker",
        "datetimepicker",
        "image",
        "email_text_input",
        "url_text_input",
        "number_input",
    ):
        errors.append(f"[ERROR] unsupported element type {_pointer(path + '/type')}")
    return errors


def _block_errors(block: Any, path: str, *, surface: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"[ERROR] must be an object {_pointer(path)}"]
    kind = block.get("type")
    errors: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or not 0 < len(block_id) <= 255):
        errors.append(f"[ERROR] must be 1 to 255 characters {_pointer(path + '/block_id')}")
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            errors.append(f"[ERROR] must provide either text or fields {_pointer(path)}")
        if text is not None:
            errors += _text_errors(text, path + "/text", max_len=3000)
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                errors.append(f"[ERROR] must be less than 11 items {_pointer(path + '/fields')}")
            else:
                for i, f in enumerate(fields):
                    errors += _text_errors(f, f"{path}/fields/{i}", max_len=2000)
        if block.get("accessory") is not None:
            errors += _element_errors(block["accessory"], path + "/accessory")
    elif kind == "header":
        errors += _text_errors(block.get("text"), path + "/text", max_len=150, plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(f"[ERROR] must provide at least 1 element {_pointer(path + '/elements')}")
        elif len(elements) > 10:
            errors.append(f"[ERROR] must be less than 11 items {_pointer(path + '/elements')}")
        else:
            for i, e in enumerate(elements):
                if isinstance(e, dict) and e.get("type") == "image":
                    continue
                errors += _text_errors(e, f"{path}/elements/{i}", max_len=3000)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(f"[ERROR] must provide at least 1 element {_pointer(path + '/elements')}")
        elif len(elements) > 25:
            errors.append(f"[ERROR] must be less than 26 items {_pointer(path + '/elements')}")
        else:
            seen: set[str] = set()
            for i, e in enumerate(elements):
                errors += _element_errors(e, f"{path}/elements/{i}")
                action_id = e.get("action_id") if isinstance(e, dict) else None
                if isinstance(action_id, str):
                    if action_id in seen:
                        where = _pointer(f"{path}/elements/{i}/action_id")
                        errors.append(f"[ERROR] action_id must be unique in a block {where}")
                    seen.add(action_id)
    elif kind == "input":
        if surface == "message":
            errors.append(f"[ERROR] input blocks are only allowed in views {_pointer(path + '/type')}")
        errors += _text_errors(block.get("label"), path + "/label", max_len=2000, plain_only=True)
        errors += _text_errors(block.get("hint"), path + "/hint", max_len=2000, plain_only=True, required=False)
        if block.get("element") is None:
            errors.append(f"[ERROR] missing required field: element {_pointer(path)}")
        else:
            errors += _element_errors(block["element"], path + "/element")
    elif kind in ("divider", "image", "rich_text", "markdown", "file", "video"):
        pass
    else:
        errors.append(f"[ERROR] unsupported type: {kind} {_pointer(path + '/type')}")
    return errors


def validate_blocks(blocks: Any, *, surface: str = "message", path: str = "/blocks") -> list[str]:
    """Slack's limit errors for a list of blocks ([] when Slack would accept it).

    `surface` is "message" (≤ 50 blocks), "modal" or "home" (≤ 100 blocks). Messages are in Slack's
    `response_metadata.messages` shape: "[ERROR] must be less than 51 items [json-pointer:/blocks]".
    """
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array {_pointer(path)}"]
    limit = MESSAGE_MAX_BLOCKS if surface == "message" else VIEW_MAX_BLOCKS
    if len(blocks) > limit:
        return [f"[ERROR] must be less than {limit + 1} items {_pointer(path)}"]
    errors: list[str] = []
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        errors += _block_errors(block, f"{path}/{i}", surface=surface)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in block_ids:
                errors.append(f"[ERROR] block_id must be unique {_pointer(f'{path}/{i}/block_id')}")
            block_ids.add(block_id)
    return errors


def validate_view(view: Any) -> list[str]:
    """Slack's errors for a modal or Home tab view ([] when Slack would accept it)."""
    if not isinstance(view, dict):
        return [f"[ERROR] must be an object {_pointer('/view')}"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"[ERROR] must be modal or home {_pointer('/view/type')}"]
    errors: list[str] = []
    blocks = view.get("blocks")
    if kind == "modal":
        errors += _text_errors(view.get("title"), "/view/title", max_len=24, plain_only=True)
        errors += _text_errors(view.get("submit"), "/view/submit", max_len=24, plain_only=True, required=False)
        errors += _text_errors(view.get("close"), "/view/close", max_len=24, plain_only=True, required=False)
        has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            errors.append(f"[ERROR] submit is required when a view has input blocks {_pointer('/view/submit')}")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.append(f"[ERROR] must be less than {limit + 1} characters {_pointer('/view/' + key)}")
    errors += validate_blocks(blocks if blocks is not None else [], surface=kind, path="/view/blocks")
    return errors


def validate_message(args: Mapping[str, Any]) -> str | None:
    """The error Slack answers for a chat.postMessage-like payload, or None when it would post."""
    text = args.get("text")
    blocks = args.get("blocks")
    attachments = args.get("attachments")
    if isinstance(text, str) and len(text) > MESSAGE_MAX_TEXT:
        return "msg_too_long"
    if blocks is not None and validate_blocks(blocks):
        return "invalid_blocks"
    if not text and not blocks and not attachments:
        return "no_text"
    return None


# ---------------------------------------------------------------------------------- the stand-in


class SlackApiSandbox:
    """State and behaviour of the stand-in. Serve `sandbox.app` with `sandbox.server.BackgroundServer`.

    Lenient by default: channels and users it has not been told about exist (public channel with the bot
    in it; an ordinary user). Configure what a test needs: `set_channel(...)`, `add_user(...)`,
    `add_token(...)`, `fail(...)`, `rate_limit(...)`, `expire_response_url(...)`, `expire_trigger(...)`.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        team_id: str = "T0PREFLIGHT",
        team_name: str = "Preflight Sandbox",
        team_domain: str = "preflight-sandbox",
        bot_user_id: str = "U0PREFLIGHT",
        bot_id: str = "B0PREFLIGHT",
        app_id: str = "A0PREFLIGHT",
        client_id: str = "1111.2222",
        client_secret: str = "sandbox-client-secret",
        scopes: Sequence[str] = DEFAULT_BOT_SCOPES,
        strict: bool = False,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = tuple(scopes)
        # strict: unknown channels are channel_not_found and unknown users user_not_found, as in Slack.
        self.strict = strict

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[RecordedCall] = []
        self._tokens: dict[str, TokenInfo] = {}
        self._channels: dict[str, Channel] = {}
        self._missing_channels: set[str] = set()
        self._users: dict[str, User] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._view_stacks: dict[str, list[str]] = {}  # root view id -> ids in the stack
        self._home: dict[str, dict[str, Any]] = {}
        self._files: dict[str, UploadedFile] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._expired_triggers: set[str] = set()
        self._used_codes: set[str] = set()
        self._failures: dict[str, list[_Failure]] = {}
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        for token in tokens:
            self.add_token(token)
        self._users[bot_user_id] = User(bot_user_id, "preflight", "Preflight", "Preflight", is_bot=True)
        self.app = self._build_app()

    # -------------------------------------------------------------------------------- configuration

    def add_token(
        self,
        token: str,
        *,
        team_id: str | None = None,
        team_name: str | None = None,
        scopes: Sequence[str] | None = None,
    ) -> TokenInfo:
        """Make `token` valid (for the sandbox team unless `team_id` is given)."""
        info = TokenInfo(
            token=token,
            team_id=team_id or self.team_id,
            team_name=team_name or self.team_name,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            scopes=tuple(scopes) if scopes is not None else self.scopes,
        )
        with self._lock:
            self._tokens[token] = info
        return info

    def revoke_token(self, token: str) -> None:
        """Later calls with `token` get `token_revoked`, as after an uninstall."""
        with self._lock:
            self._tokens[token] = replace(self._tokens[token], revoked=True)

    def set_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
        exists: bool = True,
        not_in_channel: bool = False,
    ) -> None:
        """Configure a channel. `exists=False` makes every call on it `channel_not_found`;
        `not_in_channel=True` makes the bot a non-member whose posts Slack refuses with `not_in_channel`
        whatever its scopes; `is_member=False` alone does so only for tokens without chat:write.public."""
        with self._lock:
            if not exists:
                self._channels.pop(channel_id, None)
                self._missing_channels.add(channel_id)
                return
            self._missing_channels.discard(channel_id)
            self._channels[channel_id] = Channel(
                id=channel_id,
                name=name or channel_id.lower(),
                is_private=is_private,
                is_archived=is_archived,
                is_member=is_member and not not_in_channel,
                members_only=not_in_channel,
            )

    def archive_channel(self, channel_id: str) -> None:
        with self._lock:
            self._channels[channel_id] = replace(self._channel_or_default(channel_id), is_archived=True)

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        display_name: str = "",
        tz: str = "America/New_York",
        deleted: bool = False,
    ) -> None:
        with self._lock:
            self._users[user_id] = User(user_id, name, real_name or name, display_name, tz, deleted=deleted)

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}` with HTTP `status`."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(error, times, status))

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 `ratelimited` with `Retry-After: retry_after`."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure("ratelimited", times, 429, retry_after))

    def new_response_url(self, base_url: str, response_id: str | None = None) -> str:
        """A response_url on this stand-in (`base_url` is the server's URL), as Slack puts in payloads."""
        with self._lock:
            rid = response_id or f"R{next(self._ids):08d}"
            self._response_urls.setdefault(rid, ResponseUrl(rid, time.time()))
        return f"{base_url.rstrip('/')}/response/{rid}"

    def expire_response_url(self, response_id_or_url: str) -> None:
        """Posts to this response_url now get 404 `expired_url` (Slack's 30 minutes have passed)."""
        rid = response_id_or_url.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            self._response_urls.setdefault(rid, ResponseUrl(rid, time.time())).expired = True

    def new_trigger_id(self) -> str:
        with self._lock:
            return f"{next(self._ids)}.{self.team_id}.{time.time_ns():x}"

    def expire_trigger(self, trigger_id: str) -> None:
        """views.open/push with this trigger_id get `expired_trigger_id` (Slack allows 3 seconds)."""
        with self._lock:
            self._expired_triggers.add(trigger_id)

    # ------------------------------------------------------------------------------------- queries

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every recorded call (of `method`), oldest first."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def last(self, method: str | None = None) -> RecordedCall:
        found = self.calls(method)
        if not found:
            raise LookupError(f"no {method or 'call'} recorded")
        return found[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` calls of `method` are recorded; raise TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(found)} of {count} {method} calls after {timeout}s")
                self._changed.wait(remaining)

    async def wait_for_async(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """`wait_for` for code that runs on the caller's event loop (it must keep running meanwhile)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(found)} of {count} {method} calls after {timeout}s")
            await asyncio.sleep(0.01)

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as it stands now (after chat.update), or None if never posted or deleted."""
        with self._lock:
            found = self._messages.get((channel, ts))
            return dict(found) if found is not None else None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for (c, _), m in sorted(self._messages.items()) if c == channel]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._views.get(view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for `user_id`."""
        with self._lock:
            return self._home.get(user_id)

    def file(self, file_id: str) -> UploadedFile:
        with self._lock:
            return self._files[file_id]

    def files(self) -> list[UploadedFile]:
        with self._lock:
            return [f for f in self._files.values() if f.completed]

    def response_posts(self, response_id_or_url: str) -> list[dict[str, Any]]:
        rid = response_id_or_url.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            found = self._response_urls.get(rid)
            return list(found.posts) if found else []

    # ------------------------------------------------------------------------------------ internals

    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{response_id}", self._handle_response_url)
        return app

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        request: web.Request,
        token: str | None,
        status: int,
        response: Any,
    ) -> None:
        with self._changed:
            self._calls.append(RecordedCall(method, args, dict(request.headers), time.time(), token, status, response))
            self._changed.notify_all()

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):08X}"

    def _next_ts(self) -> str:
        # Slack's ts is seconds.microseconds and unique per channel; keep it strictly increasing.
        with self._lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = now
        return f"{now:.6f}"

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure

    def _channel_or_default(self, channel_id: str) -> Channel:
        with self._lock:
            found = self._channels.get(channel_id)
            if found is not None:
                return found
            if channel_id in self._missing_channels or self.strict:
                raise SlackApiError("channel_not_found")
            if channel_id[:1] in ("U", "W"):
                return self._dm_for(channel_id)
            if channel_id[:1] not in ("C", "G", "D"):
                raise SlackApiError("channel_not_found")
            channel = Channel(channel_id, channel_id.lower(), is_private=channel_id.startswith("G"))
            self._channels[channel_id] = channel
            return channel

    def _dm_for(self, user_id: str) -> Channel:
        # chat.postMessage(channel=<user id>) posts into the app's DM with that user.
        dm_id = "D" + user_id[1:]
        with self._lock:
            channel = self._channels.get(dm_id)
            if channel is None:
                channel = Channel(dm_id, dm_id.lower(), is_private=True, is_im=True, user=user_id)
                self._channels[dm_id] = channel
            return channel

    def _channel_for_post(self, channel_id: Any, auth: TokenInfo, *, members_only: bool = False) -> Channel:
        if not isinstance(channel_id, str) or not channel_id:
            raise SlackApiError("channel_not_found")
        channel = self._channel_or_default(channel_id)
        if channel.is_private and not channel.is_member and not channel.is_im:
            raise SlackApiError("channel_not_found")  # a private channel the bot is not in is invisible
        if channel.is_archived:
            raise SlackApiError("is_archived")
        outsider = not channel.is_member and not channel.is_im
        if outsider and (members_only or channel.members_only or "chat:write.public" not in auth.scopes):
            raise SlackApiError("not_in_channel")
        return channel

    def _user(self, user_id: Any) -> User:
        if not isinstance(user_id, str) or not user_id:
            raise SlackApiError("user_not_found")
        with self._lock:
            found = self._users.get(user_id)
            if found is not None:
                return found
            if self.strict or user_id[:1] not in ("U", "W"):
                raise SlackApiError("user_not_found")
            return User(user_id, user_id.lower(), f"User {user_id}", "")

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
        with self._lock:
            info = self._tokens.get(token)
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
            failure = self._take_failure(method)
            if failure is not None:
                status = failure.status
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                raise SlackApiError(failure.error, status=failure.status)
            handler = _METHODS.get(method)
            if handler is None:
                raise SlackApiError("unknown_method", status=404)
            if method == "oauth.v2.access":
                body = handler(self, request, args, None)
            else:
                auth = self._authenticate(token)
                needed = _SCOPE_FOR_METHOD.get(method)
                if needed is not None and needed not in auth.scopes:
                    raise SlackApiError("missing_scope", needed=needed, provided=",".join(auth.scopes))
                body = handler(self, request, args, auth)
                headers["X-OAuth-Scopes"] = ",".join(auth.scopes)
        except SlackApiError as error:
            status = error.status
            body = {"ok": False, "error": error.error, **error.extra}
        self._record(method, args, request, token, status, body)
        return web.json_response(body, status=status, headers=headers)

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        # The upload URL from files.getUploadURLExternal takes the raw bytes and answers text/plain.
        file_id = request.match_info["file_id"]
        content = await request.read()
        with self._lock:
            found = self._files.get(file_id)
            if found is not None:
                found.content = content
        status, text = (200, f"OK - {len(content)}") if found is not None else (404, "file_not_found")
        self._record("upload", {"file_id": file_id, "length": len(content)}, request, None, status, text)
        return web.Response(status=status, text=text, content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        rid = request.match_info["response_id"]
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        args: dict[str, Any] = {"response_id": rid, **(payload if isinstance(payload, dict) else {})}
        with self._lock:
            entry = self._response_urls.setdefault(rid, ResponseUrl(rid, time.time()))
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
        self._record("response_url", args, request, None, status, text)
        return web.Response(status=status, text=text, content_type="text/plain")

    # ---------------------------------------------------------------------------- Web API methods

    def _auth_test(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": auth.team_name,
            "user": "preflight",
            "team_id": auth.team_id,
            "user_id": auth.user_id,
            "bot_id": auth.bot_id,
            "is_enterprise_install": False,
        }

    def _message_object(self, args: Mapping[str, Any], auth: TokenInfo, ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": args.get("text") or "",
            "ts": ts,
            "user": auth.user_id,
            "bot_id": auth.bot_id,
            "app_id": self.app_id,
            "team": auth.team_id,
        }
        if args.get("blocks") is not None:
            message["blocks"] = args["blocks"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        return message

    def _check_message(self, args: Mapping[str, Any]) -> dict[str, Any]:
        error = validate_message(args)
        if error == "invalid_blocks":
            raise SlackApiError(error, response_metadata={"messages": validate_blocks(args.get("blocks"))})
        if error is not None:
            raise SlackApiError(error)
        if not args.get("text"):
            # Slack posts it but warns: notifications and screen readers need the fallback text.
            return {"warning": "missing_text", "response_metadata": {"warnings": ["missing_text"]}}
        return {}

    def _chat_post_message(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        channel = self._channel_for_post(args.get("channel"), auth)
        extra = self._check_message(args)
        ts = self._next_ts()
        message = self._message_object(args, auth, ts)
        with self._lock:
            self._messages[(channel.id, ts)] = message
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message, **extra}

    def _chat_post_ephemeral(
        self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
    ) -> dict[str, Any]:
        assert auth is not None
        self._channel_for_post(args.get("channel"), auth)
        self._user(args.get("user"))
        extra = self._check_message(args)
        # Ephemeral messages are not stored: they cannot be updated with chat.update.
        return {"ok": True, "message_ts": self._next_ts(), **extra}

    def _existing_message(self, args: Mapping[str, Any], auth: TokenInfo) -> tuple[Channel, str]:
        channel_id = args.get("channel")
        if not isinstance(channel_id, str) or not channel_id:
            raise SlackApiError("channel_not_found")
        channel = self._channel_or_default(channel_id)
        if channel.is_archived:
            raise SlackApiError("is_archived")
        ts = args.get("ts")
        with self._lock:
            if not isinstance(ts, str) or (channel.id, ts) not in self._messages:
                raise SlackApiError("message_not_found")
        return channel, ts

    def _chat_update(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        channel, ts = self._existing_message(args, auth)
        extra = self._check_message(args)
        message = self._message_object(args, auth, ts)
        with self._lock:
            old = self._messages[(channel.id, ts)]
            if "thread_ts" in old:
                message["thread_ts"] = old["thread_ts"]
            self._messages[(channel.id, ts)] = message
        return {
            "ok": True,
            "channel": channel.id,
            "ts": ts,
            "text": message["text"],
            "message": message,
            **extra,
        }

    def _chat_delete(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        channel, ts = self._existing_message(args, auth)
        with self._lock:
            del self._messages[(channel.id, ts)]
        return {"ok": True, "channel": channel.id, "ts": ts}

    def _check_trigger(self, args: Mapping[str, Any]) -> None:
        trigger_id = args.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            raise SlackApiError("invalid_trigger_id")
        with self._lock:
            if trigger_id in self._expired_triggers:
                raise SlackApiError("expired_trigger_id")

    def _stored_view(
        self, view: dict[str, Any], auth: TokenInfo, *, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        errors = validate_view(view)
        if errors:
            raise SlackApiError("invalid_arguments", response_metadata={"messages": errors})
        vid = view_id or self._next_id("V")
        stored: dict[str, Any] = {
            "id": vid,
            "team_id": auth.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{next(self._ids):08x}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root or vid,
            "previous_view_id": None,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": auth.team_id,
            "bot_id": auth.bot_id,
        }
        for key in ("title", "submit", "close"):
            if view.get(key) is not None:
                stored[key] = view[key]
        with self._lock:
            self._views[vid] = stored
        return stored

    def _views_open(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        self._check_trigger(args)
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be a modal"]})
        stored = self._stored_view(view, auth)
        with self._lock:
            self._view_stacks[stored["id"]] = [stored["id"]]
        return {"ok": True, "view": stored}

    def _views_push(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        self._check_trigger(args)
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be a modal"]})
        with self._lock:
            # The stand-in pushes onto the most recently opened stack (triggers are not tied to views here).
            if not self._view_stacks:
                raise SlackApiError("not_found")
            root, stack = next(reversed(self._view_stacks.items()))
            if len(stack) >= VIEW_STACK_MAX:
                raise SlackApiError("push_limit_reached")
        stored = self._stored_view(view, auth, root=root)
        with self._lock:
            stored["previous_view_id"] = stack[-1]
            stack.append(stored["id"])
        return {"ok": True, "view": stored}

    def _views_update(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be a view"]})
        with self._lock:
            view_id = args.get("view_id")
            if not view_id and args.get("external_id"):
                view_id = next((v["id"] for v in self._views.values() if v["external_id"] == args["external_id"]), None)
            current = self._views.get(view_id) if isinstance(view_id, str) else None
            if current is None:
                raise SlackApiError("not_found")
            if args.get("hash") and args["hash"] != current["hash"]:
                raise SlackApiError("hash_conflict")
        stored = self._stored_view(view, auth, view_id=current["id"], root=current["root_view_id"])
        stored["previous_view_id"] = current["previous_view_id"]
        return {"ok": True, "view": stored}

    def _views_publish(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        user = self._user(args.get("user_id"))
        view = args.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be home"]})
        with self._lock:
            current = self._home.get(user.id)
            if current is not None and args.get("hash") and args["hash"] != current["hash"]:
                raise SlackApiError("hash_conflict")
        stored = self._stored_view(view, auth, view_id=current["id"] if current else None)
        with self._lock:
            self._home[user.id] = stored
        return {"ok": True, "view": stored}

    def _files_get_upload_url(
        self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
    ) -> dict[str, Any]:
        filename = args.get("filename")
        try:
            length = int(args.get("length", ""))
        except ValueError:
            raise SlackApiError("invalid_arguments") from None
        if not isinstance(filename, str) or not filename or length < 0:
            raise SlackApiError("invalid_arguments")
        file_id = self._next_id("F")
        with self._lock:
            self._files[file_id] = UploadedFile(file_id, filename, length)
        upload_url = f"{request.url.scheme}://{request.host}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _files_complete_upload(
        self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
    ) -> dict[str, Any]:
        assert auth is not None
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackApiError("invalid_arguments")
        channel_id = args.get("channel_id")
        if not channel_id and isinstance(args.get("channels"), str):
            channel_id = args["channels"].split(",")[0]
        # chat:write.public covers messages only: sharing a file needs the bot in the channel.
        channel = self._channel_for_post(channel_id, auth, members_only=True) if channel_id else None
        done: list[dict[str, Any]] = []
        with self._lock:
            for entry in entries:
                found = self._files.get(entry.get("id", "")) if isinstance(entry, dict) else None
                if found is None or found.content is None:
                    raise SlackApiError("file_not_found")
            now = int(time.time())
            for entry in entries:
                f = self._files[entry["id"]]
                content = f.content or b""
                f.title = entry.get("title") or f.filename
                f.channel_id = channel.id if channel else None
                f.initial_comment = args.get("initial_comment")
                f.thread_ts = args.get("thread_ts")
                f.completed = True
                extension = f.filename.rsplit(".", 1)[-1].lower() if "." in f.filename else "binary"
                done.append(
                    {
                        "id": f.id,
                        "created": now,
                        "timestamp": now,
                        "name": f.filename,
                        "title": f.title,
                        "mimetype": "text/csv" if extension == "csv" else "application/octet-stream",
                        "filetype": extension,
                        "user": auth.user_id,
                        "user_team": auth.team_id,
                        "size": len(content),
                        "url_private": f"https://files.slack.com/files-pri/{auth.team_id}-{f.id}/{f.filename}",
                        "permalink": f"https://{self.team_domain}.slack.com/files/{auth.user_id}/{f.id}/{f.filename}",
                        "channels": [channel.id] if channel and not channel.is_private else [],
                        "groups": [channel.id] if channel and channel.is_private else [],
                    }
                )
        return {"ok": True, "files": done}

    def _users_info(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        user = self._user(args.get("user"))
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

    def _conversations_info(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        assert auth is not None
        channel_id = args.get("channel")
        if not isinstance(channel_id, str) or not channel_id:
            raise SlackApiError("channel_not_found")
        channel = self._channel_or_default(channel_id)
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

    def _oauth_v2_access(self, request: web.Request, args: dict[str, Any], auth: TokenInfo | None) -> dict[str, Any]:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                raise SlackApiError("invalid_client_id") from None
        if client_id != self.client_id:
            raise SlackApiError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackApiError("bad_client_secret")
        code = args.get("code")
        with self._lock:
            if not isinstance(code, str) or not code or code in self._used_codes:
                raise SlackApiError("invalid_code")
            self._used_codes.add(code)
        bot_token = f"xoxb-{self.team_id}-{next(self._ids)}-{time.time_ns():x}"
        self.add_token(bot_token)
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": "U0INSTALLER"},
            "scope": ",".join(self.scopes),
            "token_type": "bot",
            "access_token": bot_token,
            "bot_user_id": self.bot_user_id,
            "team": {"id": self.team_id, "name": self.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }


_METHODS = {
    "auth.test": SlackApiSandbox._auth_test,
    "chat.postMessage": SlackApiSandbox._chat_post_message,
    "chat.postEphemeral": SlackApiSandbox._chat_post_ephemeral,
    "chat.update": SlackApiSandbox._chat_update,
    "chat.delete": SlackApiSandbox._chat_delete,
    "views.open": SlackApiSandbox._views_open,
    "views.push": SlackApiSandbox._views_push,
    "views.update": SlackApiSandbox._views_update,
    "views.publish": SlackApiSandbox._views_publish,
    "files.getUploadURLExternal": SlackApiSandbox._files_get_upload_url,
    "files.completeUploadExternal": SlackApiSandbox._files_complete_upload,
    "users.info": SlackApiSandbox._users_info,
    "conversations.info": SlackApiSandbox._conversations_info,
    "oauth.v2.access": SlackApiSandbox._oauth_v2_access,
}
