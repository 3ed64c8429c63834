"""What owners answer: confirmations, acknowledgements, steps that do not apply, the enable date, the revenue
answer, the backup and Finale's balance. Every answer is validated first and appended to the log."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.checklist import inputs
from bot.checklist.connect import Connect
from bot.checklist.errors import InputError
from bot.checklist.views import Actor
from checks.catalog.enable_date import QBO_CLOSE_THE_BOOKS, closed_period_problem
from storage import models as db
from storage.repositories import checklists, confirmations, runs


class AnswerRecording(Connect):
    def confirm(self, checklist_id: int, actor: Actor, slug: str, shown_text: str) -> None:
        spec = self.registry.get(slug)
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "confirm")
            self._append(s, checklist_id, actor, spec.slug, db.ConfirmationKind.CONFIRM, None, "confirmed", shown_text)

    def acknowledge(self, checklist_id: int, actor: Actor, slug: str, ack_key: str, shown_text: str) -> None:
        spec = self.registry.get(slug)
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "acknowledge warnings")
            latest = runs.latest_result(s, checklist_id, spec.slug)
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
        it with the close date as last read; set_enable_date again, live, before anything is recorded."""
        if value is not None and (value.year < 2000 or value > self.today(checklist_id) + timedelta(days=366)):
            raise InputError(
                f"{value.isoformat()} does not look like an enable date: pick a date from the last few years "
                "or within the next twelve months.",
                field="enable_date",
            )
        problem = closed_period_problem(value, close)
        if problem is not None and close is not None:
            fix = (
                f"Pick {(close + timedelta(days=1)).isoformat()} or later, or change the closing date in QuickBooks "
                f"({QBO_CLOSE_THE_BOOKS}) first."
                if value is not None
                else f"Pick a date after {close.isoformat()}, or remove the closing date in QuickBooks first."
            )
            raise InputError(f"{problem} {fix}", field="enable_date")

    async def set_enable_date(self, checklist_id: int, actor: Actor, value: date | None) -> list[str]:
        """Validate against QBO's close date, record it, and re-run the checks that depend on it; returns the
        checks it re-opened (those the registry marks as depending on the enable date, but that one itself)."""
        self.require_owner(checklist_id, actor, "set the enable date")
        self.validate_enable_date(checklist_id, value, await self._book_close_date(checklist_id))
        with self.sessions.begin() as s:
            row = self._row(s, checklist_id)
            before = (row.enable_date, row.enable_date_decided)
            checklists.update_checklist(s, checklist_id, enable_date=value, enable_date_decided=True)
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
                for entry in confirmations.standing_confirmations(s, checklist_id):
                    if entry.field == "finale_balance":
                        self._withdraw(s, checklist_id, actor, entry, "Withdrawn because the enable date changed")
        dependents = [spec.slug for spec in self.registry.all() if spec.depends_on_enable_date]
        await self.run_checks(checklist_id, actor, dependents)
        return [slug for slug in dependents if slug != "enable-date"]

    def set_revenue(self, checklist_id: int, actor: Actor, pushed: bool) -> None:
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "answer for the checklist")
            self._row(s, checklist_id)
            checklists.update_checklist(s, checklist_id, revenue_pushed=pushed)
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
        inputs.require_balance(amount)
        offset_account = inputs.offset_account_name(offset_account)
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
                    offset_account,
                    f"Offset account for the opening entry: {offset_account}",
                )
