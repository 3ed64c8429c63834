"""The conversation: one intent in, one Reply out. Knows nothing about Slack, Teams or the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from bot.cards import Card, FileAttachment, Reply
from bot.checklist.errors import ChecklistError, InputError, NotFoundError, NotOwnerError
from bot.checklist.service import ChecklistService
from bot.checklist.views import Actor, ChecklistStatus, ChecklistView, ScopeKey
from bot.conversation import forms
from bot.conversation import messages as m
from bot.conversation.intents import CommandError, Intent, parse_command
from bot.reminders import messages as reminder_messages
from bot.reminders.snooze import snooze_reminders
from checks.registry import UnknownCheckError
from checks.sources.errors import SourceError

log = logging.getLogger(__name__)

# Intents that contact QBO or Finale: surfaces acknowledge at once and show "checking…" first.
SLOW_INTENTS = frozenset(
    {
        "start",
        "check",
        "recheck",
        "confirm",
        "acknowledge",
        "revenue",
        "submit_enable_date",
        "submit_backup",
        "submit_finale_balance",
        "submit_finale_credentials",
        "submit_not_applicable",
        "enable-date",
        "backup",
        "balance",
    }
)


# What the "checking…" placeholder names for intents whose argument is not a check slug.
PROGRESS_SLUGS = {
    "enable-date": "enable-date",
    "submit_enable_date": "enable-date",
    "revenue": "revenue-invoices",
    "backup": "backup",
    "submit_backup": "backup",
    "balance": "opening-balance",
    "submit_finale_balance": "opening-balance",
}


class Conversation:
    def __init__(self, service: ChecklistService) -> None:
        self.service = service

    def is_slow(self, intent: Intent) -> bool:
        if intent.name in ("enable-date", "backup", "balance"):
            return bool(intent.arg)  # with no argument they only open a form
        return intent.name in SLOW_INTENTS

    def progress(self, intent: Intent) -> Card:
        """The "checking…" placeholder, naming what is being checked for this intent."""
        specs = self.service.registry.all()
        slug = PROGRESS_SLUGS.get(intent.name)
        if slug is None and intent.name in ("check", "recheck", "confirm", "acknowledge", "submit_not_applicable"):
            slug = intent.arg.partition("|")[0] if intent.arg and intent.arg != "all" else None
        if slug is not None:
            with contextlib.suppress(UnknownCheckError):
                specs = [self.service.registry.get(slug)]
        return m.checking_card(specs)

    def from_text(self, text: str, actor: Actor, scope: ScopeKey) -> Intent:
        try:
            parsed = parse_command(text)
        except CommandError as exc:
            return Intent("unknown", actor, scope, arg=str(exc))
        # Typed confirmations still go through the dialog that states exactly what is confirmed.
        name = {"confirm": "ask_confirm", "acknowledge": "ask_acknowledge"}.get(parsed.name, parsed.name)
        return Intent(name, actor, scope, arg=parsed.arg)

    async def handle(self, intent: Intent) -> Reply:
        unstorable = forms.unstorable_text(intent.arg, intent.values)
        if unstorable is not None:
            field, problem = unstorable
            if intent.name.startswith("submit_") and field:
                return Reply(form_errors={field: problem})
            return Reply([m.error(problem)])
        try:
            return await self._dispatch(intent)
        except NotOwnerError as exc:
            return Reply([m.error(exc.message)])
        except InputError as exc:
            if intent.name.startswith("submit_") and exc.field:
                return Reply(form_errors={exc.field: exc.message})
            return Reply([m.error(exc.message)])
        except UnknownCheckError as exc:
            return Reply([m.error(str(exc))])
        except NotFoundError as exc:
            return Reply([m.notice(exc.message)])
        except SourceError as exc:
            # QBO or Finale could not be reached outside a check (e.g. while connecting): say so plainly.
            # Source messages never carry a token, key or secret.
            log.warning("source failed for %s: %s", intent.name, exc.detail or exc.message)
            return Reply([m.error(str(exc))])

    async def check_form(self, intent: Intent) -> dict[str, str]:
        """What is wrong with a submitted form, found without calling QuickBooks or Finale; {} when nothing.
        A surface that can (a Slack modal) shows it under the fields and keeps the form open."""
        return await asyncio.to_thread(self._check_form, intent)

    def _check_form(self, intent: Intent) -> dict[str, str]:
        form_id = intent.name.removeprefix("submit_")
        view = self.service.find(intent.scope)
        if view is None:
            return {}  # the turn itself says there is no checklist here
        first, what = forms.OWNERS_ONLY.get(form_id, ("", "do that"))
        unstorable = forms.unstorable_text("", intent.values)
        if unstorable is not None:
            return {unstorable[0] or first or "form": unstorable[1]}
        try:
            self.service.require_owner(view.id, intent.actor, what)
            values = intent.values
            if form_id == "enable_date":
                chosen = forms.read_enable_date(values)
                # The close date as last read: the service reads it again, live, before recording.
                self.service.validate_enable_date(view.id, chosen, self.service.book_close_date(view.id))
            elif form_id == "backup":
                forms.read_backup(values, self.service.today(view.id))
            elif form_id == "finale_balance":
                forms.read_finale_balance(values, view)
            elif form_id == "finale_credentials":
                return forms.finale_credentials_problems(values)
            elif form_id == "not_applicable":
                forms.read_reason(values)
            elif form_id == "add_owner" and "owner" not in intent.people:
                raise InputError("Pick the person to add.", field="owner")
        except ChecklistError as exc:
            return {getattr(exc, "field", None) or first or "form": exc.message}
        return {}

    # ------------------------------------------------------------ dispatch

    async def _dispatch(self, intent: Intent) -> Reply:
        name = intent.name
        if name == "unknown":
            return Reply([m.help_card(unknown=intent.arg)])
        if name == "help":
            return Reply([m.help_card()])
        if name == "start":
            return await self._start(intent)

        view = await asyncio.to_thread(self.service.find, intent.scope)
        if view is None:
            raise NotFoundError("This channel has no Preflight checklist yet. Type `start` to create one.")

        handler = getattr(self, "_" + name.replace("-", "_"), None)
        if handler is None:
            return Reply([m.help_card(unknown=name)])
        reply: Reply = await handler(intent, view)
        return reply

    async def _start(self, intent: Intent) -> Reply:
        view, created = await asyncio.to_thread(self.service.start, intent.scope, intent.actor, intent.arg or None)
        if created:
            await self.on_created(view, intent.actor)
        status = await self.service.run_checks(view.id, intent.actor) if created else await self._load_status(view.id)
        cards = [m.intro_card(status.checklist, created, len(status.specs)), m.checklist_card(status)]
        cards += self._next_cards(status)
        return Reply(cards)

    async def on_created(self, view: ChecklistView, actor: Actor) -> None:
        """Called once when a checklist is created, before its first check (the demo connects the sandbox)."""

    async def _status(self, intent: Intent, view: ChecklistView) -> Reply:
        return Reply([m.checklist_card(await self._load_status(view.id))])

    async def _check(self, intent: Intent, view: ChecklistView) -> Reply:
        slugs = [intent.arg] if intent.arg and intent.arg != "all" else None
        if slugs:
            self.service.registry.get(slugs[0])  # an unknown slug is reported before any call
        status = await self.service.run_checks(view.id, intent.actor, slugs)
        if slugs:
            spec = self.service.registry.get(slugs[0])
            cards = [replace_card(self._step_card(status, spec.slug))]
            result = status.results.get(spec.slug)
            if result is not None and result.cleared:
                cards += self._next_cards(status)  # cleared: move on to the next open step
            return Reply(cards)
        cards = [replace_card(m.checklist_card(status)), *self._next_cards(status)]
        return Reply(cards)

    async def _recheck(self, intent: Intent, view: ChecklistView) -> Reply:
        return await self._check(intent, view)

    async def _next(self, intent: Intent, view: ChecklistView) -> Reply:
        status = await self._load_status(view.id)
        return Reply(self._next_cards(status) or [m.ready_card(status)])

    async def _step(self, intent: Intent, view: ChecklistView) -> Reply:
        status = await self._load_status(view.id)
        return Reply([self._step_card(status, self.service.registry.get(intent.arg).slug)])

    async def _explain(self, intent: Intent, view: ChecklistView) -> Reply:
        if not intent.arg:
            raise InputError("Name a step to explain, e.g. `explain negative-qoh`. `status` lists them.")
        spec = self.service.registry.get(intent.arg)
        status = await self._load_status(view.id)
        position = [s.slug for s in status.specs].index(spec.slug) + 1
        return Reply([m.explain_card(spec, status.results.get(spec.slug), position, len(status.specs))])

    async def _report(self, intent: Intent, view: ChecklistView) -> Reply:
        return Reply([m.report_card(await self._load_status(view.id))])

    async def _journal(self, intent: Intent, view: ChecklistView) -> Reply:
        draft = self.service.journal_entry(view.id)
        if draft is None:
            return Reply(
                [
                    m.notice(
                        "There is no journal entry to draft: the opening balances match, or not "
                        "everything needed is known yet. `explain opening-balance` says what is missing."
                    )
                ]
            )
        return Reply([m.notice(draft, private=False)])

    async def _export(self, intent: Intent, view: ChecklistView) -> Reply:
        what = (intent.arg or "deactivation").lower()
        if what != "deactivation":
            raise InputError("Only the deactivation list can be exported: `export deactivation`.")
        content = self.service.deactivation_csv(view.id)
        if content is None:
            return Reply([m.notice("There are no items to deactivate in the last check. Run `check deactivation`.")])
        attachment = FileAttachment("preflight-items-to-deactivate.csv", content, title="Items to deactivate")
        card = Card(
            blocks=(m.Text("The QuickBooks items to deactivate, as CSV."),),
            fallback="Items to deactivate",
            attachments=(attachment,),
        )
        return Reply([card])

    async def _owners(self, intent: Intent, view: ChecklistView) -> Reply:
        words = intent.arg.split(maxsplit=1)
        if words and words[0].lower() == "add":
            person = intent.people.get("owner")
            if person is not None:
                return await self._added_owner(intent, view, person)
            if len(words) < 2:
                raise InputError("Say who to add, e.g. `owners add @dana`.")
            # "@dana" typed as text names nobody in particular: the surface's picker gives the exact person.
            self.service.require_owner(view.id, intent.actor, "add owners")
            return Reply([m.owners_card(m.PICK_A_PERSON)])
        names = ", ".join(o.name for o in view.owners)
        return Reply(
            [m.owners_card(f"Owners of this checklist: {names}. Owners can confirm, acknowledge and change answers.")]
        )

    async def _add_owner(self, intent: Intent, view: ChecklistView) -> Reply:
        self.service.require_owner(view.id, intent.actor, "add owners")
        return Reply(form=forms.add_owner_form())

    async def _submit_add_owner(self, intent: Intent, view: ChecklistView) -> Reply:
        person = intent.people.get("owner")
        if person is None:
            raise InputError("Pick the person to add.", field="owner")
        return await self._added_owner(intent, view, person)

    async def _added_owner(self, intent: Intent, view: ChecklistView, person: Actor) -> Reply:
        await asyncio.to_thread(self.service.add_owner, view.id, intent.actor, person)
        return Reply([m.notice(f"{person.name} is now an owner of this checklist.", private=False)])

    async def _open_form(self, intent: Intent, view: ChecklistView) -> Reply:
        form_id, _, slug = intent.arg.partition(":")
        if form_id == "enable_date":
            return Reply(form=forms.enable_date_form(view, self.service.book_close_date(view.id)))
        if form_id == "backup":
            return Reply(form=forms.backup_form(self.service.today(view.id)))
        if form_id == "finale_balance":
            d1 = view.enable_date - timedelta(days=1) if view.enable_date else None
            return Reply(form=forms.finale_balance_form(d1))
        if form_id == "finale_credentials":
            return Reply(form=forms.finale_credentials_form(view.finale_account))
        if form_id == "add_owner":
            return await self._add_owner(intent, view)
        if form_id == "not_applicable":
            spec = self.service.registry.get(slug)
            if not spec.allow_not_applicable:
                raise InputError(f"“{spec.title}” cannot be marked not applicable: it must hold for every company.")
            return Reply(form=forms.not_applicable_form(spec))
        raise InputError(f"Unknown form {form_id!r}.")

    async def _ask_confirm(self, intent: Intent, view: ChecklistView) -> Reply:
        return await self._ask(intent, view, "confirm")

    async def _ask_acknowledge(self, intent: Intent, view: ChecklistView) -> Reply:
        return await self._ask(intent, view, "acknowledge")

    async def _ask(self, intent: Intent, view: ChecklistView, action: str) -> Reply:
        if not intent.arg:
            raise InputError(f"Name the step, e.g. `{action} admin-access`. `status` lists them.")
        spec = self.service.registry.get(intent.arg)
        status = await self._load_status(view.id)
        result = status.results.get(spec.slug)
        buttons = [b for b in m.step_buttons(view, spec, result) if b.action == action]
        if not buttons:
            raise InputError(f"“{spec.title}” is not waiting for anyone to {action} it right now.")
        dialog = buttons[0].confirm
        text = dialog.text if dialog else spec.title
        card = Card(blocks=(m.Text(text), m.Actions((buttons[0],))), fallback=text, private=True)
        return Reply([card])

    # ------------------------------------------------------------ answers (owners only)

    async def _confirm(self, intent: Intent, view: ChecklistView) -> Reply:
        spec = self.service.registry.get(intent.arg)
        before = (await self._load_status(view.id)).results.get(spec.slug)
        shown = m.confirmation_text(spec.slug, view, before)
        await asyncio.to_thread(self.service.confirm, view.id, intent.actor, spec.slug, shown)
        return await self._after_answer(view, intent.actor, spec.slug, f"{intent.actor.name} confirmed: {shown}")

    async def _acknowledge(self, intent: Intent, view: ChecklistView) -> Reply:
        slug, _, ack_key = intent.arg.partition("|")
        spec = self.service.registry.get(slug)
        before = (await self._load_status(view.id)).results.get(spec.slug)
        if before is None:
            raise InputError(f"Run `check {spec.slug}` first, so there is something to acknowledge.")
        if not ack_key:
            # Only the dialog that states the figures records an acknowledgement: show it first.
            return await self._ask(replace(intent, arg=spec.slug), view, "acknowledge")
        shown = m.acknowledgement_text(spec.slug, view, before)
        await asyncio.to_thread(self.service.acknowledge, view.id, intent.actor, spec.slug, ack_key, shown)
        return await self._after_answer(view, intent.actor, spec.slug, f"{intent.actor.name} acknowledged: {shown}")

    async def _revenue(self, intent: Intent, view: ChecklistView) -> Reply:
        answer = intent.arg.strip().lower()
        if answer not in ("yes", "no", "y", "n"):
            raise InputError("Answer `revenue yes` if Finale will push sales revenue, or `revenue no`.")
        pushed = answer.startswith("y")
        await asyncio.to_thread(self.service.set_revenue, view.id, intent.actor, pushed)
        said = "will push sales revenue" if pushed else "will not push sales revenue"
        return await self._after_answer(view, intent.actor, "revenue-invoices", f"{intent.actor.name}: Finale {said}.")

    async def _enable_date(self, intent: Intent, view: ChecklistView) -> Reply:
        if not intent.arg:
            return Reply(form=forms.enable_date_form(view, self.service.book_close_date(view.id)))
        raw = intent.arg.strip()
        value = None if raw.lower() in ("blank", "none", "empty") else forms.parse_date(raw, "enable_date")
        return await self._set_enable_date(intent, view, value)

    async def _submit_enable_date(self, intent: Intent, view: ChecklistView) -> Reply:
        return await self._set_enable_date(intent, view, forms.read_enable_date(intent.values))

    async def _set_enable_date(self, intent: Intent, view: ChecklistView, value: date | None) -> Reply:
        reopened = await self.service.set_enable_date(view.id, intent.actor, value)
        lead = f"{intent.actor.name} set the enable date to {m.day(value)}."
        if reopened:
            current = await self._load_status(view.id)
            titles = ", ".join(m.title_of(current, s) for s in reopened)
            lead += f" Re-checked what depends on it: {titles}."
        return await self._after_answer(view, intent.actor, "enable-date", lead, rerun=False)

    async def _backup(self, intent: Intent, view: ChecklistView) -> Reply:
        if not intent.arg:
            return Reply(form=forms.backup_form(self.service.today(view.id)))
        raw_date, _, reference = intent.arg.partition(" ")
        return await self._record_backup(
            intent, view, forms.parse_date(raw_date, "backup_date"), reference.strip() or None
        )

    async def _submit_backup(self, intent: Intent, view: ChecklistView) -> Reply:
        made, reference = forms.read_backup(intent.values, self.service.today(view.id))
        return await self._record_backup(intent, view, made, reference)

    async def _record_backup(self, intent: Intent, view: ChecklistView, when: date, ref: str | None) -> Reply:
        await asyncio.to_thread(self.service.record_backup, view.id, intent.actor, when, ref)
        note = f"{intent.actor.name} confirmed a complete QuickBooks backup made on {m.day(when)}"
        note += f" (reference {ref})." if ref else "."
        return await self._after_answer(view, intent.actor, "backup", note)

    async def _balance(self, intent: Intent, view: ChecklistView) -> Reply:
        if not intent.arg:
            d1 = view.enable_date - timedelta(days=1) if view.enable_date else None
            return Reply(form=forms.finale_balance_form(d1))
        raw, _, offset = intent.arg.partition(" ")
        return await self._record_balance(intent, view, forms.parse_amount(raw, "amount"), offset.strip() or None)

    async def _submit_finale_balance(self, intent: Intent, view: ChecklistView) -> Reply:
        amount, offset = forms.read_finale_balance(intent.values, view)
        return await self._record_balance(intent, view, amount, offset)

    async def _record_balance(self, intent: Intent, view: ChecklistView, amount: Decimal, offset: str | None) -> Reply:
        await asyncio.to_thread(self.service.set_finale_balance, view.id, intent.actor, amount, offset)
        note = f"{intent.actor.name} entered Finale's inventory balance: {m.money(amount)}."
        return await self._after_answer(view, intent.actor, "opening-balance", note)

    async def _submit_not_applicable(self, intent: Intent, view: ChecklistView) -> Reply:
        spec = self.service.registry.get(intent.arg)
        reason = forms.read_reason(intent.values)
        await asyncio.to_thread(self.service.mark_not_applicable, view.id, intent.actor, spec.slug, reason)
        note = f"{intent.actor.name} marked “{spec.title}” not applicable: {reason}"
        return await self._after_answer(view, intent.actor, spec.slug, note)

    async def _connect(self, intent: Intent, view: ChecklistView) -> Reply:
        what = intent.arg.strip().lower()
        if what in ("qbo", "quickbooks"):
            url = self.service.qbo_connect_url(view.id, intent.actor, dict(intent.origin))
            card = Card(
                blocks=(
                    m.Text(
                        "Sign in to QuickBooks Online as a **Primary or Company admin** and authorise Preflight. "
                        "The link works once, for you, for 10 minutes."
                    ),
                    m.Actions((m.Button("Connect QuickBooks", "connect_link", url=url, style=m.Style.PRIMARY),)),
                ),
                fallback="Connect QuickBooks Online",
                private=True,
            )
            return Reply([card])
        if what == "finale":
            self.service.require_owner(view.id, intent.actor)
            return Reply(form=forms.finale_credentials_form(view.finale_account))
        raise InputError("Say what to connect: `connect qbo` or `connect finale`.")

    async def _submit_finale_credentials(self, intent: Intent, view: ChecklistView) -> Reply:
        given = forms.read_finale_credentials(intent.values)
        account = given.account
        await self.service.connect_finale(
            view.id, intent.actor, account=account, api_key=given.api_key, api_secret=given.api_secret
        )
        return await self._after_answer(
            view,
            intent.actor,
            None,
            f"{intent.actor.name} connected Finale account `{account}`.",
            rerun=False,
        )

    async def _remind(self, intent: Intent, view: ChecklistView) -> Reply:
        schedule = intent.arg.strip()
        if not schedule:
            current = view.reminder_schedule if view.reminders_enabled else None
            text = f"Reminders: {current} ({view.timezone})." if current else "Reminders are off."
            return Reply(
                [m.notice(text + " Set them with `remind weekdays 09:00` or turn them off with `remind off`.")]
            )
        wanted = None if schedule.lower() == "off" else schedule
        result = await asyncio.to_thread(self.service.set_reminders, view.id, intent.actor, wanted)
        return Reply([m.notice(result, private=False)])

    async def _snooze(self, intent: Intent, view: ChecklistView) -> Reply:
        """The reminder's "Snooze 1 day" button: anyone in the channel may snooze; the delivery rows keep who."""
        snoozed = snooze_reminders(self.service, view.id, intent.actor, intent.arg)
        text = reminder_messages.snoozed_text(snoozed.by, snoozed.skipped, snoozed.next_at, snoozed.timezone)
        return Reply([m.notice(text, private=False)])

    # ------------------------------------------------------------ helpers

    async def _after_answer(
        self, view: ChecklistView, actor: Actor, slug: str | None, note: str, *, rerun: bool = True
    ) -> Reply:
        """Record what happened in the channel, re-check the step, and move on to the next open one."""
        if rerun and slug is not None:
            status = await self.service.run_checks(view.id, actor, [slug])
        else:
            status = await self._load_status(view.id)
        cards = [m.notice(note, private=False)]
        result = status.results.get(slug) if slug else None
        if result is not None and not result.cleared:
            cards.append(self._step_card(status, slug or ""))
        else:
            cards += self._next_cards(status)
        return Reply(cards)

    async def _load_status(self, checklist_id: int) -> ChecklistStatus:
        """The checklist's status, read in a worker thread: the event loop stays free to answer Slack."""
        return await asyncio.to_thread(self.service.status, checklist_id)

    def _next_cards(self, status: ChecklistStatus) -> list[Card]:
        spec = status.next_step
        if spec is None:
            return [m.ready_card(status)]
        return [self._step_card(status, spec.slug)]

    def _step_card(self, status: ChecklistStatus, slug: str) -> Card:
        spec = self.service.registry.get(slug)
        attachments: tuple[FileAttachment, ...] = ()
        result = status.results.get(slug)
        if slug == "deactivation" and result is not None and len(result.findings) > m.MAX_TABLE_ROWS:
            content = self.service.deactivation_csv(status.checklist.id)
            if content:
                attachments = (FileAttachment("preflight-items-to-deactivate.csv", content),)
        return m.step_card(status, spec, attachments=attachments)


def replace_card(card: Card) -> Card:
    return replace(card, replace=True)
