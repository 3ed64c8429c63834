"""`preflight demo`: the sandbox company, both simulators, SQLite and the console chat, with no set-up."""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import Core, build_core
from bot.demo import DEMO_SCOPE, DemoConversation, demo_settings, sandbox_command
from bot.reminders.scheduler import Reminders
from bot.settings import Settings
from bot.sources import LiveSources
from handlers.console.chat import ConsoleChat, ExtraCommand, LineSource, console_person
from handlers.console.notifier import ConsoleNotifier
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime


def run_demo(settings: Settings, lines: Iterator[str] | None, out: TextIO | None = None) -> None:
    out = out or sys.stdout  # looked up now, so that a redirected stdout is honoured
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    company = demo_company(today)
    with SandboxRuntime(company) as runtime:
        demo = demo_settings(settings, runtime)
        core = build_core(demo, LiveSources(demo))
        conversation = DemoConversation(core, runtime)
        name = os.environ.get("PREFLIGHT_DEMO_USER") or _login_name()
        actor = console_person(name)
        downloads = demo.data_dir / "downloads"
        chat = ConsoleChat(conversation, DEMO_SCOPE, actor, LineSource(lines, out), out, downloads=downloads)
        chat.extra = {"sandbox": sandbox_command(runtime, core.service), "as": switch_user(chat)}
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


def switch_user(chat: ConsoleChat) -> ExtraCommand:
    async def command(arg: str) -> str:
        name = re.sub(r"[^\w .'-]", "", arg).strip()
        if not name:
            return f"You are {chat.actor.name}. Type `as <name>` to act as someone else."
        chat.actor = console_person(name)
        return f"You are now {name}."

    return command
