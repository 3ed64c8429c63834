"""Every card and form Preflight produces, rendered as Adaptive Cards 1.5 that the official AC 1.5 schema
accepts, built by the real builders over the demo company's real check results."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import checks.catalog  # noqa: F401  (registers the checks)
from bot.cards import (
    Actions,
    Button,
    Card,
    ConfirmDialog,
    FileAttachment,
    Form,
    PersonField,
    StatusRow,
    Style,
    Table,
    Text,
    TextField,
)
from bot.checklist.views import Actor, Change, ChecklistStatus, ChecklistView, ScopeKey
from bot.conversation import forms as f
from bot.conversation import messages as m
from bot.reminders import messages as rm
from checks.answers import Answers, Confirmation
from checks.registry import registry
from checks.results import CheckResult, Pending, Status
from checks.sources.loader import LoadPlan, load_snapshot
from handlers.teams.markdown import escape, to_markdown
from handlers.teams.render import (
    CARD_MAX_BYTES,
    STATUS_ICON,
    TABLE_MAX_ROWS,
    card_size,
    parse_submission,
    read_form_values,
    render_card,
    render_form,
)
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from tests.checks.sources.test_loader import TODAY, finale_reader, qbo_reader

SCHEMA = Path(__file__).resolve().parents[3] / ".." / "shared" / "specs" / "adaptive-card-1.5.schema.json"
NASTY = "Kids_Café *Mugs* [x](y) <at>Dana</at> & Co"


@pytest.fixture(scope="module")
def validator() -> Any:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is not available (the shared specs live next to the repository)")
    from jsonschema import Draft6Validator

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def assert_valid(validator: Any, card: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5" and card["$schema"]
    assert card["fallbackText"].strip()
    assert card_size(card) <= CARD_MAX_BYTES


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def of_type(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in walk(card) if n.get("type") == kind]


# ------------------------------------------------------------------------ the demo company's cards


def view(**kw: Any) -> ChecklistView:
    values: dict[str, Any] = dict(
        id=1,
        scope=ScopeKey("teams", "tenant-1", "19:golive@thread.tacv2", "Acme"),
        company_label=NASTY,
        enable_date=date(2026, 11, 1),
        enable_date_decided=True,
        revenue_pushed=True,
        owners=(Actor("29:1dana", "Dana Whitfield"), Actor("29:1raj", "Raj Patel")),
        timezone="America/Los_Angeles",
        qbo_connected=True,
        qbo_company="Acme Outdoor Goods",
        finale_connected=True,
        finale_account="acme",
        state="open",
        reminder_schedule="daily 09:00",
        reminders_enabled=False,
    )
    values.update(kw)
    return ChecklistView(**values)


@pytest.fixture(scope="module")
def demo_results() -> dict[str, CheckResult]:
    """Every check's real result over the demo company, served by the simulators over HTTP."""
    import asyncio

    async def run(rt: SandboxRuntime) -> dict[str, CheckResult]:
        enable = rt.company.planted["enable_date"]
        assert isinstance(enable, date)
        answers = Answers(today=TODAY, enable_date=enable, enable_date_decided=True, revenue_pushed=True)
        plan = LoadPlan(registry.needs(registry.all(), answers), TODAY, enable, True)
        async with finale_reader(rt) as finale:
            snapshot = await load_snapshot(plan, qbo=qbo_reader(rt), finale=finale, now=datetime.now(UTC))
        return {spec.slug: spec.run(snapshot, answers) for spec in registry.all()}

    with SandboxRuntime(demo_company(TODAY)) as rt:
        return asyncio.run(run(rt))


def status_with(results: dict[str, CheckResult], **kw: Any) -> ChecklistStatus:
    now = datetime(2026, 10, 20, 16, 30, tzinfo=UTC)
    values: dict[str, Any] = dict(
        checklist=view(),
        specs=tuple(registry.all()),
        results=results,
        checked_at={slug: now for slug in results},
        changes=(Change("negative-qoh", "fail", "pass", now), Change("deactivation", "pass", "warn", now)),
        confirmations=(
            Confirmation("admin-access", "confirm", "confirmed", "29:1dana", NASTY, now),
            Confirmation("deactivation", "acknowledge", "16354.36", "29:1dana", "Dana", now),
            Confirmation("enable-date", "enable_date", "2026-11-01", "29:1raj", "Raj", now),
        ),
    )
    values.update(kw)
    return ChecklistStatus(**values)


