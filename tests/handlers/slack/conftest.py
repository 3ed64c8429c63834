"""Preflight's Slack app over real HTTP: the aiohttp server of bot/server.py on loopback, signed requests
built like Slack builds them, the Slack Web API stand-in recording every call, and the sandbox company in
the QBO and Finale simulators.

`SlackHarness` plays Slack's part: it sends slash commands, button presses, modal submissions and events
(signed with the signing secret), finds buttons in the messages Preflight posted, and waits for the work
Preflight does after its ack (`await harness.settle()`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.app import Core, build_core
from bot.server import create_app
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from handlers.slack.app import SlackApp, build_slack_app
from handlers.slack.render import parse_action_id
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from sandbox.server import BackgroundServer
from sandbox.slack import SlackApiSandbox, validate_message, validate_view
from storage.crypto import generate_key

SIGNING_SECRET = "preflight-test-signing-secret"
TEAM = "T0PREFLIGHT"  # the stand-in's own team; tokens from its oauth.v2.access belong to it
CHANNEL = "C0GOLIVE"
DANA = ("U0DANA", "dana")  # starts the checklist: its first owner
SAM = ("U0SAM", "sam")  # in the channel, not an owner


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's request signature: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) of every button in `blocks`."""
    found = []
    for block in blocks:
        if block.get("type") == "actions":
            found += [(block.get("block_id", ""), e) for e in block.get("elements", []) if e.get("type") == "button"]
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            found.append((block.get("block_id", ""), accessory))
    return found


