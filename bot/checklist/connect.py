"""Connecting a checklist to QuickBooks Online (OAuth, or tokens obtained elsewhere) and to Finale."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from functools import partial

from sqlalchemy.orm import Session

from bot.checklist.connections import FinaleConnectionData, QboConnectionData, store_qbo_tokens
from bot.checklist.errors import InputError
from bot.checklist.runs import Runs
from bot.checklist.views import Actor, ChecklistView
from bot.requests import mark_applied
from checks.snapshot import QboCompany
from checks.sources.errors import SourceError
from checks.sources.loader import QboReader
from storage import models as db
from storage.repositories import checklists, confirmations, connections, oauth_state, owners

OAUTH_STATE_TTL = timedelta(minutes=10)


class Connect(Runs):
    def qbo_connect_url(self, checklist_id: int, actor: Actor, context: dict[str, str] | None = None) -> str:
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "connect QuickBooks")
            row = self._row(s, checklist_id)
            state = oauth_state.create_oauth_state(
                s,
                workspace_id=row.workspace_id,
                checklist_id=checklist_id,
                user_id=actor.user_id,
                now=self.clock(),
                ttl=OAUTH_STATE_TTL,
                context=context,
            ).state
        return self.sources.qbo_authorization_url(state)

    async def complete_qbo_connect(self, state: str, code: str, realm_id: str) -> tuple[ChecklistView, dict[str, str]]:
        """The Intuit callback: consume the state once, exchange the code, store the tokens encrypted."""
        with self.sessions.begin() as s:
            record = oauth_state.consume_oauth_state(s, state, self.clock())
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
        existing = connections.get_connection(s, checklist_id, db.ConnectionKind.QBO)
        withdrawn: list[str] = []
        if existing is not None:
            withdrawn = self._withdraw_for_reconnect(s, checklist_id, user_id, existing, data.realm_id, company)
        connections.save_connection(
            s,
            checklist_id,
            db.ConnectionKind.QBO,
            realm_id=data.realm_id,
            access_token=data.access_token,
            refresh_token=data.refresh_token,
            access_token_expires_at=data.access_token_expires_at,
            company_name=company,
            connected_by=user_id,
            connected_at=self.clock(),
        )
        row = self._row(s, checklist_id)
        changes: dict[str, str] = {"qbo_realm_id": data.realm_id}
        if row.company_label in (None, "", "your company"):
            changes["company_label"] = company  # the checklist is named after the company it checks
        checklists.update_checklist(s, checklist_id, **changes)
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
        owner = owners.get_owner(s, checklist_id, user_id)
        actor = Actor(user_id, owner.display_name if owner else user_id)
        withdrawn: list[str] = []
        for entry in confirmations.standing_confirmations(s, checklist_id):
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
            mark_applied(s)
            connections.save_connection(
                s,
                checklist_id,
                db.ConnectionKind.FINALE,
                account_path=data.account,
                base_url=data.base_url,
                api_key=data.api_key,
                api_secret=data.api_secret,
                report_urls=data.report_urls,
                connected_by=actor.user_id,
                connected_at=self.clock(),
            )

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

    def _qbo_reader(self, checklist_id: int, data: QboConnectionData) -> QboReader:
        return self.sources.qbo(data, partial(store_qbo_tokens, self.sessions, checklist_id))
