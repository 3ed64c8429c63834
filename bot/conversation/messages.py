"""Every card and form Preflight shows, in plain words that say what to do next.

Builders are pure: they take the checklist's status and return neutral Cards; surfaces render them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from bot.cards import (
    Actions,
    Block,
    Button,
    Card,
    ConfirmDialog,
    Context,
    Divider,
    Fields,
    FileAttachment,
    Header,
    StatusRow,
    Style,
    Table,
    Text,
)
from bot.checklist.views import ChecklistStatus, ChecklistView
from bot.conversation.intents import COMMANDS
from checks.answers import Confirmation
from checks.money import money as check_money
from checks.registry import CheckSpec
from checks.results import CheckResult, Pending, Status

MAX_TABLE_ROWS = 10
NOT_CHECKED = "not_checked"


def money(amount: Decimal, currency: str = "USD") -> str:
    # The checks' formatting: rounded half up to the cent (as an accountant does), never "-0.00".
    return check_money(amount, currency)


def day(d: date | None) -> str:
    # No "%-d": it is not portable (Windows' strftime rejects it).
    return f"{d:%a} {d.day} {d:%b %Y}" if d else "blank (the whole history)"


# ---------------------------------------------------------------- small cards


def notice(text: str, *, private: bool = True) -> Card:
    return Card(blocks=(Text(text),), fallback=text, private=private)


def error(text: str) -> Card:
    return notice(f"**Nothing was changed.** {text}")


UNEXPECTED = (
    "Something went wrong on Preflight's side and I could not finish that. Nothing new was confirmed. "
    "Try again in a moment; if it keeps happening, tell whoever runs Preflight (the details are in its log)."
)
FORM_AGAIN = "Open the form again"
ADD_OWNER = "Add an owner…"
PICK_A_PERSON = "I need to know exactly who to add: pick the person from the list."


def form_errors_card(form_id: str, context: str, errors: dict[str, str]) -> Card:
    """Errors found after a form closed (e.g. by QuickBooks itself): say what, and offer the form again."""
    lines = "\n".join(f"- {message}" for message in errors.values())
    value = f"{form_id}:{context}" if context else form_id
    return Card(
        blocks=(
            Text(f"**Nothing was changed.**\n{lines}"),
            Actions((Button(FORM_AGAIN, "open_form", value, Style.PRIMARY),)),
        ),
        fallback="Nothing was changed: " + "; ".join(errors.values()),
        private=True,
    )


def welcome_card() -> Card:
    """What Preflight says when it is added to a team or chat."""
    text = (
        "I check everything that must hold before Finale Inventory starts pushing into QuickBooks Online: admin "
        "access, inventory items, the enable date, average costs, stock, invoices, the opening balance and a "
        "backup. Once Finale pushes, there is no undo, so we clear every step first.\n"
        "- **start** creates this conversation's checklist (you become its first owner)\n"
        "- **help** lists every command"
    )
    return Card(
        blocks=(
            Header("Preflight for Finale → QuickBooks Online"),
            Text(text),
            Actions((Button("Start the checklist", "start", style=Style.PRIMARY), Button("Help", "help"))),
        ),
        fallback="Preflight is here. Type start to create this conversation's checklist.",
    )


def owners_card(text: str) -> Card:
    """Who the owners are (or why a person could not be added), with the button that adds one."""
    return Card(
        blocks=(Text(text), Actions((Button(ADD_OWNER, "add_owner"),))),
        fallback=text,
        private=True,
    )


def help_card(unknown: str | None = None) -> Card:
    lines = [f"- `{c.usage}`: {c.summary}" for c in COMMANDS]
    blocks: list[Block] = []
    if unknown:
        blocks.append(Text(f"I don't know the command `{unknown}`. Here is what I understand:"))
    else:
        blocks.append(Header("Preflight: get ready to connect Finale to QuickBooks Online"))
    blocks.append(Text("\n".join(lines)))
    blocks.append(
        Context("Anyone in the channel can view and re-run checks; only owners can confirm and change answers.")
    )
    return Card(blocks=tuple(blocks), fallback="Preflight commands", private=True)


def checking_card(specs: Iterable[CheckSpec]) -> Card:
    titles = [s.title for s in specs]
    what = "everything" if len(titles) > 3 else ", ".join(titles)
    return Card(
        blocks=(Context(f"Checking {what} in QuickBooks Online and Finale…"),),
        fallback=f"Checking {what}…",
    )


def intro_card(view: ChecklistView, created: bool, total: int) -> Card:
    if not created:
        text = (
            f"This channel already has a checklist for **{view.company_label}**. "
            "Here is where it stands; type `next` for the next open step."
        )
        return Card(blocks=(Text(text),), fallback=text)
    owners = ", ".join(o.name for o in view.owners)
    text = (
        f"Hi! I'm Preflight. Before Finale Inventory starts pushing transactions into QuickBooks Online "
        f"for **{view.company_label}**, {total} things must be true, because once it starts there is no undo "
        "and no bulk reversal. I'll check what I can in QuickBooks and Finale, ask owners to confirm what "
        "only a person can know, and keep track until every item is cleared."
    )
    return Card(
        blocks=(
            Header(f"Preflight checklist for {view.company_label}"),
            Text(text),
            Context(f"Owners: {owners}. Owners can add others with `owners add <user>`."),
        ),
        fallback=f"Preflight checklist started for {view.company_label}",
    )


# ---------------------------------------------------------------- the checklist


def checklist_card(status: ChecklistStatus) -> Card:
    view = status.checklist
    rows: list[Block] = [
        Header(f"Preflight checklist · {view.company_label}"),
        Context(
            f"{status.cleared_count} of {len(status.specs)} cleared · enable date: "
            f"{day(view.enable_date) if view.enable_date_decided else 'not chosen yet'}"
        ),
    ]
    for position, spec in enumerate(status.specs, start=1):
        result = status.results.get(spec.slug)
        rows.append(
            StatusRow(
                slug=spec.slug,
                title=spec.title,
                status=result.status.value if result else NOT_CHECKED,
                summary=result.summary if result else "Not checked yet.",
                cleared=bool(result and result.cleared),
                position=position,
            )
        )
    if status.changes:
        rows.append(Context(changes_text(status)))
    buttons = [Button("Check everything", "check", "all", Style.PRIMARY)]
    if status.next_step is not None:
        buttons.append(Button("Next step", "next"))
    rows.append(Actions(tuple(buttons)))
    fallback = f"Preflight: {status.cleared_count} of {len(status.specs)} cleared for {view.company_label}"
    return Card(blocks=tuple(rows), fallback=fallback)


def changes_text(status: ChecklistStatus) -> str:
    order = [s.slug for s in status.specs]
    changes = sorted(status.changes, key=lambda c: order.index(c.slug) if c.slug in order else len(order))
    cleared = [title_of(status, c.slug) for c in changes if c.after in ("pass", "not_applicable")]
    other = [
        f"{title_of(status, c.slug)} ({c.before} → {c.after})"
        for c in changes
        if c.after not in ("pass", "not_applicable")
    ]
    parts = []
    if cleared:
        parts.append("now passing: " + ", ".join(cleared))
    if other:
        parts.append("changed: " + ", ".join(other))
    return "Since the previous check, " + "; ".join(parts) + "."


def title_of(status: ChecklistStatus, slug: str) -> str:
    return next((s.title for s in status.specs if s.slug == slug), slug)


def findings_table(result: CheckResult, limit: int = MAX_TABLE_ROWS) -> Table | None:
    findings = result.findings
    if not findings:
        return None
    has_qty = any(f.quantity is not None for f in findings)
    has_amount = any(f.amount is not None for f in findings)
    has_detail = any(f.detail for f in findings)
    columns = ["Name", "ID"] + (["Detail"] if has_detail else []) + (["Qty"] if has_qty else [])
    columns += ["Amount"] if has_amount else []
    rows = []
    for f in findings[:limit]:
        row = [f.name, f.id]
        if has_detail:
            row.append(f.detail)
        if has_qty:
            row.append("" if f.quantity is None else f"{f.quantity:,}")
        if has_amount:
            row.append("" if f.amount is None else f"{f.amount:,.2f}")
        rows.append(tuple(row))
    return Table(columns=tuple(columns), rows=tuple(rows), total_rows=len(findings))


def step_card(
    status: ChecklistStatus,
    spec: CheckSpec,
    *,
    attachments: tuple[FileAttachment, ...] = (),
    lead: str | None = None,
) -> Card:
    view = status.checklist
    result = status.results.get(spec.slug)
    position = [s.slug for s in status.specs].index(spec.slug) + 1
    blocks: list[Block] = []
    if lead:
        blocks.append(Text(lead))
    blocks += [Header(f"Step {position} of {len(status.specs)}: {spec.title}"), Text(spec.why)]
    if result is None:
        blocks.append(
            StatusRow(spec.slug, spec.title, NOT_CHECKED, "Not checked yet.", cleared=False, position=position)
        )
    else:
        blocks.append(StatusRow(spec.slug, spec.title, result.status.value, result.summary, result.cleared, position))
        table = findings_table(result)
        if table is not None:
            blocks.append(table)
        if result.hint and not result.cleared:
            blocks.append(Text(f"**What to do:** {result.hint}"))
        checked = status.checked_at.get(spec.slug)
        if checked:
            blocks.append(Context(f"Checked {checked:%Y-%m-%d %H:%M %Z}".strip()))
    blocks.append(Actions(tuple(step_buttons(view, spec, result))))
    fallback = f"Step {position}: {spec.title}" + (f": {result.summary}" if result else "")
    return Card(blocks=tuple(blocks), fallback=fallback, attachments=attachments)


def step_buttons(view: ChecklistView, spec: CheckSpec, result: CheckResult | None) -> list[Button]:
    buttons: list[Button] = []
    pending = result.pending if result and not result.cleared else None
    if pending is Pending.CONFIRM:
        text = confirmation_text(spec.slug, view, result)
        buttons.append(
            Button(
                confirm_label(spec.slug),
                "confirm",
                spec.slug,
                Style.PRIMARY,
                ConfirmDialog(title="Please confirm", text=text, confirm="Yes, I confirm", deny="Not yet"),
            )
        )
    elif (
        result is not None
        and not result.cleared
        and (pending is Pending.ACKNOWLEDGE or (result.status is Status.WARN and result.ack_key is not None))
    ):
        buttons.append(
            Button(
                "I understand",
                "acknowledge",
                f"{spec.slug}|{result.ack_key or ''}",
                Style.DANGER,
                ConfirmDialog(
                    title="Acknowledge the warning",
                    text=acknowledgement_text(spec.slug, view, result),
                    confirm="I understand",
                    deny="Cancel",
                ),
            )
        )
    elif pending is Pending.ENABLE_DATE:
        buttons.append(Button("Pick the enable date", "open_form", "enable_date", Style.PRIMARY))
    elif pending is Pending.REVENUE_ANSWER:
        buttons.append(Button("Yes, Finale will push revenue", "revenue", "yes", Style.PRIMARY))
        buttons.append(Button("No, revenue stays out", "revenue", "no"))
    elif pending is Pending.BACKUP:
        buttons.append(Button("Record the backup", "open_form", "backup", Style.PRIMARY))
    elif pending is Pending.FINALE_BALANCE:
        buttons.append(Button("Enter Finale's balance", "open_form", "finale_balance", Style.PRIMARY))
    elif pending is Pending.CONNECT_QBO or (spec.slug == "admin-access" and not view.qbo_connected):
        buttons.append(Button("Connect QuickBooks", "connect", "qbo", Style.PRIMARY))
    elif pending is Pending.CONNECT_FINALE:
        buttons.append(Button("Connect Finale", "connect", "finale", Style.PRIMARY))
    if result is not None and result.status is Status.ERROR and not view.finale_connected:
        buttons.append(Button("Connect Finale", "connect", "finale"))
    if spec.slug == "deactivation" and result is not None and result.findings:
        buttons.append(Button("Download CSV", "export", "deactivation"))
    if spec.slug == "opening-balance" and result is not None and result.status is Status.FAIL:
        buttons.append(Button("Show the journal entry", "journal"))
    if spec.slug == "enable-date" and view.enable_date_decided:
        buttons.append(Button("Change the enable date", "open_form", "enable_date"))
    buttons.append(Button("Re-check", "recheck", spec.slug))
    if spec.allow_not_applicable and not (result and result.status is Status.NOT_APPLICABLE):
        buttons.append(Button("Not applicable…", "open_form", f"not_applicable:{spec.slug}"))
    buttons.append(Button("Next step", "next"))
    return buttons


def confirm_label(slug: str) -> str:
    return {
        "admin-access": "I'm a QuickBooks admin",
        "other-apps": "No other app pushes products",
    }.get(slug, "Confirm")


def confirmation_text(slug: str, view: ChecklistView, result: CheckResult | None) -> str:
    """The words an owner confirms: the check's own (`result.ask`); generic only for a result without them."""
    if result is not None and result.ask:
        return result.ask
    return f"I confirm: {result.summary if result else slug}"


