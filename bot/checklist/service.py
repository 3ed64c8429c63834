"""The checklist service: the one place that runs checks, records answers and decides what is outstanding.

Every surface (Slack, Teams, the console, the scheduler) goes through it. It authorises owners, validates
input before changing anything, and keeps the confirmation log append-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, select
from sqlalchemy.orm import Session, sessionmaker

from bot.checklist.connections import FinaleConnectionData, QboConnectionData, SourceFactory, store_qbo_tokens
from bot.checklist.errors import InputError, NotFoundError, NotOwnerError
from bot.checklist.shared_reads import SharedReads
from bot.checklist.views import Actor, Change, ChecklistStatus, ChecklistView, ScopeKey
from bot.checklist.workers import CheckJob, CheckWorkers, RunReport, describe
from bot.settings import Settings
from checks import export as check_export
from checks.answers import Answers, Confirmation
from checks.registry import CheckRegistry, CheckSpec, is_cleared
from checks.registry import registry as default_registry
from checks.results import CheckResult, Status
from checks.snapshot import QboCompany
from checks.sources.errors import SourceError
from checks.sources.loader import LoadPlan, QboReader
from storage import models as db

log = logging.getLogger(__name__)

# Checks whose result depends on the enable date: re-run when it changes.
DEPENDS_ON_ENABLE_DATE = (
    "enable-date",
    "inventory-items",
    "average-cost",
    "revenue-invoices",
    "opening-balance",
)
OAUTH_STATE_TTL = timedelta(minutes=10)
RESULT_CACHE_SIZE = 512  # decoded stored results kept in memory (about 50 checklists' worth)


class ChecklistService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        sources: SourceFactory,
        *,
        registry: CheckRegistry = default_registry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        workers: CheckWorkers | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.sources = sources
        self.registry = registry
        self.clock = clock
        self.workers = workers or CheckWorkers(
            sources=sources, sessions=sessions, settings=settings, processes=settings.check_processes
        )
        self._run_listeners: list[Callable[[RunReport], None]] = []
        # One check run at a time per checklist: a second request waits and then sees fresh results.
        self._run_locks: dict[int, asyncio.Lock] = {}
        self._realm_locks: dict[str, asyncio.Lock] = {}
        self._close_dates: dict[int, date | None] = {}
        self._result_cache: dict[int, CheckResult] = {}  # stored results are immutable: keyed by row id
        self._cache_lock = threading.Lock()  # status() runs in worker threads too
        self._decode_lock = threading.Lock()
        self._reminder_listeners: list[Callable[[int], None]] = []
        self._shared = SharedReads(sessions)

    # ------------------------------------------------------------ checklists

    def find(self, scope: ScopeKey) -> ChecklistView | None:
        return self._shared.read(("find", scope), lambda: self._find(scope))

    def _find(self, scope: ScopeKey) -> ChecklistView | None:
        with self.sessions() as s:
            row = s.scalars(
                select(db.Checklist)
                .join(db.Workspace)
                .where(
                    db.Workspace.platform == db.Platform(scope.platform),
                    db.Workspace.external_id == scope.workspace_id,
                    db.Checklist.channel_id == scope.channel_id,
                )
            ).one_or_none()
            return None if row is None else self._view(s, row)

    def checklists_in(self, platform: str, workspace_id: str) -> list[ChecklistView]:
        """Every checklist of one workspace (e.g. for Slack's App Home), oldest first; never another's."""
        with self.sessions() as s:
            rows = s.scalars(
                select(db.Checklist)
                .join(db.Workspace)
                .where(db.Workspace.platform == db.Platform(platform), db.Workspace.external_id == workspace_id)
                .order_by(db.Checklist.id)
            ).all()
            return [self._view(s, row) for row in rows]

    def get(self, checklist_id: int) -> ChecklistView:
        with self.sessions() as s:
            return self._view(s, self._row(s, checklist_id))

    def start(self, scope: ScopeKey, actor: Actor, company_label: str | None = None) -> tuple[ChecklistView, bool]:
        """Create the channel's checklist with the caller as its first owner; return (view, created)."""
        existing = self.find(scope)
        if existing is not None:
            return existing, False
        label = (company_label or "").strip()[:200] or "your company"
        with self.sessions.begin() as s:
            ws = s.scalars(
                select(db.Workspace).where(
                    db.Workspace.platform == db.Platform(scope.platform),
                    db.Workspace.external_id == scope.workspace_id,
                )
            ).one_or_none()
            if ws is None:
                ws = db.Workspace(
                    platform=db.Platform(scope.platform),
                    external_id=scope.workspace_id,
                    name=scope.workspace_name,
                )
                s.add(ws)
                s.flush()
            row = db.Checklist(
                workspace_id=ws.id,
                channel_id=scope.channel_id,
                company_label=label,
                reminder_timezone=self.settings.timezone,
            )
            s.add(row)
            s.flush()
            s.add(
                db.Owner(
                    checklist_id=row.id,
                    user_id=actor.user_id,
                    display_name=actor.name,
                    added_by=actor.user_id,
                )
            )
            checklist_id = row.id
        return self.get(checklist_id), True

    def add_owner(self, checklist_id: int, actor: Actor, new_owner: Actor) -> None:
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "add owners")
            exists = s.scalars(
                select(db.Owner).where(db.Owner.checklist_id == checklist_id, db.Owner.user_id == new_owner.user_id)
            ).one_or_none()
            if exists is None:
                s.add(
                    db.Owner(
                        checklist_id=checklist_id,
                        user_id=new_owner.user_id,
                        display_name=new_owner.name,
                        added_by=actor.user_id,
                    )
                )

    def require_owner(self, checklist_id: int, actor: Actor, what: str = "do that") -> None:
        with self.sessions() as s:
            self._require_owner(s, checklist_id, actor, what)

    def timezone(self, checklist_id: int) -> ZoneInfo:
        view = self.get(checklist_id)
        return _zone(view.timezone)

    def today(self, checklist_id: int) -> date:
        return self.clock().astimezone(self.timezone(checklist_id)).date()

    # ------------------------------------------------------------ status

    def status(self, checklist_id: int) -> ChecklistStatus:
        """Where every check stands. Read by every chat request that shows the checklist: concurrent reads of
        one checklist share one (SharedReads)."""
        return self._shared.read(("status", checklist_id), lambda: self._status(checklist_id))

    def _status(self, checklist_id: int) -> ChecklistStatus:
        with self.sessions() as s:
            row = self._row(s, checklist_id)
            view = self._view(s, row)
            # The history without its findings: enough to find the latest result of each check and what
            # changed; only those latest results are then loaded (findings can run to thousands of rows).
            history = s.execute(
                select(
                    db.CheckResultRecord.id,
                    db.CheckResultRecord.slug,
                    db.CheckResultRecord.status,
                    db.CheckResultRecord.created_at,
                )
                .where(db.CheckResultRecord.checklist_id == checklist_id)
                .order_by(db.CheckResultRecord.id)
            ).all()
            latest: dict[str, tuple[int, str, datetime]] = {}
            previous_status: dict[str, tuple[str, datetime]] = {}
            for record_id, slug, record_status, created_at in history:
                prior = latest.get(slug)
                if prior is not None and prior[1] != record_status.value:
                    previous_status[slug] = (prior[1], created_at)
                latest[slug] = (record_id, record_status.value, created_at)
            answers = self._answers(s, row, view)
            stored = self._results(s, [record_id for record_id, _, _ in latest.values()])
            # Clearing follows the answers as they are now (a new acknowledgement clears at once).
            results = {slug: _with_cleared(stored[record_id], answers) for slug, (record_id, _, _) in latest.items()}
            changes = tuple(
                Change(slug, before, latest[slug][1], since)
                for slug, (before, since) in previous_status.items()
                if self.clock() - since < timedelta(days=7)
            )
            confirmations = tuple(self._log(s, checklist_id))
            return ChecklistStatus(
                checklist=view,
                specs=tuple(self.registry.all()),
                results=results,
                checked_at={slug: created for slug, (_, _, created) in latest.items()},
                changes=changes,
                confirmations=confirmations,
                finale_balance=answers.finale_balance,
                backup_date=answers.backup_date,
            )

    def _results(self, s: Session, record_ids: list[int]) -> dict[int, CheckResult]:
        """Stored results by id. They never change once written, so decoded ones are kept in memory."""
        found = self._cached(record_ids)
        if len(found) < len(record_ids):
            # One reader decodes new results (thousands of findings); readers arriving meanwhile wait and
            # then find them cached, instead of all decoding the same rows at once.
            with self._decode_lock:
                found = self._cached(record_ids)
                missing = [i for i in record_ids if i not in found]
                if missing:
                    loaded = s.scalars(select(db.CheckResultRecord).where(db.CheckResultRecord.id.in_(missing)))
                    decoded = {record.id: record.to_result() for record in loaded}
                    found.update(decoded)
                    with self._cache_lock:
                        self._result_cache.update(decoded)
                        while len(self._result_cache) > RESULT_CACHE_SIZE:
                            self._result_cache.pop(next(iter(self._result_cache)))
        return found

    def _cached(self, record_ids: list[int]) -> dict[int, CheckResult]:
        with self._cache_lock:
            return {i: self._result_cache[i] for i in record_ids if i in self._result_cache}

    async def run_checks(
        self, checklist_id: int, actor: Actor | None, slugs: Sequence[str] | None = None
    ) -> ChecklistStatus:
        specs = self.registry.select(slugs)
        lock = self._run_locks.setdefault(checklist_id, asyncio.Lock())
        async with lock:
            view, answers, qbo_data, finale_data = await asyncio.to_thread(self._run_inputs, checklist_id)
            plan = LoadPlan(
                needs=self.registry.needs(specs, answers),
                today=answers.today,
                enable_date=view.enable_date,
                enable_date_decided=view.enable_date_decided,
            )
            # QBO allows 10 requests a second per company, and each worker paces only its own: two checklists
            # on the same books (two channels, say) take turns.
            realm = qbo_data.realm_id if qbo_data is not None else f"checklist {checklist_id}"
            async with self._realm_locks.setdefault(realm, asyncio.Lock()):
                await self._run(checklist_id, actor, specs, answers, plan, qbo_data, finale_data)
        return await asyncio.to_thread(self.status, checklist_id)

    async def _run(
        self,
        checklist_id: int,
        actor: Actor | None,
        specs: Sequence[CheckSpec],
        answers: Answers,
        plan: LoadPlan,
        qbo_data: QboConnectionData | None,
        finale_data: FinaleConnectionData | None,
    ) -> None:
        """One run: opened, handed to the workers (which store its results), closed."""
        started = self.clock()
        run_id = await asyncio.to_thread(self._open_run, checklist_id, actor, specs, started)
        job = CheckJob(
            checklist_id,
            run_id,
            tuple(specs),
            answers,
            plan,
            started,
            time.monotonic(),
            qbo_data,
            finale_data,
            self.registry.views_for(specs),
        )
        report = await self.workers.run(job)  # the results are stored when it returns
        log.info("Checklist %s checked: %s", checklist_id, describe(report))
        for listener in self._run_listeners:
            listener(report)
        if report.company is not None:
            self._close_dates[checklist_id] = report.company.book_close_date
        await asyncio.to_thread(self._close_run, checklist_id, run_id)

    def on_run(self, listener: Callable[[RunReport], None]) -> None:
        """Call `listener` with every finished run, once its results are stored (the benchmarks time it)."""
        self._run_listeners.append(listener)

    def _run_inputs(
        self, checklist_id: int
    ) -> tuple[ChecklistView, Answers, QboConnectionData | None, FinaleConnectionData | None]:
        with self.sessions() as s:
            row = self._row(s, checklist_id)
            view = self._view(s, row)
            return (
                view,
                self._answers(s, row, view),
                self._qbo_data(s, checklist_id),
                self._finale_data(s, checklist_id),
            )

    def _open_run(self, checklist_id: int, actor: Actor | None, specs: Sequence[CheckSpec], started: datetime) -> int:
        """Record that a run began; its results are stored under it by whichever process runs its checks."""
        with self.sessions.begin() as s:
            run = db.CheckRun(
                checklist_id=checklist_id,
                started_at=started,
                triggered_by=actor.user_id if actor else "reminder",
                slugs=[spec.slug for spec in specs],
            )
            s.add(run)
            s.flush()
            return run.id

    def _close_run(self, checklist_id: int, run_id: int) -> None:
        with self.sessions.begin() as s:
            run = s.get(db.CheckRun, run_id)
            if run is not None:
                run.finished_at = self.clock()
        self._refresh_state(checklist_id)

    def _refresh_state(self, checklist_id: int) -> None:
        status = self.status(checklist_id)
        wanted = db.ChecklistState.READY if status.ready else db.ChecklistState.OPEN
        stopped = False
        with self.sessions.begin() as s:
            row = self._row(s, checklist_id)
            if row.state != wanted:
                row.state = wanted
                # Everything is cleared: the ready card is the all-clear, so reminders stop for good.
                if wanted is db.ChecklistState.READY and row.reminders_enabled:
                    row.reminders_enabled = False
                    stopped = True
        if stopped:
            self._reminders_changed(checklist_id)

    # ------------------------------------------------------------ answers (owners only)

    def confirm(self, checklist_id: int, actor: Actor, slug: str, shown_text: str) -> None:
        spec = self.registry.get(slug)
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "confirm")
            self._append(s, checklist_id, actor, spec.slug, db.ConfirmationKind.CONFIRM, None, "confirmed", shown_text)

    def acknowledge(self, checklist_id: int, actor: Actor, slug: str, ack_key: str, shown_text: str) -> None:
        spec = self.registry.get(slug)
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "acknowledge warnings")
            latest = s.scalars(
                select(db.CheckResultRecord)
                .where(db.CheckResultRecord.checklist_id == checklist_id, db.CheckResultRecord.slug == spec.slug)
                .order_by(db.CheckResultRecord.id.desc())
                .limit(1)
            ).one_or_none()
            current = latest.ack_key if latest else None
            if current is None:
                raise InputError(f"There is no warning to acknowledge for “{spec.title}”. Run `check {spec.slug}`.")
            if not ack_key:
                # An acknowledgement records the exact figures shown; without them there is nothing to match.
                raise InputError(
                    f"Acknowledge “{spec.title}” from the message that shows its figures (now: "
                    f"“{latest.summary if latest else ''}”), so the record says exactly what was acknowledged."
                )
            if ack_key != current:
                raise InputError(
                    f"The figures changed since that message: it now reads “{latest.summary if latest else ''}”. "
                    "Review the new figures and acknowledge again."
                )
            self._append(s, checklist_id, actor, spec.slug, db.ConfirmationKind.ACKNOWLEDGE, None, current, shown_text)

    def mark_not_applicable(self, checklist_id: int, actor: Actor, slug: str, reason: str) -> None:
        spec = self.registry.get(slug)
        if not spec.allow_not_applicable:
            raise InputError(f"“{spec.title}” cannot be marked not applicable: it must hold for every company.")
        reason = reason.strip()
        if not reason:
            raise InputError("Say why this step does not apply.", field="reason")
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "mark steps not applicable")
            self._append(
                s,
                checklist_id,
                actor,
                spec.slug,
                db.ConfirmationKind.NOT_APPLICABLE,
                None,
                reason[:2000],
                f"Marked “{spec.title}” not applicable: {reason[:2000]}",
            )

    def validate_enable_date(self, checklist_id: int, value: date | None, close: date | None) -> None:
        """Raise InputError when `value` cannot be the enable date, given QBO's close date `close`. Forms check
        it with the close date as last read; the service again, live, before anything is recorded."""
        if value is not None:
            if value.year < 2000 or value > self.today(checklist_id) + timedelta(days=366):
                raise InputError(
                    f"{value.isoformat()} does not look like an enable date: pick a date from the last few years "
                    "or within the next twelve months.",
                    field="enable_date",
                )
            if close is not None and value <= close:
                raise InputError(
                    f"The books are closed through {close.isoformat()}, so the enable date {value.isoformat()} "
                    "is too early: it must be after the closing date. "
                    f"Pick {(close + timedelta(days=1)).isoformat()} or later, or change the closing date in "
                    "QuickBooks (Settings > Account and settings > Advanced > Close the books) first.",
                    field="enable_date",
                )
        else:
            if close is not None:
                raise InputError(
                    f"The books are closed through {close.isoformat()}. A blank enable date pushes the whole "
                    "history, including the closed periods, which QuickBooks refuses. Pick a date after "
                    f"{close.isoformat()}, or remove the closing date in QuickBooks first.",
                    field="enable_date",
                )

    async def set_enable_date(self, checklist_id: int, actor: Actor, value: date | None) -> list[str]:
        """Validate against QBO's close date, record it, and re-run the checks that depend on it."""
        self.require_owner(checklist_id, actor, "set the enable date")
        self.validate_enable_date(checklist_id, value, await self._book_close_date(checklist_id))
        with self.sessions.begin() as s:
            row = self._row(s, checklist_id)
            before = (row.enable_date, row.enable_date_decided)
            row.enable_date = value
            row.enable_date_decided = True
            shown = f"Enable date set to {value.isoformat() if value else 'blank (push the whole history)'}"
            self._append(
                s,
                checklist_id,
                actor,
                "enable-date",
                db.ConfirmationKind.ANSWER,
                "enable_date",
                value.isoformat() if value else "",
                shown,
            )
            if before[1] and before[0] != value:
                # A balance typed for the old D-1 no longer applies to the new one.
                for entry in self._effective(s, checklist_id):
                    if entry.field == "finale_balance":
                        self._withdraw(s, checklist_id, actor, entry, "Withdrawn because the enable date changed")
        await self.run_checks(checklist_id, actor, list(DEPENDS_ON_ENABLE_DATE))
        return [s for s in DEPENDS_ON_ENABLE_DATE if s != "enable-date"]

    def set_revenue(self, checklist_id: int, actor: Actor, pushed: bool) -> None:
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "answer for the checklist")
            row = self._row(s, checklist_id)
            row.revenue_pushed = pushed
            text = "Finale will push sales revenue" if pushed else "Finale will not push sales revenue"
            self._append(
                s,
                checklist_id,
                actor,
                "revenue-invoices",
                db.ConfirmationKind.ANSWER,
                "revenue_pushed",
                "yes" if pushed else "no",
                text,
            )

    def record_backup(self, checklist_id: int, actor: Actor, backup_date: date, reference: str | None) -> None:
        today = self.today(checklist_id)
        if backup_date > today:
            raise InputError(
                f"{backup_date.isoformat()} is in the future. Give the date the backup was actually made.",
                field="backup_date",
            )
        # One line: the stored value is parsed back as "DATE (reference: ...)", and a line break would lose it.
        reference = " ".join((reference or "").split())[:300] or None
        value = backup_date.isoformat() + (f" (reference: {reference})" if reference else "")
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "confirm the backup")
            self._append(
                s,
                checklist_id,
                actor,
                "backup",
                db.ConfirmationKind.CONFIRM,
                "backup",
                value,
                f"A complete backup of the QuickBooks Online company was made on {value}.",
            )

    def set_finale_balance(self, checklist_id: int, actor: Actor, amount: Decimal, offset_account: str | None) -> None:
        if abs(amount) >= Decimal("1e12"):
            raise InputError("That amount is too large to be an inventory balance; check the figure.", field="amount")
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "enter balances")
            row = self._row(s, checklist_id)
            if not row.enable_date_decided or row.enable_date is None:
                raise InputError(
                    "Pick the enable date first: the balance is Finale's on the day before it.",
                    field="amount",
                )
            d1 = row.enable_date - timedelta(days=1)
            self._append(
                s,
                checklist_id,
                actor,
                "opening-balance",
                db.ConfirmationKind.ANSWER,
                "finale_balance",
                str(amount),
                f"Finale's inventory asset balance on {d1.isoformat()} is {amount:,.2f}",
            )
            if offset_account:
                self._append(
                    s,
                    checklist_id,
                    actor,
                    "opening-balance",
                    db.ConfirmationKind.ANSWER,
                    "offset_account",
                    offset_account.strip()[:200],
                    f"Offset account for the opening entry: {offset_account.strip()}",
                )

    def set_reminders(self, checklist_id: int, actor: Actor, schedule: str | None) -> str:
        from bot.reminders.schedule import describe, parse_schedule

        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "change reminders")
            row = self._row(s, checklist_id)
            if schedule is None:
                row.reminders_enabled = False
                reply = "Reminders for this checklist are off."
            else:
                cron = parse_schedule(schedule)
                row.reminder_schedule = cron
                row.reminders_enabled = True
                tz = row.reminder_timezone or self.settings.timezone
                reply = f"I'll remind this channel {describe(cron)} ({tz}) until every item is cleared."
        # After the commit, so that the scheduler reads the new settings.
        self._reminders_changed(checklist_id)
        return reply

    def add_reminder_listener(self, listener: Callable[[int], None]) -> None:
        """Call `listener(checklist_id)` after a checklist's reminder settings change (the scheduler's sync)."""
        self._reminder_listeners.append(listener)

    def remove_reminder_listener(self, listener: Callable[[int], None]) -> None:
        with contextlib.suppress(ValueError):
            self._reminder_listeners.remove(listener)

    def _reminders_changed(self, checklist_id: int) -> None:
        for listener in list(self._reminder_listeners):
            try:
                listener(checklist_id)
            except Exception:  # the change is saved; the scheduler's periodic refresh picks it up
                log.exception("A reminder listener failed for checklist %s", checklist_id)

    # ------------------------------------------------------------ connections

    def qbo_connect_url(self, checklist_id: int, actor: Actor, context: dict[str, str] | None = None) -> str:
        state = secrets.token_urlsafe(32)
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "connect QuickBooks")
            row = self._row(s, checklist_id)
            s.add(
                db.OAuthState(
                    state=state,
                    provider="qbo",
                    workspace_id=row.workspace_id,
                    checklist_id=checklist_id,
                    user_id=actor.user_id,
                    context=context or {},
                    expires_at=self.clock() + OAUTH_STATE_TTL,
                )
            )
        return self.sources.qbo_authorization_url(state)

    async def complete_qbo_connect(self, state: str, code: str, realm_id: str) -> tuple[ChecklistView, dict[str, str]]:
        """The Intuit callback: consume the state once, exchange the code, store the tokens encrypted."""
        with self.sessions.begin() as s:
            record = db.OAuthState.consume(s, state, self.clock())
            if record is None:
                raise InputError(
                    "This QuickBooks link has expired or was already used. Ask for a new one with `connect qbo`."
                )
            checklist_id, user_id, context = record.checklist_id, record.user_id, dict(record.context)
        if not re.fullmatch(r"[0-9]{1,32}", realm_id or ""):
            raise InputError("QuickBooks did not say which company was connected. Try `connect qbo` again.")
        data = await asyncio.to_thread(self.sources.qbo_exchange_code, code, realm_id)
        reader = self._qbo_reader(checklist_id, data)
        company: QboCompany = await asyncio.to_thread(reader.company)
        with self.sessions.begin() as s:
            withdrawn = self._save_qbo(s, checklist_id, data, company.name, user_id)
        if withdrawn:
            # Their stored results still say "cleared": check them again against what now stands.
            await self.run_checks(checklist_id, Actor(user_id, user_id), withdrawn)
        return self.get(checklist_id), context

    def connect_qbo_tokens(self, checklist_id: int, actor: Actor, data: QboConnectionData, company: str) -> list[str]:
        """Store a QBO connection obtained out of band (the sandbox demo, benchmarks).

        Returns the steps whose confirmations the reconnect withdrew; the caller re-checks them."""
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "connect QuickBooks")
            return self._save_qbo(s, checklist_id, data, company, actor.user_id)

    def _save_qbo(
        self, s: Session, checklist_id: int, data: QboConnectionData, company: str, user_id: str
    ) -> list[str]:
        """Store the connection; returns the steps whose confirmations a reconnect withdrew."""
        existing = self._connection(s, checklist_id, db.ConnectionKind.QBO)
        withdrawn: list[str] = []
        if existing is not None:
            withdrawn = self._withdraw_for_reconnect(s, checklist_id, user_id, existing, data.realm_id, company)
        conn = existing or db.Connection(checklist_id=checklist_id, kind=db.ConnectionKind.QBO)
        conn.realm_id = data.realm_id
        conn.access_token = data.access_token
        conn.refresh_token = data.refresh_token
        conn.access_token_expires_at = data.access_token_expires_at
        conn.company_name = company
        conn.connected_by = user_id
        conn.connected_at = self.clock()
        s.add(conn)
        row = self._row(s, checklist_id)
        row.qbo_realm_id = data.realm_id
        if row.company_label in (None, "", "your company"):
            row.company_label = company  # the checklist is named after the company it checks
        return withdrawn

    def _withdraw_for_reconnect(
        self, s: Session, checklist_id: int, user_id: str, old: db.Connection, realm_id: str, company: str
    ) -> list[str]:
        """A reconnect may be by another Intuit user, or to another company: what was confirmed no longer holds.

        Same company: the admin confirmation is about the connecting user, so it is withdrawn. Another company:
        every confirmation and acknowledgement about the old one is withdrawn (new rows; the history stays).
        """
        other_company = old.realm_id != realm_id
        reason = (
            f"Withdrawn: QuickBooks Online was reconnected to another company ({old.company_name} → {company})"
            if other_company
            else "Withdrawn: QuickBooks Online was reconnected, possibly by another user"
        )
        kinds = (db.ConfirmationKind.CONFIRM, db.ConfirmationKind.ACKNOWLEDGE, db.ConfirmationKind.NOT_APPLICABLE)
        owner = s.scalars(
            select(db.Owner).where(db.Owner.checklist_id == checklist_id, db.Owner.user_id == user_id)
        ).first()
        actor = Actor(user_id, owner.display_name if owner else user_id)
        withdrawn: list[str] = []
        for entry in self._effective(s, checklist_id):
            if entry.kind in kinds and (other_company or entry.slug == "admin-access"):
                withdrawn.append(entry.slug)
                self._withdraw(s, checklist_id, actor, entry, reason)
        return sorted(set(withdrawn))

    async def connect_finale(
        self,
        checklist_id: int,
        actor: Actor,
        *,
        account: str,
        api_key: str,
        api_secret: str,
        base_url: str | None = None,
        report_urls: dict[str, str] | None = None,
    ) -> None:
        """Validate the key with a live call first; only working credentials are saved (encrypted)."""
        self.require_owner(checklist_id, actor, "connect Finale")
        data = FinaleConnectionData(
            account=account,
            base_url=(base_url or self.settings.finale_base_url).rstrip("/"),
            api_key=api_key,
            api_secret=api_secret,
            report_urls=dict(report_urls or self._default_report_urls()),
        )
        try:
            await self.sources.finale_check_credentials(data)
        except SourceError as exc:
            raise InputError(str(exc), field="api_key") from None
        with self.sessions.begin() as s:
            conn = self._connection(s, checklist_id, db.ConnectionKind.FINALE) or db.Connection(
                checklist_id=checklist_id, kind=db.ConnectionKind.FINALE
            )
            conn.account_path = data.account
            conn.base_url = data.base_url
            conn.api_key = data.api_key
            conn.api_secret = data.api_secret
            conn.report_urls = data.report_urls
            conn.connected_by = actor.user_id
            conn.connected_at = self.clock()
            s.add(conn)

    def _default_report_urls(self) -> dict[str, str]:
        urls = {}
        if self.settings.finale_average_cost_report_url:
            urls["average_cost"] = self.settings.finale_average_cost_report_url
        if self.settings.finale_inventory_value_report_url:
            urls["inventory_value"] = self.settings.finale_inventory_value_report_url
        return urls

    def book_close_date(self, checklist_id: int) -> date | None:
        """QBO's close date as last seen, without a new call (forms must open within Slack's 3 seconds)."""
        return self._close_dates.get(checklist_id)

    async def _book_close_date(self, checklist_id: int) -> date | None:
        with self.sessions() as s:
            data = self._qbo_data(s, checklist_id)
        if data is None:
            return None  # not connected: the enable-date check validates it once QBO is connected
        try:
            company = await asyncio.to_thread(self._qbo_reader(checklist_id, data).company)
        except SourceError as exc:
            raise InputError(
                f"I could not read the closing date from QuickBooks to validate the date ({exc}). Nothing was "
                "changed; try again in a moment.",
                field="enable_date",
            ) from None
        self._close_dates[checklist_id] = company.book_close_date
        return company.book_close_date

    # ------------------------------------------------------------ exports

    def deactivation_csv(self, checklist_id: int) -> bytes | None:
        result = self.status(checklist_id).results.get("deactivation")
        if result is None or not result.findings:
            return None
        return check_export.deactivation_csv(result)

    def journal_entry(self, checklist_id: int) -> str | None:
        """The opening-balance entry drafted by the last check, as text; None when none is needed."""
        result = self.status(checklist_id).results.get("opening-balance")
        if result is None or result.status is not Status.FAIL:
            return None
        entry = next((f for f in result.findings if f.kind == "journal_entry"), None)
        return entry.detail if entry else None

    # ------------------------------------------------------------ internals

    def _qbo_reader(self, checklist_id: int, data: QboConnectionData) -> QboReader:
        return self.sources.qbo(data, partial(store_qbo_tokens, self.sessions, checklist_id))

    def _row(self, s: Session, checklist_id: int) -> db.Checklist:
        row = s.get(db.Checklist, checklist_id)
        if row is None:
            raise NotFoundError("That checklist no longer exists. Type `start` to create one.")
        return row

    def _connection(self, s: Session, checklist_id: int, kind: db.ConnectionKind) -> db.Connection | None:
        return s.scalars(
            select(db.Connection).where(db.Connection.checklist_id == checklist_id, db.Connection.kind == kind)
        ).one_or_none()

    def _qbo_data(self, s: Session, checklist_id: int) -> QboConnectionData | None:
        conn = self._connection(s, checklist_id, db.ConnectionKind.QBO)
        if conn is None or not conn.refresh_token or not conn.realm_id:
            return None
        return QboConnectionData(conn.realm_id, conn.access_token, conn.refresh_token, conn.access_token_expires_at)

    def _finale_data(self, s: Session, checklist_id: int) -> FinaleConnectionData | None:
        conn = self._connection(s, checklist_id, db.ConnectionKind.FINALE)
        if conn is None or not conn.api_key or not conn.api_secret or not conn.account_path:
            return None
        return FinaleConnectionData(
            account=conn.account_path,
            base_url=conn.base_url or self.settings.finale_base_url,
            api_key=conn.api_key,
            api_secret=conn.api_secret,
            report_urls=dict(conn.report_urls or {}),
        )

    def _view(self, s: Session, row: db.Checklist) -> ChecklistView:
        owners = s.scalars(select(db.Owner).where(db.Owner.checklist_id == row.id).order_by(db.Owner.id)).all()
        # What a view shows of the connections, without reading (and decrypting) their secrets: every chat
        # request builds a view, and Fernet for four tokens a request adds up under load.
        c = db.Connection
        connections = {
            kind: (company, account, has_token)
            for kind, company, account, has_token in s.execute(
                select(
                    c.kind,
                    c.company_name,
                    c.account_path,
                    case((c.kind == db.ConnectionKind.QBO, c.refresh_token.is_not(None)), else_=c.api_key.is_not(None)),
                ).where(c.checklist_id == row.id)
            )
        }
        qbo = connections.get(db.ConnectionKind.QBO)
        finale = connections.get(db.ConnectionKind.FINALE)
        ws = s.get(db.Workspace, row.workspace_id)
        assert ws is not None
        return ChecklistView(
            id=row.id,
            scope=ScopeKey(ws.platform.value, ws.external_id, row.channel_id, ws.name or ""),
            company_label=row.company_label or "your company",
            enable_date=row.enable_date,
            enable_date_decided=row.enable_date_decided,
            revenue_pushed=row.revenue_pushed,
            owners=tuple(Actor(o.user_id, o.display_name or o.user_id) for o in owners),
            timezone=row.reminder_timezone or self.settings.timezone,
            qbo_connected=qbo is not None and bool(qbo[2]),
            qbo_company=qbo[0] if qbo else None,
            finale_connected=finale is not None and bool(finale[2]),
            finale_account=finale[1] if finale else None,
            state=row.state.value,
            reminder_schedule=row.reminder_schedule,
            reminders_enabled=row.reminders_enabled,
            created_at=row.created_at,
        )

    def _require_owner(self, s: Session, checklist_id: int, actor: Actor, what: str) -> None:
        owners = s.scalars(select(db.Owner).where(db.Owner.checklist_id == checklist_id)).all()
        if any(o.user_id == actor.user_id for o in owners):
            return
        names = ", ".join(o.display_name or o.user_id for o in owners)
        raise NotOwnerError(
            f"Only owners of this checklist can {what}. The owners are {names}; one of them can add you with "
            f"`owners add @{actor.name}`."
        )

    def _append(
        self,
        s: Session,
        checklist_id: int,
        actor: Actor,
        slug: str,
        kind: db.ConfirmationKind,
        field: str | None,
        value: str,
        shown_text: str,
        *,
        withdraws: int | None = None,
    ) -> None:
        s.add(
            db.Confirmation(
                checklist_id=checklist_id,
                slug=slug,
                kind=kind,
                field=field,
                value=value,
                shown_text=shown_text,
                user_id=actor.user_id,
                user_name=actor.name,
                recorded_at=self.clock(),
                withdraws_id=withdraws,
            )
        )
        s.flush()

    def _withdraw(self, s: Session, checklist_id: int, actor: Actor, entry: db.Confirmation, reason: str) -> None:
        """A withdrawal is a new row naming the one it withdraws; nothing is updated or deleted."""
        self._append(
            s,
            checklist_id,
            actor,
            entry.slug,
            db.ConfirmationKind.WITHDRAW,
            entry.field,
            entry.value,
            reason,
            withdraws=entry.id,
        )

    def _log(self, s: Session, checklist_id: int) -> list[Confirmation]:
        rows = s.scalars(
            select(db.Confirmation).where(db.Confirmation.checklist_id == checklist_id).order_by(db.Confirmation.id)
        ).all()
        return [
            Confirmation(
                slug=r.slug,
                kind=r.field if r.kind is db.ConfirmationKind.ANSWER and r.field else r.kind.value,
                value=r.value,
                user_id=r.user_id,
                user_name=r.user_name,
                recorded_at=r.recorded_at,
            )
            for r in rows
        ]

    def _effective(self, s: Session, checklist_id: int) -> list[db.Confirmation]:
        """The log with withdrawals applied: what currently stands."""
        rows = s.scalars(
            select(db.Confirmation).where(db.Confirmation.checklist_id == checklist_id).order_by(db.Confirmation.id)
        ).all()
        withdrawn = {r.withdraws_id for r in rows if r.kind is db.ConfirmationKind.WITHDRAW}
        return [r for r in rows if r.kind is not db.ConfirmationKind.WITHDRAW and r.id not in withdrawn]

    def _answers(self, s: Session, row: db.Checklist, view: ChecklistView) -> Answers:
        confirmations: dict[str, Confirmation] = {}
        acknowledgements: dict[str, Confirmation] = {}
        not_applicable: dict[str, Confirmation] = {}
        fields: dict[str, str] = {}
        for r in self._effective(s, row.id):
            entry = Confirmation(r.slug, r.kind.value, r.value, r.user_id, r.user_name, r.recorded_at)
            if r.kind is db.ConfirmationKind.CONFIRM:
                confirmations[r.slug] = entry
            elif r.kind is db.ConfirmationKind.ACKNOWLEDGE:
                acknowledgements[r.slug] = entry
            elif r.kind is db.ConfirmationKind.NOT_APPLICABLE:
                not_applicable[r.slug] = entry
            if r.field:
                fields[r.field] = r.value
        backup_date, backup_ref = _parse_backup(fields.get("backup"))
        balance = fields.get("finale_balance")
        return Answers(
            today=self.clock().astimezone(_zone(view.timezone)).date(),
            enable_date=row.enable_date,
            enable_date_decided=row.enable_date_decided,
            revenue_pushed=row.revenue_pushed,
            backup_date=backup_date,
            backup_reference=backup_ref,
            finale_balance=Decimal(balance) if balance else None,
            offset_account=fields.get("offset_account"),
            confirmations=confirmations,
            acknowledgements=acknowledgements,
            not_applicable=not_applicable,
            qbo_connected=view.qbo_connected,
            finale_connected=view.finale_connected,
            backup_max_age_days=self.settings.backup_max_age_days,
            invoice_volume_warn_per_month=self.settings.invoice_volume_warn_per_month,
        )


def _with_cleared(result: CheckResult, answers: Answers) -> CheckResult:
    return replace(result, cleared=is_cleared(result, answers))


def _parse_backup(value: str | None) -> tuple[date | None, str | None]:
    if not value:
        return None, None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?: \(reference: (.*)\))?", value)
    if not match:
        return None, None
    return date.fromisoformat(match.group(1)), match.group(2)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