def pending_variants() -> list[CheckResult]:
    """A result waiting for each kind of answer, so every button (and confirm dialog) is rendered."""
    out = []
    for pending in Pending:
        status = Status.WARN if pending is Pending.ACKNOWLEDGE else Status.NEEDS_INPUT
        out.append(
            CheckResult(
                "deactivation" if pending is Pending.ACKNOWLEDGE else "admin-access",
                status,
                f"Waiting for {pending.value} on **{NASTY}**",
                hint="Do the thing in `QuickBooks`.",
                pending=pending,
                ack_key="16354.36" if pending is Pending.ACKNOWLEDGE else None,
                amounts={"total_to_expense": __import__("decimal").Decimal("16354.36")},
            )
        )
    return out


def every_card(results: dict[str, CheckResult]) -> dict[str, list[Card]]:
    status = status_with(results)
    cleared = {
        slug: CheckResult(slug, Status.PASS, r.summary, amounts=r.amounts, cleared=True) for slug, r in results.items()
    }
    ready = status_with(cleared)
    specs = registry.all()
    tz = ZoneInfo("America/Los_Angeles")
    next_at = datetime(2026, 10, 21, 16, 0, tzinfo=UTC)
    csv = FileAttachment("preflight-items-to-deactivate.csv", b"id,name\n1,x\n")
    steps = [m.step_card(status, spec) for spec in specs]
    steps += [m.step_card(status_with({}), spec, lead="Re-checked just now.") for spec in specs]
    steps += [m.step_card(status, registry.get("deactivation"), attachments=(csv,))]
    for variant in pending_variants():
        steps.append(m.step_card(status_with({**results, variant.slug: variant}), registry.get(variant.slug)))
    return {
        "notice": [m.notice(f"Saved for {NASTY}."), m.notice("Public.", private=False)],
        "error": [m.error("That date is before the books close.")],
        "help_card": [m.help_card(), m.help_card(unknown=NASTY)],
        "checking_card": [m.checking_card(specs), m.checking_card(specs[:2])],
        "intro_card": [m.intro_card(view(), True, len(specs)), m.intro_card(view(), False, len(specs))],
        "checklist_card": [m.checklist_card(status), m.checklist_card(ready), m.checklist_card(status_with({}))],
        "step_card": steps,
        "explain_card": [m.explain_card(s, results.get(s.slug), i, len(specs)) for i, s in enumerate(specs, 1)]
        + [m.explain_card(specs[0], None, 1, len(specs))],
        "report_card": [m.report_card(status), m.report_card(status_with({}, confirmations=()))],
        "ready_card": [m.ready_card(ready), m.ready_card(status_with(cleared, checklist=view(enable_date=None)))],
        "reminder_card": [
            rm.reminder_card(status, timezone=tz, next_at=next_at),
            rm.reminder_card(status, timezone=tz, next_at=None, recheck_error="QuickBooks timed out"),
        ],
        "all_clear_card": [rm.all_clear_card(ready)],
        "owners_card": [m.owners_card(m.PICK_A_PERSON), m.owners_card(f"Owners of this checklist: {NASTY}.")],
        "welcome_card": [m.welcome_card()],
        "form_errors_card": [
            m.form_errors_card("enable_date", "", {"enable_date": f"The books are closed through {NASTY}."}),
            m.form_errors_card("not_applicable", "opening-balance", {"reason": "Say why.", "other": "Also this."}),
        ],
        # Cards the conversation assembles itself (the export, the QuickBooks link, a confirmation prompt).
        "conversation": [
            Card((Text("The QuickBooks items to deactivate, as CSV."),), "Items to deactivate", (csv,)),
            Card(
                (
                    Text("Sign in to QuickBooks Online as a **Primary or Company admin**."),
                    Actions(
                        (Button("Connect QuickBooks", "connect_link", url="https://appcenter.intuit.com/x?a=1&b=2"),)
                    ),
                ),
                "Connect QuickBooks Online",
                private=True,
            ),
        ],
    }


def every_form() -> dict[str, list[Form]]:
    spec = registry.get("opening-balance")
    return {
        "enable_date_form": [f.enable_date_form(view(), date(2026, 9, 30)), f.enable_date_form(view(), None)],
        "backup_form": [f.backup_form(date(2026, 10, 20))],
        "finale_balance_form": [f.finale_balance_form(date(2026, 10, 31)), f.finale_balance_form(None)],
        "finale_credentials_form": [f.finale_credentials_form("acme"), f.finale_credentials_form(None)],
        "not_applicable_form": [f.not_applicable_form(spec)],
        "add_owner_form": [f.add_owner_form()],
    }


