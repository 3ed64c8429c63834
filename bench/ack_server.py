"""Preflight's chat server (bot/server.py) for the acknowledgement benchmark, in a process of its own.

`python -m bench.ack_server`, driven by `bench.ack` with JSON lines on stdin/stdout: read the simulators'
description, build the production server (`create_app` with the Slack app in one-workspace mode, SQLite in
a temporary directory, the Slack Web API stand-in for Slack), serve it on a loopback port and print
`{"ready": true, "url": ..., "signing_secret": ...}`. Then:

- `{"cmd": "connect"}`: connect the channel's checklist (made by a `/preflight start`) to the simulators and
  answer the enable date and revenue, as an owner would;
- every full check the service runs is reported on stdout: `{"event": "check_started"}`, then
  `{"event": "check_finished", "seconds": ...}`;
- `{"cmd": "profile_start"}` / `{"cmd": "profile_stop"}`: a sampling profile of the server between the two;
- `{"cmd": "quit"}` or end of input stops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.check import bench_settings
from bench.machine import peak_rss_mb
from bench.probes import Sampler
from bot.app import build_core
from bot.checklist.connections import QboConnectionData
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ScopeKey
from bot.server import create_app
from bot.settings import with_overrides
from bot.sources import LiveSources
from handlers.slack.app import build_slack_app
from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox
from storage.repositories import checklists

SIGNING_SECRET = "preflight-bench-signing-secret"
TEAM = "T0PREFLIGHT"  # the Slack stand-in's team
CHANNEL = "C0BENCH"
OWNER = Actor("U0BENCH", "bench")


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _report_checks(service: ChecklistService) -> None:
    """Say on stdout when a check run starts and ends (the production method, wrapped)."""
    real = service.run_checks

    async def run_checks(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        _say({"event": "check_started"})
        try:
            return await real(*args, **kwargs)
        finally:
            _say({"event": "check_finished", "seconds": round(time.perf_counter() - started, 3)})

    service.run_checks = run_checks  # type: ignore[method-assign]


async def connect(service: ChecklistService, env: dict[str, Any]) -> None:
    view = service.find(ScopeKey("slack", TEAM, CHANNEL))
    if view is None:
        raise RuntimeError("no checklist in the channel: send /preflight start first")
    actor = view.owners[0] if view.owners else OWNER
    qbo = env["qbo"]
    expires = datetime.fromisoformat(qbo["expires_at"])
    data = QboConnectionData(qbo["realm_id"], qbo["access_token"], qbo["refresh_token"], expires)
    service.connect_qbo_tokens(view.id, actor, data, "Benchmark company")
    finale = env["finale"]
    await service.connect_finale(
        view.id,
        actor,
        account=finale["account"],
        api_key=finale["api_key"],
        api_secret=finale["api_secret"],
        base_url=finale["base_url"],
        report_urls=finale["report_urls"],
    )
    service.set_revenue(view.id, actor, True)
    enable = date.fromisoformat(env["enable_date"]) if env.get("enable_date") else None
    with service.sessions.begin() as s:
        checklists.update_checklist(s, view.id, enable_date=enable, enable_date_decided=True)


async def serve(env: dict[str, Any], data_dir: Path) -> None:
    slack_api = SlackApiSandbox()
    with BackgroundServer(slack_api.app) as slack_api_server:
        runner: web.AppRunner | None = None
        settings = with_overrides(
            bench_settings(env, data_dir),
            {
                "slack_signing_secret": SIGNING_SECRET,
                "slack_bot_token": DEFAULT_TOKEN,
                "slack_api_url": slack_api_server.url + "/api/",
            },
        )
        core = build_core(settings, LiveSources(settings))
        _report_checks(core.service)
        slack = build_slack_app(core, settings, socket_mode=False)
        app = create_app(core, [slack])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        _say({"ready": True, "url": f"http://127.0.0.1:{port}", "signing_secret": SIGNING_SECRET})
        loop = asyncio.get_running_loop()
        sampler: Sampler | None = None
        stdin = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-stdin")
        try:
            while True:
                line = await loop.run_in_executor(stdin, sys.stdin.readline)
                if not line:
                    break
                if not line.strip():
                    continue
                command = json.loads(line)
                if command.get("cmd") == "quit":
                    break
                if command.get("cmd") == "connect":
                    await connect(core.service, env)
                    _say({"ok": True})
                elif command.get("cmd") == "rss":
                    _say({"peak_rss_mb": peak_rss_mb()})
                elif command.get("cmd") == "profile_start":
                    sampler = Sampler().__enter__()
                    _say({"ok": True})
                elif command.get("cmd") == "profile_stop":
                    if sampler is not None:
                        sampler.__exit__(None, None, None)
                    _say({"profile": sampler.report(top=20) if sampler is not None else None})
                else:
                    _say({"error": f"unknown command {command.get('cmd')!r}"})
        finally:
            await runner.cleanup()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    env = json.loads(sys.stdin.readline())
    with tempfile.TemporaryDirectory(prefix="preflight-bench-ack-") as tmp:
        asyncio.run(serve(env, Path(tmp)))


if __name__ == "__main__":
    main()