def find_button(
    blocks: list[dict[str, Any]], action: str, value: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    for block_id, element in buttons(blocks):
        if parse_action_id(element.get("action_id", "")) != action:
            continue
        if value is None or element.get("value", "") == value or element.get("value", "").startswith(value):
            return block_id, element
    return None


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Everything a person reads in `blocks`, as one string."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(parts)


@dataclass
class Posted:
    """A message as Slack shows it now: channel, ts, text and blocks."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    ephemeral: bool = False

    @property
    def content(self) -> str:
        return self.text + "\n" + text_of(self.blocks)


class SlackHarness:
    def __init__(
        self,
        *,
        url: str,
        slack_api: SlackApiSandbox,
        slack_api_url: str,
        slack: SlackApp,
        core: Core,
        runtime: SandboxRuntime,
        http: aiohttp.ClientSession,
    ) -> None:
        self.url = url
        self.api = slack_api
        self.api_url = slack_api_url
        self.slack = slack
        self.core = core
        self.runtime = runtime
        self.http = http
        self._event_ids = 0

    # ------------------------------------------------------------------ Slack's requests

    async def post_signed(
        self, body: str, content_type: str, *, headers: Mapping[str, str] | None = None, timestamp: int | None = None
    ) -> aiohttp.ClientResponse:
        all_headers = {"Content-Type": content_type, **sign(body, timestamp), **(headers or {})}
        async with self.http.post(self.url + "/slack/events", data=body.encode(), headers=all_headers) as response:
            await response.read()
            return response

    async def settle(self) -> None:
        """Wait for everything Preflight does after its acks (checks, posts, updates).

        Bolt starts event listeners just after answering; a few turns of the loop let them hand their work
        to the surface's tracked tasks, which are then awaited."""
        for _ in range(3):
            await asyncio.sleep(0.01)
            await self.slack.surface.tasks.idle()

    async def command(
        self, text: str, *, user: tuple[str, str] = DANA, channel: str = CHANNEL, team: str = TEAM, settle: bool = True
    ) -> aiohttp.ClientResponse:
        form = {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user[0],
            "user_name": user[1],
            "command": "/preflight",
            "text": text,
            "api_app_id": self.api.app_id,
            "response_url": self.api.new_response_url(self.api_url.removesuffix("/api/")),
            "trigger_id": self.api.new_trigger_id(),
        }
        response = await self.post_signed(urlencode(form), "application/x-www-form-urlencoded")
        if settle:
            await self.settle()
        return response

    async def interact(self, payload: dict[str, Any]) -> aiohttp.ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post_signed(body, "application/x-www-form-urlencoded")

    async def press(
        self,
        message: Posted,
        action: str,
        value: str | None = None,
        *,
        user: tuple[str, str] = DANA,
        team: str = TEAM,
        home: bool = False,
        settle: bool = True,
    ) -> aiohttp.ClientResponse:
        found = find_button(message.blocks, action, value)
        assert found is not None, f"no {action} button ({value}) in: {message.content[:800]}"
        block_id, element = found
        container: dict[str, Any]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team},
            "api_app_id": self.api.app_id,
            "trigger_id": self.api.new_trigger_id(),
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block_id,
                    "text": element["text"],
                    "value": element.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": message.blocks, "team_id": team}
        else:
            container = {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": message.ephemeral,
            }
            payload["container"] = container
            payload["channel"] = {"id": message.channel, "name": message.channel.lower()}
            payload["response_url"] = self.api.new_response_url(self.api_url.removesuffix("/api/"))
            if not message.ephemeral:
                payload["message"] = {
                    "type": "message",
                    "ts": message.ts,
                    "text": message.text,
                    "blocks": message.blocks,
                }
        response = await self.interact(payload)
        assert response.status == 200
        if settle:
            await self.settle()
        return response

    async def submit(
        self,
        values: Mapping[str, Any],
        *,
        user: tuple[str, str] = DANA,
        team: str = TEAM,
        view: dict[str, Any] | None = None,
    ) -> tuple[aiohttp.ClientResponse, dict[str, Any] | None]:
        """Submit the last opened modal (or `view`) with `values` by field; returns the response and its JSON."""
        opened = view or self.last_modal()
        state: dict[str, dict[str, Any]] = {}
        for block in opened["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            name = block["block_id"]
            raw = values.get(name)
            entry: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "datepicker":
                entry["selected_date"] = raw
            elif element["type"] in ("radio_buttons", "static_select"):
                entry["selected_option"] = (
                    None if raw is None else {"value": raw, "text": {"type": "plain_text", "text": raw}}
                )
            elif element["type"] == "users_select":
                entry["selected_user"] = raw
            else:
                entry["value"] = raw
            state[name] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team},
            "api_app_id": self.api.app_id,
            "trigger_id": self.api.new_trigger_id(),
            "view": {
                "id": opened.get("id", "V0"),
                "team_id": team,
                "type": "modal",
                "callback_id": opened["callback_id"],
                "private_metadata": opened.get("private_metadata", ""),
                "blocks": opened["blocks"],
                "state": {"values": state},
                "hash": opened.get("hash", "1.1"),
            },
        }
        response = await self.interact(payload)
        body = await response.text()
        await self.settle()
        return response, (json.loads(body) if body.strip().startswith("{") else None)

    async def event(
        self, event: dict[str, Any], *, team: str = TEAM, event_id: str | None = None, retry: int | None = None
    ) -> aiohttp.ClientResponse:
        if event_id is None:
            self._event_ids += 1
            event_id = f"Ev{self._event_ids:08d}"
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "api_app_id": self.api.app_id,
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        response = await self.post_signed(body, "application/json", headers=headers)
        await self.settle()
        return response

    # ------------------------------------------------------------------ what Slack shows

    def messages(self, channel: str = CHANNEL) -> list[Posted]:
        return [Posted(channel, m["ts"], m.get("text", ""), m.get("blocks", [])) for m in self.api.messages(channel)]

    def last_with(self, needle: str, channel: str = CHANNEL) -> Posted:
        """The newest channel message whose text contains `needle`."""
        for posted in reversed(self.messages(channel)):
            if needle in posted.content:
                return posted
        raise AssertionError(f"no message with {needle!r}; channel shows:\n" + self.transcript(channel))

    def step(self, title: str, channel: str = CHANNEL) -> Posted:
        """The newest step card for `title` (its header reads "Step n of 10: <title>")."""
        return self.last_with(f": {title}", channel)

    def ephemerals(self, user: str | None = None) -> list[Posted]:
        found = []
        for call in self.api.calls("chat.postEphemeral"):
            if call.ok and (user is None or call.args.get("user") == user):
                found.append(
                    Posted(call.args["channel"], "", call.args.get("text", ""), call.args.get("blocks") or [], True)
                )
        return found

    def last_ephemeral(self, user: str | None = None) -> Posted:
        found = self.ephemerals(user)
        assert found, "no ephemeral message was posted"
        return found[-1]

    def last_modal(self) -> dict[str, Any]:
        call = self.api.last("views.open")
        assert call.ok, call.response
        view: dict[str, Any] = dict(call.response["view"])
        view["blocks"] = call.args["view"]["blocks"]
        return view

    def transcript(self, channel: str = CHANNEL) -> str:
        return "\n---\n".join(p.content[:600] for p in self.messages(channel))

    # ------------------------------------------------------------------ set-up helpers

    async def install(self, *, code: str = "install-code") -> aiohttp.ClientResponse:
        """The "Add to Slack" round trip: /slack/install, Slack's consent, /slack/oauth_redirect."""
        async with self.http.get(self.url + "/slack/install", allow_redirects=False) as page:
            html = await page.text()
            assert page.status == 200, html
            cookie = page.headers.get("Set-Cookie", "")
        match = re.search(r"state=([A-Za-z0-9-]+)", html)
        assert match, html
        state = match.group(1)
        cookie_value = cookie.split(";")[0]
        async with self.http.get(
            self.url + "/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie_value},
            allow_redirects=False,
        ) as done:
            await done.read()
            return done

    async def save_installation(self, team: str, token: str) -> None:
        """An install made earlier (for a second workspace): the row slack_sdk's store would hold."""
        store = self.slack.surface.installation_store
        assert store is not None
        self.api.add_token(token, team_id=team, team_name=f"Team {team}")
        await store.async_save(
            Installation(
                app_id=self.api.app_id,
                team_id=team,
                team_name=f"Team {team}",
                bot_token=token,
                bot_id=self.api.bot_id,
                bot_user_id=self.api.bot_user_id,
                bot_scopes=list(self.api.scopes),
                user_id="U0INSTALLER",
                installed_at=time.time(),
            )
        )

    async def connect_qbo(self, link: str) -> tuple[int, str]:
        """Follow the Intuit link as a browser would: the simulator's consent redirects to /qbo/callback."""
        async with self.http.get(link, allow_redirects=False) as consent:
            assert consent.status == 302, await consent.text()
            location = consent.headers["Location"]
        assert location.startswith(self.url + "/qbo/callback"), location
        async with self.http.get(location) as callback:
            page = await callback.text()
            status = callback.status
        await self.settle()
        return status, page

    def assert_everything_valid(self) -> None:
        """Every message and view Preflight sent is one Slack accepts (the stand-in's validators)."""
        for method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            for call in self.api.calls(method):
                assert validate_message(call.args) is None, (method, call.args)
        for method in ("views.open", "views.publish", "views.update"):
            for call in self.api.calls(method):
                assert validate_view(call.args["view"]) == [], (method, validate_view(call.args["view"]))