def builders(module: Any, returns: str) -> set[str]:
    return {
        name
        for name, fn in vars(module).items()
        if inspect.isfunction(fn) and fn.__module__ == module.__name__ and fn.__annotations__.get("return") == returns
    }


def test_every_builder_is_rendered_here(demo_results: dict[str, CheckResult]) -> None:
    # A new card or form builder must be added to this file, so that Teams renders it too.
    cards = every_card(demo_results)
    assert builders(m, "Card") | builders(rm, "Card") <= set(cards)
    assert builders(f, "Form") == set(every_form())


def test_every_card_is_valid_adaptive_card_1_5(validator: Any, demo_results: dict[str, CheckResult]) -> None:
    count = 0
    for name, cards in every_card(demo_results).items():
        for card in cards:
            rendered = render_card(card)
            assert_valid(validator, rendered)
            assert render_card(card) == rendered, name  # deterministic
            count += 1
    assert count > 60


def test_every_form_is_valid_adaptive_card_1_5(validator: Any) -> None:
    for name, forms in every_form().items():
        for form in forms:
            card = render_form(form)
            assert_valid(validator, card)
            errors = {f.name: f"{f.label} is wrong <here>" for f in form.fields}
            values = {f.name: "typed" for f in form.fields}
            assert_valid(validator, render_form(form, errors=errors, values=values))
            inputs = [n for n in walk(card["body"]) if str(n.get("type", "")).startswith("Input.")]
            assert [i["id"] for i in inputs] == [f.name for f in form.fields], name


# ------------------------------------------------------------------------------ targeted behaviour


def test_buttons_are_execute_with_a_submit_fallback(validator: Any, demo_results: dict[str, CheckResult]) -> None:
    card = render_card(m.checklist_card(status_with(demo_results)))
    executes = of_type(card, "Action.Execute")
    assert [(a["verb"], a["data"]) for a in executes][:2] == [
        ("check", {"action": "check", "value": "all"}),
        ("next", {"action": "next", "value": ""}),
    ]
    for action in executes:
        fallback = action["fallback"]
        assert fallback["type"] == "Action.Submit" and fallback["data"] == action["data"]
        assert fallback["title"] == action["title"]
    assert executes[0]["style"] == "positive"
    # Either delivery reads back to the same intent.
    invoke = {"action": {"type": "Action.Execute", "verb": "check", "data": executes[0]["data"]}}
    assert parse_submission(invoke) == parse_submission(executes[0]["fallback"]["data"])
    submission = parse_submission(invoke)
    assert submission is not None and (submission.action, submission.value) == ("check", "all")
    assert parse_submission({"text": "hi"}) is None and parse_submission("x") is None


def test_link_buttons_open_the_url() -> None:
    url = "https://appcenter.intuit.com/connect/oauth2?a=1&b=2"
    card = render_card(Card((Actions((Button("Connect", "connect_link", url=url, style=Style.PRIMARY),)),)))
    (action,) = of_type(card, "Action.OpenUrl")
    assert action == {"type": "Action.OpenUrl", "title": "Connect", "url": url, "style": "positive"}
    assert not of_type(card, "Action.Execute")


def test_a_confirmation_unfolds_the_whole_statement_before_the_real_button(validator: Any) -> None:
    text = (
        "Deactivating these 12 items makes QuickBooks credit Inventory Asset and debit Cost of Goods Sold by "
        "16,354.36 USD in total. " + "It must be put back with a manual journal entry. " * 10
    )
    button = Button(
        "I understand", "acknowledge", "deactivation|16354.36", Style.DANGER, ConfirmDialog("Acknowledge", text)
    )
    card = render_card(Card((Actions((button,)),), "x"))
    assert_valid(validator, card)
    (show,) = of_type(card, "Action.ShowCard")
    assert show["title"] == "I understand"
    shown = json.dumps(show["card"]["body"])
    assert "16,354.36 USD" in shown and to_markdown(text) in [b["text"] for b in show["card"]["body"]]
    (confirm,) = show["card"]["actions"]
    assert confirm["type"] == "Action.Execute" and confirm["verb"] == "acknowledge"
    assert confirm["data"] == {"action": "acknowledge", "value": "deactivation|16354.36"}
    assert confirm["style"] == "destructive" and confirm["title"] == "Confirm"
    # Nothing outside the unfolded card triggers the acknowledgement.
    assert len(of_type(card, "Action.Execute")) == 1