def acknowledgement_text(slug: str, view: ChecklistView, result: CheckResult) -> str:
    """The words an owner acknowledges: the check's own (`result.ask`); generic only for a result without them."""
    return result.ask or f"I understand: {result.summary}"


def explain_card(spec: CheckSpec, result: CheckResult | None, position: int, total: int) -> Card:
    blocks: list[Block] = [
        Header(f"Step {position} of {total}: {spec.title}"),
        Text(spec.why),
        Fields((("Slug", f"`{spec.slug}`"), ("How it is checked", spec.kind.value))),
    ]
    if result is not None:
        blocks.append(Text(f"**Now:** {result.summary}"))
        if result.hint:
            blocks.append(Text(f"**What clears it:** {result.hint}"))
    return Card(blocks=tuple(blocks), fallback=f"About {spec.title}", private=True)


# ---------------------------------------------------------------- report and ready


def report_card(status: ChecklistStatus) -> Card:
    view = status.checklist
    blocks: list[Block] = [
        Header(f"Preflight report · {view.company_label}"),
        Fields(
            (
                ("Enable date", day(view.enable_date) if view.enable_date_decided else "not chosen"),
                ("Push revenue", {True: "yes", False: "no", None: "not answered"}[view.revenue_pushed]),
                ("QuickBooks", view.qbo_company or "not connected"),
                ("Finale", view.finale_account or "not connected"),
                ("Cleared", f"{status.cleared_count} of {len(status.specs)}"),
            )
        ),
        Divider(),
    ]
    for spec in status.specs:
        result = status.results.get(spec.slug)
        blocks.append(
            StatusRow(
                spec.slug,
                spec.title,
                result.status.value if result else NOT_CHECKED,
                result.summary if result else "Not checked yet.",
                bool(result and result.cleared),
            )
        )
    if status.confirmations:
        rows = tuple(
            (
                title_of(status, c.slug),
                c.kind.replace("_", " "),
                c.value,
                c.user_name,
                f"{c.recorded_at:%Y-%m-%d %H:%M}",
            )
            for c in status.confirmations
        )
        blocks.append(Table(("Step", "What", "Value", "Who", "When (UTC)"), rows, len(rows), caption="Confirmations"))
    else:
        blocks.append(Context("Nothing has been confirmed yet."))
    return Card(blocks=tuple(blocks), fallback=f"Preflight report for {view.company_label}")


