"""Every form Preflight opens, and how its answers are read.

A form's fields are read here once for every surface: a Slack modal checks them before it closes, Teams and
the console after submitting, and the conversation again before anything is recorded. Reading never calls
QuickBooks or Finale, so a surface can show its errors inline within Slack's 3 seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from bot.cards import ChoiceField, DateField, Form, PersonField, TextField
from bot.checklist import inputs
from bot.checklist.errors import InputError
from bot.checklist.views import ChecklistView
from bot.conversation.messages import day
from checks.registry import CheckSpec

Values = Mapping[str, str | None]
FINALE_ACCOUNT = re.compile(r"[A-Za-z0-9._-]+")
# What each form lets an owner do, for the refusal a non-owner sees under the form's first field.
OWNERS_ONLY = {
    "enable_date": ("enable_date", "set the enable date"),
    "backup": ("backup_date", "confirm the backup"),
    "finale_balance": ("amount", "enter balances"),
    "finale_credentials": ("account", "connect Finale"),
    "not_applicable": ("reason", "mark steps not applicable"),
    "add_owner": ("owner", "add owners"),
}


def enable_date_form(view: ChecklistView, close_date: date | None) -> Form:
    intro = (
        "The enable date is the first day Finale pushes transactions into QuickBooks. It is usually the first "
        "of a month. Leave it empty only if Finale should push its whole history."
    )
    if close_date:
        intro += f" Your books are closed through {day(close_date)}, so it must be after that."
    return Form(
        form_id="enable_date",
        title="Enable date",
        fields=(
            DateField("enable_date", "Enable date", initial=view.enable_date, optional=True),
            ChoiceField(
                "blank",
                "Or",
                (("no", "Use the date above"), ("yes", "Leave it blank: push the whole history")),
                initial="no",
            ),
        ),
        submit_action="submit_enable_date",
        intro=intro,
    )


def backup_form(today: date) -> Form:
    return Form(
        form_id="backup",
        title="QuickBooks backup",
        fields=(
            DateField("backup_date", "Date of the backup", initial=today),
            TextField(
                "reference",
                "Reference (optional)",
                optional=True,
                placeholder="e.g. Rewind snapshot id or the export file name",
            ),
        ),
        submit_action="submit_backup",
        intro="Confirm that a complete backup of the QuickBooks Online company was made.",
        submit_label="Confirm backup",
    )


def finale_balance_form(d1: date | None) -> Form:
    when = day(d1) if d1 else "the day before the enable date"
    return Form(
        form_id="finale_balance",
        title="Finale inventory balance",
        fields=(
            TextField("amount", f"Inventory asset balance in Finale on {when}", placeholder="e.g. 48,210.37"),
            TextField(
                "offset_account",
                "Offset account for the journal entry",
                optional=True,
                placeholder="e.g. Opening Balance Equity",
            ),
        ),
        submit_action="submit_finale_balance",
        intro="Read it from Finale's general ledger (account 101, Inventory) for that date.",
    )


def finale_credentials_form(current_account: str | None) -> Form:
    return Form(
        form_id="finale_credentials",
        title="Connect Finale",
        fields=(
            TextField(
                "account",
                "Account path",
                initial=current_account or "",
                placeholder="the part after app.finaleinventory.com/ in your Finale address",
            ),
            TextField("api_key", "API key", secret=True),
            TextField("api_secret", "API secret", secret=True),
        ),
        submit_action="submit_finale_credentials",
        intro=(
            "Create an API key in Finale: gear icon > Application settings > Users > API keys > Add API key. "
            "Preflight only reads; the key is stored encrypted and never shown again."
        ),
        submit_label="Connect",
    )


def not_applicable_form(spec: CheckSpec) -> Form:
    return Form(
        form_id="not_applicable",
        title="Not applicable",
        fields=(TextField("reason", "Why does this not apply?", multiline=True),),
        submit_action="submit_not_applicable",
        intro=f"Mark “{spec.title}” as not applicable. The reason is kept in the report.",
        context=spec.slug,
        submit_label="Mark not applicable",
    )


def add_owner_form() -> Form:
    return Form(
        form_id="add_owner",
        title="Add an owner",
        fields=(PersonField("owner", "Who else may confirm and change answers?"),),
        submit_action="submit_add_owner",
        submit_label="Add",
    )


# ---------------------------------------------------------------- reading answers


def parse_date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(f"“{raw}” is not a date. Use the form YYYY-MM-DD, e.g. 2026-12-01.", field=field) from None


def parse_amount(raw: str, field: str) -> Decimal:
    inputs.require_text(raw, field)
    cleaned = raw.strip().replace(",", "").replace("$", "").replace(" ", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    # Digits only: Decimal alone would also take "NaN", "Infinity" and "1e3", which are no amounts.
    if not re.fullmatch(r"-?(?:\d+(?:\.\d*)?|\.\d+)", cleaned) or (negative and cleaned.startswith("-")):
        raise InputError(f"“{raw}” is not an amount. Type it like 48,210.37.", field=field)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InputError(f"“{raw}” is not an amount. Type it like 48,210.37.", field=field) from None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InputError(f"“{raw}” has more than two decimals; give the amount to the cent.", field=field)
    return -amount if negative else amount


def unstorable_text(arg: str, values: Values) -> tuple[str, str] | None:
    """The first typed text that cannot be stored (a NUL byte, a lone surrogate): (field or "", why)."""
    for name, raw in (("", arg), *values.items()):
        problem = inputs.text_problem(raw) if raw else None
        if problem is not None:
            return name, problem
    return None


def read_enable_date(values: Values) -> date | None:
    """The chosen date, or None for a deliberate blank (push the whole history)."""
    if (values.get("blank") or "no") == "yes":
        return None
    raw = values.get("enable_date")
    if not raw:
        raise InputError("Pick a date, or choose to leave it blank.", field="enable_date")
    return parse_date(raw, "enable_date")


def read_backup(values: Values, today: date) -> tuple[date, str | None]:
    raw = values.get("backup_date") or ""
    if not raw.strip():
        raise InputError("Give the date the backup was made.", field="backup_date")
    made = parse_date(raw, "backup_date")
    if made > today:
        raise InputError(
            f"{made.isoformat()} is in the future. Give the date the backup was actually made.", field="backup_date"
        )
    return made, (values.get("reference") or "").strip() or None


def read_finale_balance(values: Values, view: ChecklistView) -> tuple[Decimal, str | None]:
    raw = values.get("amount") or ""
    if not raw.strip():
        raise InputError("Type the balance, e.g. 48,210.37.", field="amount")
    amount = inputs.require_balance(parse_amount(raw, "amount"))
    offset = inputs.offset_account_name(values.get("offset_account"))
    if not view.enable_date_decided or view.enable_date is None:
        raise InputError("Pick the enable date first: the balance is Finale's on the day before it.", field="amount")
    return amount, offset


@dataclass(frozen=True)
class FinaleCredentials:
    account: str
    api_key: str
    api_secret: str


def finale_credentials_problems(values: Values) -> dict[str, str]:
    """Every field of the Finale form that is wrong, so a person fixes them all at once."""
    problems: dict[str, str] = {}
    for name, label in (("account", "the account path"), ("api_key", "the API key"), ("api_secret", "the API secret")):
        if not (values.get(name) or "").strip():
            problems[name] = f"Fill in {label}."
    account = (values.get("account") or "").strip().strip("/")
    if account and not FINALE_ACCOUNT.fullmatch(account):
        problems["account"] = (
            "The account path is the single word after app.finaleinventory.com/ in your Finale address."
        )
    return problems


def read_finale_credentials(values: Values) -> FinaleCredentials:
    for name, message in finale_credentials_problems(values).items():
        raise InputError(message, field=name)
    return FinaleCredentials(
        (values.get("account") or "").strip().strip("/"),
        (values.get("api_key") or "").strip(),
        (values.get("api_secret") or "").strip(),
    )


def read_reason(values: Values) -> str:
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise InputError("Say why this step does not apply; the reason goes in the report.", field="reason")
    return reason