def test_status_rows_share_a_factset_with_icons() -> None:
    rows = tuple(
        StatusRow(f"s{i}", f"Step <{i}>", status, f"Moves **$1,234.00** for {NASTY}", cleared, position=i)
        for i, (status, cleared) in enumerate(
            [("pass", True), ("fail", False), ("warn", True), ("not_checked", False)], start=1
        )
    )
    card = render_card(Card(rows, "x"))
    (factset,) = card["body"]
    titles = [f["title"] for f in factset["facts"]]
    assert titles == [
        f"{STATUS_ICON['pass']} 1. Step <1>",
        f"{STATUS_ICON['fail']} 2. Step <2>",
        f"{STATUS_ICON['pass']} 3. Step <3>",
        "⏳ 4. Step <4>",
    ]
    assert factset["facts"][2]["value"].startswith("_(acknowledged)_ ")
    assert factset["facts"][0]["value"] == f"Moves **$1,234.00** for {escape(NASTY)}"


def test_user_text_renders_literally() -> None:
    assert escape("a_b *c* [d](e) `f`") == r"a\_b \*c\* \[d\](e) \`f\`"
    assert to_markdown("**Backup** first, then `next`") == "**Backup** first, then **next**"
    assert to_markdown("- one\n- two\nafter") == "- one\n- two\n\nafter"
    assert to_markdown("[Finale](https://x.test/a?b=1&c=2)") == "[Finale](https://x.test/a?b=1&c=2)"
    assert to_markdown("[x](javascript:alert(1))") == r"\[x\](javascript:alert(1))"
    assert to_markdown("_italic_ and not_applicable") == r"_italic_ and not\_applicable"
    assert to_markdown("1. not a list") == r"1\. not a list"


def test_long_tables_are_summarised(validator: Any) -> None:
    rows = tuple((f"Item {i}", str(i), f"{i * 10:,}.00") for i in range(250))
    table = Table(("Name", "ID", "Amount"), rows[:40], total_rows=250, caption="Items to deactivate")
    with_csv = Card((table,), "x", (FileAttachment("items.csv", b"a"),))
    card = render_card(with_csv)
    assert_valid(validator, card)
    (grid,) = of_type(card, "Table")
    assert len(grid["rows"]) == 1 + TABLE_MAX_ROWS and grid["firstRowAsHeader"]
    assert grid["columns"][2]["horizontalCellContentAlignment"] == "Right"
    assert "horizontalCellContentAlignment" not in grid["columns"][0]
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert texts[0] == "**Items to deactivate**"
    assert texts[-1] == f"…and {250 - TABLE_MAX_ROWS} more. The attached CSV lists them all."
    button = render_card(Card((table, Actions((Button("Download CSV", "export", "deactivation"),))), "x"))
    assert "**Download CSV** lists them all." in json.dumps(button, ensure_ascii=False)