AMOUNT_LABELS = {
    "qbo_balance": "QBO inventory balance on D-1",
    "finale_balance": "Finale inventory value on D-1",
    "difference": "Difference",
    "to_reverse": "Put back by reversing entries (write-offs on or after the enable date)",
}


def confirmation_line(status: ChecklistStatus, c: Confirmation) -> str:
    title = title_of(status, c.slug)
    what = {
        "confirm": "confirmed" if c.value == "confirmed" else f"confirmed {c.value}",
        "acknowledge": f"acknowledged ({c.value})",
        "not_applicable": f"not applicable: {c.value}",
        "enable_date": f"enable date {c.value or 'blank'}",
        "revenue_pushed": f"push revenue: {c.value}",
        "finale_balance": f"Finale balance {c.value}",
        "offset_account": f"offset account {c.value}",
        "withdraw": f"withdrawn ({c.value})",
    }.get(c.kind, c.value)
    return f"- {title}: {what}, by {c.user_name} on {c.recorded_at:%Y-%m-%d %H:%M} UTC"


def ready_card(status: ChecklistStatus) -> Card:
    view = status.checklist
    d1 = view.enable_date - timedelta(days=1) if view.enable_date else None
    opening = status.results.get("opening-balance")
    facts: list[tuple[str, str]] = [("Enable date", day(view.enable_date))]
    if d1:
        facts.append(("Opening balance date (D-1)", day(d1)))
    deactivation = status.results.get("deactivation")
    acknowledged = [c for c in status.confirmations if c.slug == "deactivation" and c.kind == "acknowledge"]
    if deactivation is not None and "total_to_expense" in deactivation.amounts:
        facts.append(("Moved to expense by deactivation", money(deactivation.amounts["total_to_expense"])))
    elif acknowledged:
        with contextlib.suppress(ArithmeticError):
            facts.append(("Moved to expense by deactivation", money(Decimal(acknowledged[-1].value))))
    others = status.results.get("inventory-items")
    if others is not None and "written_off" in others.amounts:
        facts.append(
            ("Moved to expense by making other inventory items inactive", money(others.amounts["written_off"]))
        )
    if opening:
        for name, amount in opening.amounts.items():
            facts.append((AMOUNT_LABELS.get(name, name.replace("_", " ").capitalize()), money(amount)))
    put_back = [f for f in (opening.findings if opening else ()) if f.kind == "journal_entry"]
    who = [confirmation_line(status, c) for c in status.confirmations]
    last_steps = (
        "**Last steps in Finale:** Application settings > Accounting > QuickBooks Online: set the Enable date to "
        f"{day(view.enable_date)}, check the Sync Period, then enable the integration. Keep the backup until the "
        "first sync has been reviewed."
    )
    intro = "Every precondition is cleared."
    if view.reminder_schedule and not view.reminders_enabled:
        intro += " Reminders for this checklist have stopped."
    blocks: list[Block] = [Header(f"Ready to enable: {view.company_label}"), Text(intro), Fields(tuple(facts))]
    if put_back:
        blocks.append(
            Text(
                "**Put back with journal entries (found in QuickBooks):**\n"
                + "\n".join(
                    f"{f.name}: debit {f.extra.get('debit_account', '')}, credit {f.extra.get('credit_account', '')}, "
                    f"{money(f.amount or Decimal(0))}"
                    for f in put_back
                )
            )
        )
    if who:
        blocks.append(Text("**Confirmed:**\n" + "\n".join(who)))
    blocks.append(Text(last_steps))
    return Card(blocks=tuple(blocks), fallback=f"{view.company_label} is ready to enable the Finale integration")
