"""The real Preflight core on a real database, connected to the sandbox simulators over real HTTP.

Shared by the checklist, conversation, CLI and console tests. Nothing here replaces our own code: the
service, the conversation and the sources are the production classes; only the QBO client's rate limits
and backoffs are lowered so that many check runs stay fast against the local simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cards import Actions, Button, Card, Context, Fields, Header, Reply, StatusRow, Table, Text
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ChecklistView, ScopeKey
from bot.conversation.conversation import Conversation
from bot.conversation.intents import Intent
from bot.demo import connect_sandbox
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from checks.money import money
from sandbox.company import SandboxCompany
from sandbox.runtime import SandboxRuntime
from storage import models as db
from storage.db import make_engine, session_factory, upgrade

# The simulator is local: QBO's 10 requests a second would only make the suite slow.
FAST_QBO: dict[str, object] = {
    "requests_per_second": 10_000,
    "requests_per_minute": 1_000_000,
    "backoff_base": 0.001,
    "backoff_max": 0.01,
}

SCOPE = ScopeKey("console", "T-acme", "C-golive", "Acme workspace")
OWNER = Actor("UDANA01", "Dana Whitfield")
CONTROLLER = Actor("URAJ02", "Raj Patel")
STRANGER = Actor("USAM03", "Sam Ortiz")


def usd(amount: object) -> str:
    """How the checks print an amount (derived from the planted Decimal, never typed by hand)."""
    assert isinstance(amount, Decimal)
    return money(amount, "USD")


def today_for(settings: Settings | None = None) -> date:
    """Today where the checklist lives (the service's default timezone), as the demo computes it."""
    from zoneinfo import ZoneInfo

    tz = (settings or Settings(_env_file=None)).timezone  # type: ignore[call-arg]
    return datetime.now(ZoneInfo(tz)).date()


def make_settings(runtime: SandboxRuntime | None, database_url: str, **values: object) -> Settings:
    update: dict[str, object] = dict(runtime.settings_overrides()) if runtime else {}
    update.update(database_url=database_url, **values)
    return with_overrides(Settings(_env_file=None), update)  # type: ignore[call-arg]


@dataclass
class Harness:
    runtime: SandboxRuntime
    database_url: str
    settings: Settings = field(init=False)
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)
    service: ChecklistService = field(init=False)
    conversation: Conversation = field(init=False)

    def __post_init__(self) -> None:
        upgrade(self.database_url)
        self.settings = make_settings(self.runtime, self.database_url)
        self.engine = make_engine(self.database_url)
        self.sessions = session_factory(self.engine)
        self.service = ChecklistService(
            self.sessions, self.settings, LiveSources(self.settings, qbo_overrides=FAST_QBO)
        )
        self.conversation = Conversation(self.service)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ the sandbox company

    @property
    def company(self) -> SandboxCompany:
        return self.runtime.company

    @property
    def planted(self) -> dict[str, Any]:
        return self.runtime.company.planted

    @property
    def enable_date(self) -> date:
        value = self.planted["enable_date"]
        assert isinstance(value, date)
        return value

    @property
    def close_date(self) -> date:
        value = self.planted["book_close_date"]
        assert isinstance(value, date)
        return value

    @property
    def today(self) -> date:
        return today_for(self.settings)

    _checklist_id: int | None = field(default=None, init=False)

    @property
    def checklist_id(self) -> int:
        assert self._checklist_id is not None, "start a checklist first"
        return self._checklist_id

    # ------------------------------------------------------------ set-up as a person would do it

    async def start_connected(self, owner: Actor = OWNER) -> ChecklistView:
        """`start`, then connect the sandbox QBO company and Finale account as an admin would."""
        view, created = self.service.start(SCOPE, owner, "Acme Outdoor Goods")
        assert created
        self._checklist_id = view.id
        await connect_sandbox(self.service, view, owner, self.runtime)
        return self.service.get(view.id)

    def start_unconnected(self, owner: Actor = OWNER) -> ChecklistView:
        view, created = self.service.start(SCOPE, owner, None)
        self._checklist_id = view.id
        return view

    # ------------------------------------------------------------ the conversation

    def intent(self, name: str, arg: str = "", actor: Actor = OWNER, **values: str | None) -> Intent:
        return Intent(name, actor, SCOPE, arg=arg, values=values)

    async def say(self, text: str, actor: Actor = OWNER) -> Reply:
        reply = await self.conversation.handle(self.conversation.from_text(text, actor, SCOPE))
        if self._checklist_id is None:
            found = self.service.find(SCOPE)
            self._checklist_id = found.id if found else None
        return reply

    async def press(self, button: Button, actor: Actor = OWNER) -> Reply:
        return await self.conversation.handle(Intent(button.action, actor, SCOPE, arg=button.value))

    async def add_owner(self, person: Actor, actor: Actor = OWNER) -> Reply:
        """`owners add` with the person a surface's picker (or mention) named."""
        return await self.conversation.handle(Intent("owners", actor, SCOPE, arg="add", people={"owner": person}))

    async def submit(self, action: str, arg: str = "", actor: Actor = OWNER, **values: str | None) -> Reply:
        return await self.conversation.handle(self.intent(action, arg, actor, **values))

    # ------------------------------------------------------------ what is stored

    def db_state(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row a bad input must leave alone (check results may be added by a re-check, not these)."""
        with self.sessions() as s:
            return {
                "confirmations": [
                    (c.id, c.slug, c.kind.value, c.field, c.value, c.user_id, c.withdraws_id)
                    for c in s.scalars(select(db.Confirmation).order_by(db.Confirmation.id))
                ],
                "checklists": [
                    (
                        r.id,
                        r.enable_date,
                        r.enable_date_decided,
                        r.revenue_pushed,
                        r.state.value,
                        r.reminder_schedule,
                        r.reminders_enabled,
                        r.company_label,
                        r.version,
                    )
                    for r in s.scalars(select(db.Checklist).order_by(db.Checklist.id))
                ],
                "owners": [(o.checklist_id, o.user_id) for o in s.scalars(select(db.Owner).order_by(db.Owner.id))],
                "connections": [
                    (c.kind.value, c.realm_id, c.refresh_token, c.account_path, c.api_key, c.api_secret, c.base_url)
                    for c in s.scalars(select(db.Connection).order_by(db.Connection.id))
                ],
            }

    def confirmations(self) -> list[db.Confirmation]:
        with self.sessions() as s:
            rows = list(s.scalars(select(db.Confirmation).order_by(db.Confirmation.id)))
            s.expunge_all()
            return rows

    def qbo_connection(self) -> db.Connection:
        with self.sessions() as s:
            conn = s.scalars(select(db.Connection).where(db.Connection.kind == db.ConnectionKind.QBO)).one()
            s.expunge(conn)
            return conn

    # ------------------------------------------------------------ the QBO consent screen

    def authorize(self, url: str) -> dict[str, str]:
        """Follow Intuit's consent redirect as the owner's browser would; returns the callback's query."""
        from urllib.parse import parse_qsl, urlsplit

        response = requests.get(url, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


# ---------------------------------------------------------------- reading cards


def block_text(block: object) -> list[str]:
    if isinstance(block, Header | Text | Context):
        return [block.text]
    if isinstance(block, Fields):
        return [f"{k}: {v}" for k, v in block.pairs]
    if isinstance(block, StatusRow):
        return [f"{block.title} [{block.status}] {block.summary}"]
    if isinstance(block, Table):
        return (
            [" | ".join(block.columns)]
            + [" | ".join(r) for r in block.rows]
            + ([block.caption] if block.caption else [])
        )
    if isinstance(block, Actions):
        return [b.label for b in block.buttons]
    return []


def card_text(card: Card) -> str:
    return "\n".join(line for block in card.blocks for line in block_text(block))


def reply_text(reply: Reply) -> str:
    parts = [card_text(c) for c in reply.cards]
    parts += [f"{k}: {v}" for k, v in reply.form_errors.items()]
    return "\n".join(parts)


def buttons(reply: Reply) -> list[Button]:
    return [b for c in reply.cards for block in c.blocks if isinstance(block, Actions) for b in block.buttons]


def button(reply: Reply, action: str, value: str | None = None) -> Button:
    found = [b for b in buttons(reply) if b.action == action and (value is None or b.value == value)]
    assert found, f"no {action!r} button in {[(b.action, b.value) for b in buttons(reply)]}"
    return found[0]


def headers(reply: Reply) -> list[str]:
    return [b.text for c in reply.cards for b in c.blocks if isinstance(b, Header)]


def iter_fields(reply: Reply) -> Iterator[tuple[str, str]]:
    for c in reply.cards:
        for b in c.blocks:
            if isinstance(b, Fields):
                yield from b.pairs


def now_utc() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
