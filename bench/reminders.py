"""Reminders at scale across replicas: `python -m bench --reminders-only` (and part of `make bench`).

1,000 Slack checklists (one channel each) are due in the same minute. Two `preflight serve` replicas
(bench/fleet.py) share one PostgreSQL database (a throwaway schema) and post through the Slack stand-in,
which allows one post per second per channel and fails 30% of posts with a 5xx (a third of those after
posting, so that only the metadata look-up stands between a retry and a duplicate) and 10% with a 429
(Retry-After: 1). A few seconds into the burst one replica is killed with -9; the other takes its slots over
when their leases lapse. Meanwhile signed `/preflight help` slash commands go to the surviving replica, and
the time to each HTTP 200 is the acknowledgement latency during the burst.

Written to `bench/results/reminders.json`: checklists, posted, lost, duplicates, wall_s (slot to last
reminder), ack percentiles during the burst and idle, peak RSS of the replicas, and the faults injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import text

from bench.ack import sign
from bench.fleet import SIGNING_SECRET, Replica, now_slot, seed, tally
from bench.machine import machine
from bench.probes import percentile
from sandbox.server import BackgroundServer
from sandbox.slack import Chance, SlackApiSandbox
from storage.db import make_engine, normalize_url

TARGETS = {"lost": 0, "duplicates": 0, "within_s": 300.0, "ack_p99_ms": 100.0}
DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def _peak_rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _command(n: int, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0PREFLIGHT",
            "team_domain": "preflight-sandbox",
            "channel_id": "C0BENCHACK",
            "channel_name": "bench-ack",
            "user_id": "U0BENCH",
            "user_name": "bench",
            "command": "/preflight",
            "text": "help",
            "api_app_id": "A0PREFLIGHT",
            "response_url": response_url,
            "trigger_id": f"trigger-{n}",
        }
    )


async def _ack(http: aiohttp.ClientSession, url: str, body: str) -> tuple[int, float]:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SIGNING_SECRET, body)}
    started = time.perf_counter()
    async with http.post(url + "/slack/events", data=body.encode(), headers=headers) as response:
        await response.read()
        return response.status, time.perf_counter() - started


async def _acks(url: str, response_url: str, stop: asyncio.Event, sink: list[float], *, first: int) -> None:
    """5 concurrent commands every 0.2 s until `stop`; the latency of each HTTP 200 goes to `sink`."""
    n = first
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            tick = time.monotonic()
            results = await asyncio.gather(*(_ack(http, url, _command(n + k, response_url)) for k in range(5)))
            n += 5
            sink.extend(seconds for status, seconds in results if status == 200)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, 0.2 - (time.monotonic() - tick)))


async def _idle_acks(url: str, response_url: str, seconds: float) -> list[float]:
    stop = asyncio.Event()
    sink: list[float] = []
    task = asyncio.create_task(_acks(url, response_url, stop, sink, first=0))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    return sink


def _schema(server_url: str) -> tuple[str, str]:
    schema = f"preflight_bench_{uuid.uuid4().hex[:12]}"
    engine = make_engine(server_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = normalize_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop(server_url: str, schema: str) -> None:
    engine = make_engine(server_url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def measure(
    count: int = 1000, *, kill_after: float = 4.0, concurrency: int = 4, out: Path | None = None
) -> dict[str, Any]:
    server_url = os.environ.get("PREFLIGHT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    schema, url = _schema(server_url)
    api = SlackApiSandbox()
    try:
        with BackgroundServer(api.app) as slack_server:
            return _run(api, slack_server.url, url, count, kill_after, concurrency, out)
    finally:
        _drop(server_url, schema)


def _run(
    api: SlackApiSandbox,
    slack_url: str,
    url: str,
    count: int,
    kill_after: float,
    concurrency: int,
    out: Path | None,
) -> dict[str, Any]:
    # Enough of the minute left for seeding and two replicas to start before the slot.
    slot = now_slot(lead=0.0) + timedelta(minutes=1)
    if (slot - datetime.now(UTC)).total_seconds() < 40:
        slot += timedelta(minutes=1)
    ids = seed(url, count, slot=slot)
    api.limit_posts(per_second=1.0, burst=1)
    chances = [
        Chance(0.20, "internal_error", 500),
        Chance(0.10, "internal_error", 500, after=True),
        Chance(0.10, "ratelimited", 429, retry_after=1),
    ]
    api.chaos("chat.postMessage", chances, seed=7)
    lease, sweep = 10.0, 2.0
    replicas = [
        Replica(name, url, slack_url + "/api/", lease=lease, sweep=sweep, concurrency=concurrency, check_processes=2)
        for name in "ab"
    ]
    response_url = api.new_response_url(slack_url)
    try:
        for replica in replicas:
            replica.wait_ready()
        survivor = replicas[1]
        idle = asyncio.run(_idle_acks(survivor.url, response_url, 3.0))
        wait = (slot - datetime.now(UTC)).total_seconds()
        print(f"  reminders: {count} checklists due at {slot:%H:%M:%S} UTC, {wait:.0f} s from now", file=sys.stderr)
        time.sleep(max(0.0, wait))
        slot_at = time.monotonic()
        must = dict.fromkeys(ids, slot)
        peaks: list[float | None] = []
        during: list[float] = []

        async def burst() -> None:
            stop = asyncio.Event()
            acks = asyncio.create_task(_acks(survivor.url, response_url, stop, during, first=10_000))
            await asyncio.sleep(kill_after)
            peaks.append(_peak_rss_mb(replicas[0].proc.pid))
            replicas[0].kill()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                done = await asyncio.to_thread(tally, api, url, must)
                # Every slot posted, and recorded (a post by the killed replica is recorded by its taker).
                if done.lost == 0 and done.recorded >= done.expected:
                    break
                await asyncio.sleep(1.0)
            peaks.append(_peak_rss_mb(survivor.proc.pid))
            stop.set()
            await acks

        asyncio.run(burst())
        finished_at = time.monotonic()
        time.sleep(2.0)  # anything still in flight would show up as a duplicate
        result = tally(api, url, must)
        survivor.terminate()
    finally:
        for replica in replicas:
            replica.close()
    wall = (result.last_post_at - slot.timestamp()) if result.last_post_at else None
    during_sorted = sorted(during)
    idle_sorted = sorted(idle)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "checklists": count,
        "posted": result.posted,
        "lost": result.lost,
        "duplicates": result.duplicates,
        "recorded_in_database": result.recorded,
        "wall_s": round(wall, 2) if wall is not None else None,
        "burst_s": round(finished_at - slot_at, 2),
        "ack_p50_ms_during_burst": _ms(percentile(during_sorted, 50)) if during_sorted else None,
        "ack_p99_ms_during_burst": _ms(percentile(during_sorted, 99)) if during_sorted else None,
        "ack_max_ms_during_burst": _ms(during_sorted[-1]) if during_sorted else None,
        "acks_during_burst": len(during_sorted),
        "ack_p99_ms_idle": _ms(percentile(idle_sorted, 99)) if idle_sorted else None,
        "peak_rss_mb": max((p for p in peaks if p is not None), default=None),
        "replicas": {
            "count": 2,
            "killed_after_s": kill_after,
            "lease_s": lease,
            "sweep_s": sweep,
            "concurrency": concurrency,
        },
        "faults_injected": dict(sorted(api.faults.injected.items())),
        "chat_post_message_calls": len(api.calls("chat.postMessage")),
        "history_lookups": len(api.calls("conversations.history")),
        "slack_limits": "chat.postMessage 1/s per channel (429 with Retry-After beyond it)",
        "targets": TARGETS,
        "method": (
            f"{count} Slack checklists, one channel each, due in the same minute on 2 `preflight serve` replicas "
            "(PostgreSQL); Slack stand-in with 20% HTTP 500, 10% HTTP 500 after posting, 10% 429 (Retry-After 1) "
            f"on chat.postMessage and 1 post/s per channel; replica a killed with -9 {kill_after:.0f} s after the "
            "slot. Acks: 5 concurrent signed `/preflight help` to the surviving replica every 0.2 s from the "
            "slot until every reminder was posted and recorded; latency = time to HTTP 200. "
            "wall_s = slot to last reminder."
        ),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "reminders.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.procs import ROOT

    p = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    p.add_argument("--checklists", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=4, help="slots each replica delivers at once")
    p.add_argument("--out", type=Path, default=Path(ROOT) / "bench" / "results")
    args = p.parse_args(argv)
    report = measure(args.checklists, concurrency=args.concurrency, out=args.out)
    print(json.dumps({k: report[k] for k in ("checklists", "posted", "lost", "duplicates", "wall_s")}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
