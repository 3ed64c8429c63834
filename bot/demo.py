"""`preflight demo`: the sandbox company, both simulators, SQLite and the console chat, with no set-up."""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import Core, build_core
from bot.checklist.connections import QboConnectionData
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ChecklistView, ScopeKey
from bot.conversation.conversation import Conversation
from bot.reminders.notify import ConsoleNotifier
from bot.reminders.scheduler import Reminders
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from handlers.console.chat import ConsoleChat, ExtraCommand, LineSource
from sandbox.generate import demo_company
from sandbox.runtime import FIXES, SandboxRuntime
from storage import crypto

DEMO_SCOPE = ScopeKey("console", "demo", "go-live", "Acme Outdoor Goods (sandbox)")


class DemoConversation(Conversation):
    """The demo connects the new checklist to the sandbox as an admin would, right after `start`."""

    def __init__(self, core: Core, runtime: SandboxRuntime) -> None:
        super().__init__(core.service)
        self.runtime = runtime

    async def on_created(self, view: ChecklistView, actor: Actor) -> None:
        await connect_sandbox(self.service, view, actor, self.runtime)


async def connect_sandbox(
    service: ChecklistService, view: ChecklistView, actor: Actor, runtime: SandboxRuntime
) -> None:
    access, refresh, expires = runtime.qbo_tokens()
    data = QboConnectionData(runtime.realm_id, access, refresh, expires)
    service.connect_qbo_tokens(view.id, actor, data, runtime.company.qbo.company_name)
    finale = runtime.finale_access()
    await service.connect_finale(
        view.id,
        actor,
        account=finale.account,
        api_key=finale.api_key,
        api_secret=finale.api_secret,
        base_url=finale.base_url,
        report_urls=finale.report_urls,
    )


def demo_settings(base: Settings, runtime: SandboxRuntime) -> Settings:
    data_dir = base.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    update = runtime.settings_overrides()
    if base.database_url is None:
        db_file = data_dir / "demo.sqlite3"
        # Each demo starts from a fresh sandbox company, so it starts from a fresh checklist too.
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_file) + suffix).unlink(missing_ok=True)
        update["database_url"] = f"sqlite:///{db_file.resolve()}"
    if base.secret_key is None:
        update["secret_key"] = demo_secret_key(data_dir)
    return with_overrides(base, update)


def demo_secret_key(data_dir: Path) -> str:
    """A key kept in the data directory, so the demo runs with no set-up and still encrypts at rest."""
    path = data_dir / "demo-secret.key"
    if not path.exists():
        path.write_text(crypto.generate_key(), encoding="utf-8")
        os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


def run_demo(settings: Settings, lines: Iterator[str] | None, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up now, so that a redirected stdout is honoured
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    company = demo_company(today)
    with SandboxRuntime(company) as runtime:
        demo = demo_settings(settings, runtime)
        core = build_core(demo, LiveSources(demo))
        conversation = DemoConversation(core, runtime)
        name = os.environ.get("PREFLIGHT_DEMO_USER") or _login_name()
        actor = Actor(f"console:{name}", name)
        downloads = demo.data_dir / "downloads"
        chat = ConsoleChat(conversation, DEMO_SCOPE, actor, LineSource(lines, out), out, downloads=downloads)
        chat.extra = {"sandbox": _sandbox_command(runtime), "as": _switch_user(chat)}
        out.write(
            f"Preflight demo · sandbox company “{company.qbo.company_name}” (QBO realm {company.qbo.realm_id}, "
            f"Finale account “{company.finale.account_path}”) · you are {name}, today is {today.isoformat()}.\n"
            "Both APIs are simulated locally; nothing leaves this machine. `sandbox` fixes planted problems the "
            "way you would in QBO or Finale; `as <name>` switches to another person.\n"
        )
        asyncio.run(_chat_with_reminders(core, chat, out))


async def _chat_with_reminders(core: Core, chat: ConsoleChat, out: TextIO) -> None:
    """Reminders run beside the chat: `remind ...` in the demo posts into this terminal when due."""
    reminders = Reminders(core.service, ConsoleNotifier(out), refresh_every=None)
    await reminders.start()
    try:
        await chat.run()
    finally:
        await reminders.shutdown()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "you"


def _sandbox_command(runtime: SandboxRuntime) -> ExtraCommand:
    async def command(arg: str) -> str:
        what = arg.strip().lower()
        if not what:
            return (
                "Sandbox fixes (what you would do in QBO or Finale): "
                + ", ".join(f"`sandbox {f}`" for f in FIXES)
                + ", or `sandbox all`. Then `check` again."
            )
        todo = list(FIXES) if what == "all" else [what]
        if any(t not in FIXES for t in todo):
            return f"Unknown fix “{what}”. Try one of: {', '.join(FIXES)}, all."
        done = [await asyncio.to_thread(runtime.fix, t) for t in todo]
        return "\n".join(done)

    return command


def _switch_user(chat: ConsoleChat) -> ExtraCommand:
    async def command(arg: str) -> str:
        name = re.sub(r"[^\w .'-]", "", arg).strip()
        if not name:
            return f"You are {chat.actor.name}. Type `as <name>` to act as someone else."
        chat.actor = Actor(f"console:{name}", name)
        return f"You are now {name}."

    return command
