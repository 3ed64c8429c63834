"""Cards and forms text: help, money and day formatting, step buttons, forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.cards import DateField, Header, Text
from bot.checklist.views import Actor, ChecklistView, ScopeKey
from bot.conversation import forms
from bot.conversation import messages as m
from bot.conversation.intents import COMMANDS
from checks.registry import registry
from checks.results import CheckResult, Pending, Status
from tests.bot.harness import card_text
from tests.checks import factories
from tests.checks.factories import account, company, item, product, run, snapshot


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("0"), "0.00 USD"),
        (Decimal("16354.36"), "16,354.36 USD"),
        (Decimal("-4659.69"), "-4,659.69 USD"),
        (Decimal("1234567.8"), "1,234,567.80 USD"),
        (Decimal("-0.001"), "0.00 USD"),  # never "-0.00"
        (Decimal("0.125"), "0.13 USD"),  # half up, as the checks round
        (Decimal("2.665"), "2.67 USD"),
    ],
)
def test_money(amount: Decimal, text: str) -> None:
    assert m.money(amount) == text


def test_money_in_another_currency() -> None:
    assert m.money(Decimal("-1200"), "CAD") == "-1,200.00 CAD"


def test_day() -> None:
    assert m.day(date(2026, 11, 1)) == "Sun 1 Nov 2026"
    assert m.day(date(2026, 10, 31)) == "Sat 31 Oct 2026"
    assert m.day(None) == "blank (the whole history)"


def test_help_lists_every_command_in_order() -> None:
    card = m.help_card()
    text = card_text(card)
    positions = [text.index(f"`{c.usage}`: {c.summary}") for c in COMMANDS]
    assert positions == sorted(positions)
    assert isinstance(card.blocks[0], Header) and card.private
    unknown = m.help_card(unknown="dance")
    assert isinstance(unknown.blocks[0], Text) and "I don't know the command `dance`" in unknown.blocks[0].text


def view(**kw: object) -> ChecklistView:
    values: dict[str, object] = dict(
        id=1,
        scope=ScopeKey("console", "T", "C"),
        company_label="Acme",
        enable_date=date(2026, 11, 1),
        enable_date_decided=True,
        revenue_pushed=True,
        owners=(Actor("U1", "Dana"),),
        timezone="UTC",
        qbo_connected=True,
        qbo_company="Acme Outdoor Goods",
        finale_connected=True,
        finale_account="acme",
        state="open",
    )
    values.update(kw)
    return ChecklistView(**values)  # type: ignore[arg-type]


def deactivation_result(enable_date: date | None) -> CheckResult:
    """The deactivation check's own result for 12 items worth 16,354.36 in all."""
    items = [item(str(i), f"SKU-{i}", qty="1", cost="1362.86") for i in range(11)]
    items.append(item("11", "SKU-11", qty="1", cost="1362.90"))
    snap = snapshot(
        company=company(),
        items=tuple(items),
        products=tuple(product(f"SKU-{i}") for i in range(12)),
        accounts=(account("81", "Inventory Asset"),),
        adjustments=(),
    )
    return run("deactivation", snap, factories.answers(enable_date=enable_date, enable_date_decided=True))


def test_acknowledge_button_carries_the_figures() -> None:
    spec = registry.get("deactivation")
    result = deactivation_result(date(2026, 11, 1))
    assert result.id == "deactivation.F001" and result.ack_key == "16354.36"
    buttons = m.step_buttons(view(), spec, result)
    ack = next(b for b in buttons if b.action == "acknowledge")
    assert ack.value == "deactivation|16354.36" and ack.confirm is not None
    # The dialog shows the check's own words: the total and both accounts by name, and what puts it back.
    assert ack.confirm.text == result.ask == m.acknowledgement_text("deactivation", view(), result)
    assert "credit Inventory Asset and debit Cost of Goods Sold by 16,354.36 USD in total" in ack.confirm.text
    assert "dated the day before the enable date (2026-10-31)" in ack.confirm.text
    blank = m.acknowledgement_text("deactivation", view(enable_date=None), deactivation_result(None))
    assert "beginning of time" in blank
    assert [b.action for b in buttons][-1] == "next"
    assert not any(b.action == "open_form" and b.value.startswith("not_applicable") for b in buttons)


def test_buttons_follow_what_is_pending() -> None:
    admin = registry.get("admin-access")
    not_connected = m.step_buttons(view(qbo_connected=False), admin, None)
    assert not_connected[0].action == "connect" and not_connected[0].value == "qbo"
    waiting = run("admin-access", snapshot(company=company(name="Acme Outdoor Goods")), factories.answers())
    assert waiting.id == "admin-access.N001"
    confirm = m.step_buttons(view(), admin, waiting)
    assert confirm[0].label == "I'm a QuickBooks admin" and confirm[0].confirm is not None
    assert "Acme Outdoor Goods is a Primary admin or a Company admin" in confirm[0].confirm.text
    # A result that words nothing to confirm gets the generic words.
    bare = CheckResult("admin-access", Status.NEEDS_INPUT, "Someone must look.", pending=Pending.CONFIRM)
    assert m.confirmation_text("admin-access", view(), bare) == "I confirm: Someone must look."
    assert m.acknowledgement_text("backup", view(), bare) == "I understand: Someone must look."
    revenue = registry.get("revenue-invoices")
    answers = m.step_buttons(
        view(), revenue, CheckResult("revenue-invoices", Status.NEEDS_INPUT, "x", pending=Pending.REVENUE_ANSWER)
    )
    assert [(b.action, b.value) for b in answers[:2]] == [("revenue", "yes"), ("revenue", "no")]
    opening = registry.get("opening-balance")
    failing = m.step_buttons(view(), opening, CheckResult("opening-balance", Status.FAIL, "x"))
    assert ("journal", "") in [(b.action, b.value) for b in failing]
    assert ("open_form", "not_applicable:opening-balance") in [(b.action, b.value) for b in failing]


def test_forms() -> None:
    form = forms.enable_date_form(view(), date(2026, 9, 30))
    assert "closed through Wed 30 Sep 2026" in form.intro and form.submit_action == "submit_enable_date"
    field = form.fields[0]
    assert isinstance(field, DateField) and field.initial == date(2026, 11, 1)
    assert "Sat 31 Oct 2026" in forms.finale_balance_form(date(2026, 10, 31)).fields[0].label
    assert "the day before the enable date" in forms.finale_balance_form(None).fields[0].label
    creds = forms.finale_credentials_form("acme")
    assert [getattr(f, "secret", False) for f in creds.fields] == [False, True, True]
    assert forms.not_applicable_form(registry.get("opening-balance")).context == "opening-balance"
