"""kill -9 of a real `preflight serve` process at any moment after Slack's 200 loses no confirmation.

Two replicas on one PostgreSQL schema: this test's in-process server, and a `preflight serve` subprocess.
Each trial submits the backup confirmation to the subprocess, kills it (SIGKILL) a few milliseconds after
the 200, and waits (bounded) for the surviving replica to take the lapsed request over: the confirmation is
recorded exactly once and no "Checking…" is left in the channel.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port
from pydantic import AliasChoices, SecretStr
from sqlalchemy import select

from bot.app import build_core
from bot.checklist.views import ScopeKey
from bot.server import create_app
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from handlers.slack.app import build_slack_app
from handlers.slack.origin import FormMetadata
from sandbox.runtime import SandboxRuntime
from sandbox.server import BackgroundServer
from sandbox.slack import SlackApiSandbox
from storage.models import RequestKey
from tests.handlers.slack.conftest import CHANNEL, TEAM, SlackHarness, make_settings, sign
from tests.storage.conftest import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]  # the fixtures: a throwaway PostgreSQL schema per test

pytestmark = pytest.mark.postgres

LEASE_SECONDS = 1.5
DELAYS = (0.0, 0.002, 0.01, 0.03, 0.2)  # seconds between the 200 and the kill


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables `preflight serve` reads (DESIGN §8 names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "FINALE_", "PREFLIGHT_"))}
    env.pop("DATABASE_URL", None)
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        key = alias.choices[0] if isinstance(alias, AliasChoices) else alias
        value = getattr(settings, name)
        if not isinstance(key, str) or value is None:
            continue
        env[key] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return env


async def start_replica(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).parent / "preflight"
    process = subprocess.Popen(
        [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError("preflight serve did not start:\n" + log.read_text()[-3000:])


@pytest.fixture
async def replica_a(
    tmp_path: Path,
    runtime: SandboxRuntime,
    slack_api: SlackApiSandbox,
    slack_api_server: BackgroundServer,
    postgres_url: str,
) -> AsyncIterator[SlackHarness]:
    port = unused_port()
    public_url = f"http://127.0.0.1:{port}"
    base = make_settings(tmp_path, runtime, slack_api_server.url + "/api/", public_url)
    settings = with_overrides(
        base, {"database_url": postgres_url, "request_lease_seconds": LEASE_SECONDS, "check_processes": 0}
    )
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
        assert (await h.install()).status == 200
        yield h
        await h.settle()
    await server.close()
    core.sessions.kw["bind"].dispose()


def backup_submission(h: SlackHarness, view_id: str, day: date, reference: str) -> str:
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": TEAM.lower()},
        "user": {"id": "U0DANA", "username": "dana", "name": "dana", "team_id": TEAM},
        "api_app_id": h.api.app_id,
        "trigger_id": h.api.new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": TEAM,
            "type": "modal",
            "callback_id": "preflight:backup",
            "private_metadata": FormMetadata(CHANNEL, "").encode(),
            "blocks": [],
            "state": {
                "values": {
                    "backup_date": {"backup_date": {"type": "datepicker", "selected_date": day.isoformat()}},
                    "reference": {"reference": {"type": "plain_text_input", "value": reference}},
                }
            },
            "hash": "1.1",
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def backups(h: SlackHarness) -> list[str]:
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None
    return [c.value for c in h.core.service.status(view.id).confirmations if c.slug == "backup"]


async def test_kill_9_after_the_200_loses_no_confirmation(replica_a: SlackHarness, tmp_path: Path, today: date) -> None:
    h = replica_a
    await h.command("start Kill Nine Ltd")
    settings = h.core.settings
    log = tmp_path / "replica-b.log"
    for trial, delay in enumerate(DELAYS):
        port = unused_port()
        replica_b = await start_replica(with_overrides(settings, {"public_url": f"http://127.0.0.1:{port}"}), port, log)
        reference = f"kill-{trial}"
        body = backup_submission(h, f"VKILL{trial}", today, reference)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        async with h.http.post(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers) as r:
            assert r.status == 200, await r.text()
        await asyncio.sleep(delay)
        replica_b.send_signal(signal.SIGKILL)
        replica_b.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            recorded = [v for v in backups(h) if reference in v]
            checking = [m for m in h.api.messages(CHANNEL) if "Checking" in m.get("text", "")]
            if recorded and not checking and h.slack.surface.tasks.running == 0:
                break
            await asyncio.sleep(0.2)
        await h.settle()
        assert len([v for v in backups(h) if reference in v]) == 1, (delay, backups(h))
        assert not [m for m in h.api.messages(CHANNEL) if "Checking" in m.get("text", "")], delay
    assert len(backups(h)) == len(DELAYS)
    # The kills did land mid-request: the surviving replica took requests over (a second attempt).
    with h.core.sessions() as s:
        taken_over = s.scalars(select(RequestKey.key).where(RequestKey.attempts > 1)).all()
    assert taken_over, "every request finished before its replica was killed: the test proved nothing"
