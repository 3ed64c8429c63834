"""What `preflight demo` needs besides a chat: the sandbox company connected as an admin would connect it,
settings on SQLite with a key of its own, and the `sandbox` command that fixes its planted problems. The
console surface (handlers/console/demo.py) puts a chat in front of it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from bot.app import Core
from bot.checklist.connections import QboConnectionData
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ChecklistView, ScopeKey
from bot.conversation.conversation import Conversation
from bot.settings import Settings, with_overrides
from sandbox.runtime import FIXES, PLANTED, Planted, SandboxRuntime
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


def sandbox_command(
    runtime: SandboxRuntime, service: ChecklistService, scope: ScopeKey = DEMO_SCOPE
) -> Callable[[str], Awaitable[str]]:
    """`sandbox <fix>`: do in the simulated QBO or Finale what a person would do in the real one, for the enable
    date chosen in the checklist at `scope` (the sandbox company's planned date until one is chosen)."""

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
        view = service.find(scope)
        if view is not None and view.enable_date_decided:
            enable: date | None | Planted = view.enable_date
            note = []
        else:
            enable = PLANTED
            planned = runtime.enable_date
            note = (
                [f"(No enable date is chosen yet; assuming the sandbox's planned {planned.isoformat()}.)"]
                if planned
                else []
            )
        done = [await asyncio.to_thread(runtime.fix, t, enable_date=enable) for t in todo]
        return "\n".join(note + done)

    return command
