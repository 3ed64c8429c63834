"""Preflight's Teams surface over real HTTP: `preflight serve`'s aiohttp app on loopback, activities posted to
`/api/messages` with tokens signed by the Bot Framework stand-in (sandbox/teams/), botbuilder's own JWT checks,
and every answer read back from the stand-in's connector, where each card was validated against Adaptive
Cards 1.5. QBO and Finale are the sandbox simulators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port

from bot.app import Core, build_core
from bot.server import create_app
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from bot.surfaces import ServeOptions
from handlers.teams.plugin import TeamsPlugin
from handlers.teams.surface import TeamsSurface
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from sandbox.teams import BOT_TOKEN_AUDIENCE, CHANNEL_TOKEN_ISSUER, RecordedActivity, TeamsSandbox
from sandbox.teams.activities import TeamsPlace, TeamsUser
from sandbox.teams.connector import Member
from storage.crypto import generate_key

DANA = TeamsUser()
RAJ = TeamsUser(id="29:1raj-patel", name="Raj Patel", aad_object_id="6f1b2c3d-0000-4000-8000-0000000072a1")
PLACE = TeamsPlace()


def texts(card: dict[str, Any]) -> list[str]:
    """Every piece of text a person reads on the card, in order (ShowCard contents included)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "TextBlock":
                out.append(str(node.get("text", "")))
            elif kind == "Fact":
                out.append(f"{node.get('title', '')} {node.get('value', '')}")
            elif kind == "FactSet":
                out.extend(f"{f.get('title', '')} {f.get('value', '')}" for f in node.get("facts", []))
                return
            elif kind and kind.startswith("Action.") and "title" in node:
                out.append(str(node["title"]))
            for key, value in node.items():
                if key not in ("fallback",):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    walk(card.get("actions", []))
    return out


def executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute on the card, wherever it sits (action sets, unfolded confirmations)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for key, value in node.items():
                if key != "fallback":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


@dataclass
class Message:
    """A message as the conversation shows it now (after updates)."""

    conversation_id: str
    activity_id: str
    card: dict[str, Any]

    @property
    def text(self) -> str:
        return "\n".join(texts(self.card))

    def action(self, verb: str, value: str | None = None) -> dict[str, Any] | None:
        for action in executes(self.card):
            data = action.get("data") or {}
            if action.get("verb") == verb and (value is None or data.get("value") == value):
                return action
        return None


@dataclass
class TeamsHarness:
    url: str
    teams: TeamsSandbox
    surface: TeamsSurface
    core: Core
    runtime: SandboxRuntime
    http: aiohttp.ClientSession
    place: TeamsPlace = field(default_factory=lambda: PLACE)

    async def post(self, activity: dict[str, Any], *, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": "Bearer " + (token if token is not None else self.teams.sign_activity_token())}
        async with self.http.post(self.url + "/api/messages", json=activity, headers=headers) as response:
            body = await response.json() if response.content_type == "application/json" else await response.text()
            return response.status, body

    async def settle(self) -> None:
        await self.surface.tasks.idle(timeout=120)

    async def say(self, text: str, user: TeamsUser = DANA) -> None:
        status, body = await self.post(self.teams.message(text, user=user, place=self.place))
        assert status == 201, body
        await self.settle()

    async def press(
        self,
        message: Message,
        verb: str,
        value: str | None = None,
        *,
        user: TeamsUser = DANA,
        inputs: dict[str, str] | None = None,
        submit: bool = False,
    ) -> Any:
        """Click a button as Teams would: Action.Execute (an invoke) or, with `submit`, its Action.Submit
        fallback (a message with a value)."""
        action = message.action(verb, value)
        assert action is not None, f"no {verb}:{value} on {message.text}"
        data = {**(action.get("data") or {}), **(inputs or {})}
        root = message.conversation_id.partition(";messageid=")[2] or None
        if submit:
            activity = self.teams.submit(data, reply_to_id=message.activity_id, user=user, place=self.place)
        else:
            activity = self.teams.invoke(verb, data, reply_to_id=message.activity_id, user=user, place=self.place)
        activity["conversation"]["id"] = message.conversation_id if root else activity["conversation"]["id"]
        status, body = await self.post(activity)
        assert status in (200, 201), body
        await self.settle()
        return body

    def messages(self) -> list[Message]:
        """Every message Preflight has in the conversation now, oldest first, with updates applied."""
        current: dict[tuple[str, str], Message] = {}
        for record in self.teams.connector.activities():
            key = (record.conversation_id, record.activity_id)
            if record.kind == "delete":
                current.pop(key, None)
            elif record.kind in ("send", "reply", "update") and record.cards:
                current[key] = Message(record.conversation_id, record.activity_id, record.cards[0])
        return list(current.values())

    def last_with(self, text: str) -> Message:
        for message in reversed(self.messages()):
            if text in message.text:
                return message
        raise AssertionError(f"no message with {text!r}:\n" + self.transcript())

    def transcript(self) -> str:
        return "\n---\n".join(m.text for m in self.messages())

    def records(self) -> list[RecordedActivity]:
        return self.teams.connector.activities()

    async def connect_qbo(self, link: str) -> tuple[int, str]:
        """Follow the Intuit link as a browser would: the simulator's consent redirects to /qbo/callback."""
        async with self.http.get(link, allow_redirects=False) as consent:
            assert consent.status == 302, await consent.text()
            location = consent.headers["Location"]
        async with self.http.get(location) as callback:
            page = await callback.text()
            status = callback.status
        await self.settle()
        return status, page


def make_settings(tmp_path: Path, runtime: SandboxRuntime, teams: TeamsSandbox, public_url: str) -> Settings:
    base = Settings.model_validate({})  # not the environment nor .env: only what the test says
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'preflight.sqlite3'}",
        "secret_key": generate_key(),
        "public_url": public_url,
        "qbo_redirect_uri": public_url + "/qbo/callback",
        "microsoft_app_id": teams.app_id,
        "microsoft_app_password": teams.app_password,
        "microsoft_app_type": "MultiTenant",
        "teams_openid_metadata_url": teams.openid_metadata_url,
        "teams_token_issuer": CHANNEL_TOKEN_ISSUER,
        "teams_login_url": teams.login_url,
        "teams_oauth_scope": BOT_TOKEN_AUDIENCE,
        "teams_oauth_url": teams.server.url,
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
def teams(monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamsSandbox]:
    with TeamsSandbox() as running:
        for name, value in running.trust_env().items():
            monkeypatch.setenv(name, value)  # the bot's token request goes to the stand-in's HTTPS port
        running.connector.members[:] = [Member(u.id, u.name, u.aad_object_id) for u in (DANA, RAJ)]
        yield running


@pytest.fixture
async def harness(tmp_path: Path, runtime: SandboxRuntime, teams: TeamsSandbox) -> AsyncIterator[TeamsHarness]:
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    settings = make_settings(tmp_path, runtime, teams, public_url)
    core = build_core(settings, LiveSources(settings))
    surface = TeamsPlugin().build(core, settings, ServeOptions())
    assert isinstance(surface, TeamsSurface)
    server = TestServer(create_app(core, [surface]), host="127.0.0.1", port=port)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        h = TeamsHarness(url=public_url, teams=teams, surface=surface, core=core, runtime=runtime, http=http)
        yield h
        await h.settle()
    await server.close()
    await asyncio.sleep(0)
    core.sessions.kw["bind"].dispose()
