"""Several `preflight serve` replicas on one database, reminding many checklists through the Slack stand-in.

Shared by the replica tests (tests/bot/reminders/test_replicas.py) and the reminders benchmark
(bench/reminders.py): `seed` writes checklists whose reminder slot is due, `Replica` runs the production
server (`python -m preflight.main serve`) as a real process that can be killed (-9) or stopped (SIGTERM), and
`tally` counts what reached the stand-in per (checklist, slot) against what the database recorded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bench.procs import ROOT
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox
from storage import models as db
from storage.crypto import generate_key
from storage.db import make_engine, session_factory, upgrade
from storage.repositories import checklists, owners

TEAM = "T0PREFLIGHT"  # the stand-in's team: its default token belongs to it
OWNER = ("U0OWNER", "Olivia Owner")
SIGNING_SECRET = "preflight-fleet-signing-secret"


def channel_of(n: int) -> str:
    return f"C{n:07d}"


def seed(url: str, count: int, *, slot: datetime, per_minute: bool = False) -> list[int]:
    """`count` Slack checklists, one per channel, each reminded daily at `slot` (UTC), or every minute with
    `per_minute`; their settings changed a while before the slot, so the slot is theirs to deliver."""
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    cron = "* * * * *" if per_minute else f"{slot.minute} {slot.hour} * * *"
    ids: list[int] = []
    try:
        with sessions.begin() as s:
            workspace = checklists.get_or_create_workspace(s, "slack", TEAM, "Preflight Sandbox")
            for n in range(count):
                row = checklists.create_checklist(
                    s, workspace, channel_of(n), company_label=f"Company {n}", reminder_timezone="UTC"
                )
                owners.add_owner(s, row.id, OWNER[0], display_name=OWNER[1], added_by=OWNER[0])
                row.reminder_schedule = cron
                row.reminders_enabled = True
                row.reminders_changed_at = slot - timedelta(hours=1)
                ids.append(row.id)
    finally:
        engine.dispose()
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Replica:
    """One `preflight serve` process: the production server, its scheduler and the Slack surface."""

    def __init__(
        self,
        name: str,
        url: str,
        slack_api_url: str,
        *,
        lease: float,
        sweep: float,
        concurrency: int = 8,
        check_processes: int = 0,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.data_dir = tempfile.mkdtemp(prefix=f"preflight-replica-{name}-")
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", ""),
                "DATABASE_URL": url,
                "PREFLIGHT_SECRET_KEY": generate_key(),
                "PREFLIGHT_DATA_DIR": self.data_dir,
                # 0: re-checks run in the server's own process (quicker to start; the tests' choice);
                # production runs them in worker processes (2), as the benchmark does.
                "PREFLIGHT_CHECK_PROCESSES": str(check_processes),
                "PREFLIGHT_LOG_LEVEL": "WARNING",
                "PREFLIGHT_REMINDER_LEASE_SECONDS": str(lease),
                "PREFLIGHT_REMINDER_SWEEP_SECONDS": str(sweep),
                "PREFLIGHT_REMINDER_CONCURRENCY": str(concurrency),
                "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack_api_url,
            }
        )
        for unwanted in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "PREFLIGHT_TEAMS"):
            env.pop(unwanted, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "preflight.main", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica {self.name} exited {self.proc.returncode}: {self.errors()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"replica {self.name} did not answer /healthz within {timeout:.0f} s")

    def kill(self) -> None:
        """kill -9: no shutdown, its leases lapse."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a deploy does: the server finishes or hands back its slots, then exits."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def errors(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()[-4000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass(frozen=True)
class Tally:
    expected: int  # (checklist, slot) pairs that must be posted
    posted: int  # of those, with at least one message in the stand-in
    duplicates: int  # extra messages beyond one per (checklist, slot)
    recorded: int  # rows the database marks posted
    paused: list[int]  # checklists whose reminders paused
    dms: int  # direct messages to owners
    last_post_at: float | None  # epoch seconds of the last reminder message

    @property
    def lost(self) -> int:
        return self.expected - self.posted


def tally(api: SlackApiSandbox, url: str, slots: dict[int, datetime]) -> Tally:
    """What reached the stand-in against what must have: `slots` maps each checklist that must be reminded
    to its slot (checklists whose channel is gone are left out: they must pause instead)."""
    seen: Counter[tuple[str, str]] = Counter()
    last: float | None = None
    with api.lock:
        messages = [(channel, m) for (channel, _), m in api.posted.items()]
    dms = 0
    for channel, message in messages:
        if channel.startswith("D"):
            dms += 1
            continue
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") != "preflight_reminder":
            continue
        payload = metadata.get("event_payload") or {}
        seen[(str(payload.get("checklist_id")), str(payload.get("slot")))] += 1
        last = max(last or 0.0, float(message["ts"]))
    wanted = {(str(cid), slot.isoformat()) for cid, slot in slots.items()}
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s:
            posted_rows = select(func.count()).select_from(db.ReminderDelivery)
            recorded = s.scalar(posted_rows.where(db.ReminderDelivery.posted_at.is_not(None)))
            paused = list(s.scalars(select(db.Checklist.id).where(db.Checklist.reminders_paused_reason.is_not(None))))
    finally:
        engine.dispose()
    return Tally(
        expected=len(wanted),
        posted=sum(1 for key in wanted if seen[key] > 0),
        duplicates=sum(count - 1 for count in seen.values() if count > 1),
        recorded=int(recorded or 0),
        paused=sorted(paused),
        dms=dms,
        last_post_at=last,
    )


def now_slot(lead: float = 0.0) -> datetime:
    """The current minute (UTC), or the next one when fewer than `lead` seconds of it are left."""
    now = datetime.now(UTC)
    slot = now.replace(second=0, microsecond=0)
    return slot if (now - slot).total_seconds() + lead < 60 else slot + timedelta(minutes=1)


def describe(t: Tally) -> dict[str, Any]:
    return {"expected": t.expected, "posted": t.posted, "lost": t.lost, "duplicates": t.duplicates}