def test_a_card_over_the_teams_size_limit_is_cut_keeping_its_buttons(validator: Any) -> None:
    long = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 30
    blocks = [Text(f"{i}: {long}") for i in range(30)]
    big = Card((*blocks, Actions((Button("Next step", "next"),))), "Big")
    card = render_card(big)
    assert_valid(validator, card)
    assert card["body"][-1]["type"] == "ActionSet"
    assert "more than fits in one Teams message" in card["body"][-2]["text"]
    assert card["body"][0]["text"].startswith("0: ")
    wide = Table(("Name", "Detail"), tuple((f"n{i}", long) for i in range(10)), total_rows=10)
    full = render_card(Card((wide,), "x"))
    assert len(of_type(full, "TableRow")) - 1 == 10 and "more." not in json.dumps(full)
    shrunk = render_card(Card((wide,), "x"), max_bytes=card_size(full) // 2)
    assert_valid(validator, shrunk)
    assert card_size(shrunk) <= card_size(full) // 2
    assert 0 < len(of_type(shrunk, "TableRow")) - 1 < 10 and "more." in json.dumps(shrunk)


def test_more_than_six_buttons_overflow_into_the_menu() -> None:
    buttons = tuple(Button(f"B{i}", "recheck", str(i)) for i in range(8))
    (action_set,) = render_card(Card((Actions(buttons),), "x"))["body"]
    assert [a.get("mode", "primary") for a in action_set["actions"]] == ["primary"] * 6 + ["secondary"] * 2


def test_divider_separates_the_next_element() -> None:
    card = render_card(m.report_card(status_with({})))
    separated = [b for b in card["body"] if b.get("separator")]
    assert len(separated) == 1 and separated[0]["type"] == "FactSet"


# ----------------------------------------------------------------------------------------- forms


def test_dates_are_input_date_and_the_submit_carries_form_and_context(validator: Any) -> None:
    form = f.enable_date_form(view(), date(2026, 9, 30))
    card = render_form(form)
    (date_input,) = of_type(card, "Input.Date")
    assert date_input["id"] == "enable_date" and date_input["value"] == "2026-11-01"
    assert date_input["isRequired"] is False
    (choice,) = of_type(card, "Input.ChoiceSet")
    assert choice["style"] == "expanded" and choice["value"] == "no"
    (submit,) = card["actions"]
    assert submit["type"] == "Action.Execute" and submit["verb"] == "submit_enable_date"
    assert submit["data"] == {
        "action": "submit_enable_date",
        "value": "",
        "form_id": "enable_date",
        "context": "",
    }
    assert "associatedInputs" not in submit and submit["fallback"]["type"] == "Action.Submit"
    na = render_form(f.not_applicable_form(registry.get("opening-balance")))
    assert na["actions"][0]["data"]["context"] == "opening-balance"
    assert of_type(na, "Input.Text")[0]["isMultiline"] is True


def test_secrets_are_never_echoed(validator: Any) -> None:
    form = f.finale_credentials_form("acme")
    values = {"account": "acme", "api_key": "KEY-123", "api_secret": "SECRET-456"}
    card = render_form(form, values=values, errors={"api_key": "Finale refused this key."})
    assert_valid(validator, card)
    dumped = json.dumps(card)
    assert "KEY-123" not in dumped and "SECRET-456" not in dumped
    inputs = {i["id"]: i for i in of_type(card, "Input.Text")}
    assert inputs["api_key"]["style"] == inputs["api_secret"]["style"] == "password"
    assert "value" not in inputs["api_key"] and inputs["account"]["value"] == "acme"
    assert "Finale refused this key." in dumped


def test_person_fields(validator: Any) -> None:
    form = Form("owners", "Add an owner", (PersonField("owner", "Who?"),), "submit_owner")
    typed = render_form(form)
    assert_valid(validator, typed)
    assert of_type(typed, "Input.Text")[0]["id"] == "owner"
    people = [("29:1dana", "Dana Whitfield"), ("29:1raj", NASTY)]
    picked = render_form(form, people=people, values={"owner": "29:1raj"})
    assert_valid(validator, picked)
    (choice,) = of_type(picked, "Input.ChoiceSet")
    assert choice["choices"][1] == {"title": NASTY, "value": "29:1raj"} and choice["value"] == "29:1raj"
    assert read_form_values(form, {"owner": "29:1raj"}) == {"owner": "29:1raj"}


def test_read_form_values_from_either_delivery() -> None:
    form = f.enable_date_form(view(), None)
    data = {"action": "submit_enable_date", "form_id": "enable_date", "enable_date": "2026-12-01", "blank": "no"}
    assert read_form_values(form, data) == {"enable_date": "2026-12-01", "blank": "no"}
    invoke = {"action": {"type": "Action.Execute", "verb": "submit_enable_date", "data": data}}
    assert read_form_values(form, invoke) == read_form_values(form, data)
    assert read_form_values(form, {"enable_date": "", "blank": "maybe"}) == {"enable_date": None, "blank": None}
    backup = f.backup_form(date(2026, 10, 1))
    assert read_form_values(backup, {"backup_date": " 2026-10-01 ", "reference": 7}) == {
        "backup_date": "2026-10-01",
        "reference": None,
    }
    secret = Form("f", "F", (TextField("key", "Key", secret=True),), "s")
    assert read_form_values(secret, {"key": " padded "}) == {"key": " padded "}


def test_a_field_named_like_the_buttons_data_is_refused() -> None:
    form = Form("f", "F", (TextField("action", "Action"),), "s")
    with pytest.raises(ValueError, match="clashes"):
        render_form(form)


def test_dates_in_reminders_are_rendered() -> None:
    # The reminder carries times in the checklist's timezone; Teams shows the text as written.
    card = rm.reminder_card(
        status_with({}), timezone=ZoneInfo("UTC"), next_at=datetime(2026, 1, 2, 9, tzinfo=UTC) + timedelta(0)
    )
    assert "Fri 2 Jan 09:00 UTC" in json.dumps(render_card(card), ensure_ascii=False)
