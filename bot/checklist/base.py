"""What every part of the checklist service shares: its collaborators, its caches, and the reads and writes
that all of them need (the checklist as a view, the owners check, the confirmation log, the answers)."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session, sessionmaker

from bot.checklist import inputs
from bot.checklist.connections import FinaleConnectionData, QboConnectionData, SourceFactory
from bot.checklist.errors import NotFoundError, NotOwnerError
from bot.checklist.shared_reads import SharedReads
from bot.checklist.views import Actor, ChecklistView, ScopeKey
from bot.checklist.workers import CheckWorkers, RunReport
from bot.requests import mark_applied
from bot.settings import Settings
from checks.answers import Answers, Confirmation
from checks.registry import CheckRegistry
from checks.registry import registry as default_registry
from checks.results import CheckResult
from storage import models as db
from storage.repositories import checklists, confirmations, connections, owners


class ServiceBase:
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

    # ------------------------------------------------------------ the checklist

    def _row(self, s: Session, checklist_id: int) -> db.Checklist:
        row = checklists.get_checklist(s, checklist_id)
        if row is None:
            raise NotFoundError("That checklist no longer exists. Type `start` to create one.")
        return row

    def _view(self, s: Session, row: db.Checklist) -> ChecklistView:
        found = connections.connection_summaries(s, row.id)
        qbo = found.get(db.ConnectionKind.QBO)
        finale = found.get(db.ConnectionKind.FINALE)
        ws = row.workspace
        return ChecklistView(
            id=row.id,
            scope=ScopeKey(ws.platform.value, ws.external_id, row.channel_id, ws.name or ""),
            company_label=row.company_label or "your company",
            enable_date=row.enable_date,
            enable_date_decided=row.enable_date_decided,
            revenue_pushed=row.revenue_pushed,
            owners=tuple(Actor(o.user_id, o.display_name or o.user_id) for o in owners.list_owners(s, row.id)),
            timezone=row.reminder_timezone or self.settings.timezone,
            qbo_connected=qbo is not None and qbo.has_credentials,
            qbo_company=qbo.company_name if qbo else None,
            finale_connected=finale is not None and finale.has_credentials,
            finale_account=finale.account_path if finale else None,
            state=row.state.value,
            reminder_schedule=row.reminder_schedule,
            reminders_enabled=row.reminders_enabled,
            reminders_paused=row.reminders_paused_reason if row.reminders_enabled else None,
            created_at=row.created_at,
        )

    def _require_owner(self, s: Session, checklist_id: int, actor: Actor, what: str) -> None:
        found = owners.list_owners(s, checklist_id)
        if any(o.user_id == actor.user_id for o in found):
            return
        names = ", ".join(o.display_name or o.user_id for o in found)
        raise NotOwnerError(
            f"Only owners of this checklist can {what}. The owners are {names}; one of them can add you with "
            f"`owners add @{actor.name}`."
        )

    # ------------------------------------------------------------ connections as the sources need them

    def _qbo_data(self, s: Session, checklist_id: int) -> QboConnectionData | None:
        conn = connections.get_connection(s, checklist_id, db.ConnectionKind.QBO)
        if conn is None or not conn.refresh_token or not conn.realm_id:
            return None
        return QboConnectionData(
            conn.realm_id, conn.access_token, conn.refresh_token, conn.access_token_expires_at, conn.connected_at
        )

    def _finale_data(self, s: Session, checklist_id: int) -> FinaleConnectionData | None:
        conn = connections.get_connection(s, checklist_id, db.ConnectionKind.FINALE)
        if conn is None or not conn.api_key or not conn.api_secret or not conn.account_path:
            return None
        return FinaleConnectionData(
            account=conn.account_path,
            base_url=conn.base_url or self.settings.finale_base_url,
            api_key=conn.api_key,
            api_secret=conn.api_secret,
            report_urls=dict(conn.report_urls or {}),
            connected_at=conn.connected_at,
        )

    # ------------------------------------------------------------ the confirmation log (append-only)

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
        # Whatever the command, nothing unstorable reaches the log (PostgreSQL refuses NUL bytes).
        inputs.require_text(value, field)
        inputs.require_text(shown_text, field)
        mark_applied(s)  # the request being answered now changed state, in this very transaction
        confirmations.record_confirmation(
            s,
            checklist_id,
            slug=slug,
            kind=kind,
            field=field,
            value=value,
            shown_text=shown_text,
            user_id=actor.user_id,
            user_name=actor.name,
            recorded_at=self.clock(),
            withdraws=withdraws,
        )

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
        return [
            Confirmation(
                slug=r.slug,
                kind=r.field if r.kind is db.ConfirmationKind.ANSWER and r.field else r.kind.value,
                value=r.value,
                user_id=r.user_id,
                user_name=r.user_name,
                recorded_at=r.recorded_at,
            )
            for r in confirmations.list_confirmations(s, checklist_id)
        ]

    def _answers(self, s: Session, row: db.Checklist, view: ChecklistView) -> Answers:
        confirmed: dict[str, Confirmation] = {}
        acknowledged: dict[str, Confirmation] = {}
        not_applicable: dict[str, Confirmation] = {}
        fields: dict[str, str] = {}
        for r in confirmations.standing_confirmations(s, row.id):
            entry = Confirmation(r.slug, r.kind.value, r.value, r.user_id, r.user_name, r.recorded_at)
            if r.kind is db.ConfirmationKind.CONFIRM:
                confirmed[r.slug] = entry
            elif r.kind is db.ConfirmationKind.ACKNOWLEDGE:
                acknowledged[r.slug] = entry
            elif r.kind is db.ConfirmationKind.NOT_APPLICABLE:
                not_applicable[r.slug] = entry
            if r.field:
                fields[r.field] = r.value
        backup_date, backup_ref = _parse_backup(fields.get("backup"))
        balance = fields.get("finale_balance")
        return Answers(
            today=self.clock().astimezone(zone(view.timezone)).date(),
            enable_date=row.enable_date,
            enable_date_decided=row.enable_date_decided,
            revenue_pushed=row.revenue_pushed,
            backup_date=backup_date,
            backup_reference=backup_ref,
            finale_balance=Decimal(balance) if balance else None,
            offset_account=fields.get("offset_account"),
            confirmations=confirmed,
            acknowledgements=acknowledged,
            not_applicable=not_applicable,
            qbo_connected=view.qbo_connected,
            finale_connected=view.finale_connected,
            backup_max_age_days=self.settings.backup_max_age_days,
            invoice_volume_warn_per_month=self.settings.invoice_volume_warn_per_month,
        )


def _parse_backup(value: str | None) -> tuple[date | None, str | None]:
    if not value:
        return None, None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?: \(reference: (.*)\))?", value)
    if not match:
        return None, None
    return date.fromisoformat(match.group(1)), match.group(2)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