def make_settings(tmp_path: Path, runtime: SandboxRuntime, slack_api_url: str, public_url: str) -> Settings:
    base = Settings.model_validate({})  # not the environment nor .env: only what the test says
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'preflight.sqlite3'}",
        "secret_key": generate_key(),
        "slack_signing_secret": SIGNING_SECRET,
        "slack_client_id": "1111.2222",  # the stand-in's app
        "slack_client_secret": "sandbox-client-secret",
        "slack_api_url": slack_api_url,
        "public_url": public_url,
        "qbo_redirect_uri": public_url + "/qbo/callback",
        **runtime.settings_overrides(),
    }
    return with_overrides(base, values)


@pytest.fixture
def today() -> date:
    return datetime.now(ZoneInfo("America/New_York")).date()


@pytest.fixture
def runtime(today: date) -> Iterator[SandboxRuntime]:
    with SandboxRuntime(demo_company(today)) as running:
        yield running


@pytest.fixture
def slack_api() -> SlackApiSandbox:
    api = SlackApiSandbox()
    for user_id, name in (DANA, SAM):
        api.add_user(user_id, name=name, real_name=name.title(), display_name=name.title())
    return api


@pytest.fixture
def slack_api_server(slack_api: SlackApiSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(slack_api.app) as running:
        yield running


@pytest.fixture
async def harness(
    tmp_path: Path, runtime: SandboxRuntime, slack_api: SlackApiSandbox, slack_api_server: BackgroundServer
) -> AsyncIterator[SlackHarness]:
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = make_settings(tmp_path, runtime, slack_api_server.url + "/api/", public_url)
    core = build_core(settings, LiveSources(settings))
    slack = build_slack_app(core, settings)
    server = TestServer(create_app(core, [slack]), host="127.0.0.1", port=port)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        h = SlackHarness(
            url=public_url,
            slack_api=slack_api,
            slack_api_url=slack_api_server.url + "/api/",
            slack=slack,
            core=core,
            runtime=runtime,
            http=http,
        )
        installed = await h.install()
        assert installed.status == 200, await installed.text()
        yield h
        await h.settle()
    await server.close()
    core.sessions.kw["bind"].dispose()


def link_of(posted: Posted) -> str:
    for _, element in buttons(posted.blocks):
        if element.get("url"):
            return str(element["url"])
    raise AssertionError("no link button in " + posted.content)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def start_connected(h: SlackHarness) -> None:
    """`/preflight start`, then QuickBooks (OAuth round trip) and Finale (modal) connected by Dana."""
    await h.command("start Acme Outdoor Goods")
    await h.press(h.step("QuickBooks Online admin access"), "connect", "qbo")
    status, _ = await h.connect_qbo(link_of(h.last_ephemeral("U0DANA")))
    assert status == 200
    await h.command("connect finale")
    finale = h.runtime.finale_access()
    await h.submit({"account": finale.account, "api_key": finale.api_key, "api_secret": finale.api_secret})
