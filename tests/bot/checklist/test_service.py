"""ChecklistService on SQLite and PostgreSQL against the simulators: owners, bad input, the append-only log.

Every bad input must get a clear message and change nothing: after each one the confirmation log, the
checklist row, the owners and the connections are compared with what they were before.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from sqlalchemy import text

from bot.checklist.connections import QboConnectionData
from bot.checklist.errors import InputError, NotOwnerError
from bot.checklist.service import OAUTH_STATE_TTL, ChecklistService
from bot.conversation.conversation import Conversation
from bot.settings import with_overrides
from bot.sources import LiveSources
from checks.registry import UnknownCheckError
from checks.results import Pending, Status
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from storage.crypto import SecretBox, SecretDecryptionError, generate_key, set_secret_box
from tests.bot.harness import CONTROLLER, FAST_QBO, OWNER, SCOPE, STRANGER, Harness, reply_text


def qbo_make_inactive(runtime: SandboxRuntime, item_id: str) -> None:
    """What a person does in QBO: Edit > Make inactive on one item (through the QBO API)."""
    access, _, _ = runtime.qbo_tokens()
    url = f"{runtime.qbo_api_base}/company/{runtime.realm_id}/item"
    headers = {"Authorization": f"Bearer {access}", "Accept": "application/json"}
    item = requests.get(f"{url}/{item_id}", headers=headers, timeout=10).json()["Item"]
    body = {"Id": item_id, "SyncToken": item["SyncToken"], "sparse": True, "Active": False}
    requests.post(url, json=body, headers=headers, timeout=10).raise_for_status()


async def ready_to_answer(h: Harness) -> int:
    await h.start_connected()
    await h.service.run_checks(h.checklist_id, OWNER)
    return h.checklist_id


# ---------------------------------------------------------------- owners


async def test_only_owners_answer_and_the_message_names_them(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    h.service.add_owner(cid, OWNER, CONTROLLER)
    h.service.add_owner(cid, OWNER, CONTROLLER)  # adding twice keeps one row
    before = h.db_state()
    ack_key = h.service.status(cid).results["deactivation"].ack_key or ""
    attempts = [
        lambda: h.service.confirm(cid, STRANGER, "admin-access", "I confirm"),
        lambda: h.service.acknowledge(cid, STRANGER, "deactivation", ack_key, "I understand"),
        lambda: h.service.mark_not_applicable(cid, STRANGER, "opening-balance", "we never had stock in QBO"),
        lambda: h.service.set_revenue(cid, STRANGER, True),
        lambda: h.service.record_backup(cid, STRANGER, h.today, None),
        lambda: h.service.set_reminders(cid, STRANGER, "weekdays 09:00"),
        lambda: h.service.add_owner(cid, STRANGER, STRANGER),
        lambda: h.service.qbo_connect_url(cid, STRANGER),
    ]
    for attempt in attempts:
        with pytest.raises(NotOwnerError) as caught:
            attempt()
        assert f"The owners are {OWNER.name}, {CONTROLLER.name}" in caught.value.message
        assert f"`owners add @{STRANGER.name}`" in caught.value.message
    with pytest.raises(NotOwnerError):
        await h.service.set_enable_date(cid, STRANGER, h.enable_date)
    with pytest.raises(NotOwnerError):
        await h.service.connect_finale(cid, STRANGER, account="acme", api_key="k", api_secret="s")
    assert h.db_state() == before

    # Through the chat too: the dialog still opens, but pressing it as a non-owner records nothing.
    reply = await h.submit("confirm", "admin-access", STRANGER)
    assert "Nothing was changed." in reply_text(reply) and OWNER.name in reply_text(reply)
    reply = await h.say(f"enable-date {h.enable_date.isoformat()}", STRANGER)
    assert "Only owners of this checklist can set the enable date" in reply_text(reply)
    reply = await h.submit("submit_not_applicable", "opening-balance", STRANGER, reason="n/a")
    assert "Only owners" in reply_text(reply)
    assert h.db_state() == before

    # Anyone may view and re-run checks.
    status = await h.service.run_checks(cid, STRANGER, ["negative-qoh"])
    assert status.results["negative-qoh"].status is Status.FAIL


# ---------------------------------------------------------------- bad input changes nothing


BAD_COMMANDS = [
    ("enable-date 2026-13-01", "is not a date"),
    ("enable-date next monday", "is not a date"),
    ("enable-date 1999-12-01", "does not look like an enable date"),
    ("backup 24/11/2026", "is not a date"),
    ("balance 12.345", "more than two decimals"),
    ("balance 12a", "is not an amount"),
    ("balance 1e3", "is not an amount"),
    ("balance NaN", "is not an amount"),
    ("balance (-5)", "is not an amount"),
    ("revenue maybe", "Answer `revenue yes`"),
    ("frobnicate now", "I don't know the command `frobnicate`"),
    ("check no-such-check", "There is no check called 'no-such-check'"),
    ("explain no-such-check", "There is no check called 'no-such-check'"),
    ("confirm", "Name the step"),
    ("confirm backup", "is not waiting for anyone to confirm it"),
    ("connect xero", "Say what to connect"),
    ("export everything", "Only the deactivation list can be exported"),
    ("remind every fortnight", "Say when to remind"),
    ("remind weekdays 25:00", "is not a time of day"),
    ("owners add", "Say who to add"),
]


async def test_bad_input_gets_a_clear_message_and_changes_nothing(harness: Harness) -> None:
    h = harness
    await ready_to_answer(h)
    await h.service.set_enable_date(h.checklist_id, OWNER, h.enable_date)
    before = h.db_state()
    for command, expected in BAD_COMMANDS:
        text = reply_text(await h.say(command))
        assert expected in text, (command, text)
        if not command.startswith("frobnicate"):
            assert text.startswith("**Nothing was changed.**"), (command, text)
        assert h.db_state() == before, command


async def test_enable_dates_that_cannot_be_right(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.db_state()
    close = h.close_date
    for value in (close, close - timedelta(days=45)):
        with pytest.raises(InputError) as caught:
            await h.service.set_enable_date(cid, OWNER, value)
        assert value.isoformat() in caught.value.message and close.isoformat() in caught.value.message
        assert (close + timedelta(days=1)).isoformat() in caught.value.message
        assert caught.value.field == "enable_date"
    far = h.today + timedelta(days=400)
    for value in (far, date(1999, 12, 1)):
        with pytest.raises(InputError, match="does not look like an enable date"):
            await h.service.set_enable_date(cid, OWNER, value)
    # The form flags the field, and the typed command says why.
    reply = await h.submit("submit_enable_date", enable_date=close.isoformat(), blank="no")
    assert "enable_date" in reply.form_errors and close.isoformat() in reply.form_errors["enable_date"]
    reply = await h.submit("submit_enable_date", enable_date="", blank="no")
    assert reply.form_errors == {"enable_date": "Pick a date, or choose to leave it blank."}
    assert h.db_state() == before
    # The day after the close date is accepted.
    await h.service.set_enable_date(cid, OWNER, close + timedelta(days=1))
    assert h.service.get(cid).enable_date == close + timedelta(days=1)


async def test_a_backup_cannot_be_dated_in_the_future(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.db_state()
    tomorrow = h.today + timedelta(days=1)
    with pytest.raises(InputError, match="is in the future"):
        h.service.record_backup(cid, OWNER, tomorrow, "rewind")
    reply = await h.submit("submit_backup", backup_date=tomorrow.isoformat(), reference="x")
    assert "backup_date" in reply.form_errors
    reply = await h.submit("submit_backup", backup_date="", reference="x")
    assert reply.form_errors == {"backup_date": "Give the date the backup was made."}
    assert h.db_state() == before
    # A reference pasted over two lines is kept, and the backup counts.
    yesterday = h.today - timedelta(days=1)
    h.service.record_backup(cid, OWNER, yesterday, "Rewind snapshot\n  42 (nightly)")
    status = await h.service.run_checks(cid, OWNER, ["backup"])
    assert status.backup_date == yesterday and status.results["backup"].status is Status.PASS
    assert "(reference Rewind snapshot 42 (nightly))" in status.results["backup"].summary


async def test_balances_are_amounts_to_the_cent(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    reply = await h.submit("submit_finale_balance", amount="22,570.50", offset_account=None)
    assert "Pick the enable date first" in reply.form_errors["amount"]
    await h.service.set_enable_date(cid, OWNER, h.enable_date)
    before = h.db_state()
    for raw in ("12.345", "twelve", "1,2,3.4.5", "", "$"):
        reply = await h.submit("submit_finale_balance", amount=raw, offset_account="Opening Balance Equity")
        assert "amount" in reply.form_errors, raw
    with pytest.raises(InputError, match="too large"):
        h.service.set_finale_balance(cid, OWNER, Decimal("1e12"), None)
    assert h.db_state() == before
    reply = await h.say("balance 1,234.50 Opening Balance Equity")
    assert "entered Finale's inventory balance: 1,234.50 USD" in reply_text(reply)
    assert h.service.status(cid).finale_balance == Decimal("1234.50")


async def test_a_negative_finale_balance_is_refused_everywhere(harness: Harness) -> None:
    """An asset balance below zero would draft an entry crediting the asset account with more than it holds."""
    h = harness
    cid = await ready_to_answer(h)
    await h.service.set_enable_date(cid, OWNER, h.enable_date)
    before = h.db_state()
    for typed in ("balance (1,234.50) Opening Balance Equity", "balance -0.01"):
        text = reply_text(await h.say(typed))
        assert text.startswith("**Nothing was changed.**") and "cannot be negative" in text, typed
    reply = await h.submit("submit_finale_balance", amount="-22,570.50", offset_account="Opening Balance Equity")
    assert "cannot be negative" in reply.form_errors["amount"]
    with pytest.raises(InputError, match="cannot be negative") as caught:
        h.service.set_finale_balance(cid, OWNER, Decimal("-0.01"), None)
    assert caught.value.field == "amount"
    assert h.db_state() == before
    # Zero is a balance (nothing in stock), not an error.
    h.service.set_finale_balance(cid, OWNER, Decimal("0.00"), None)
    assert h.service.status(cid).finale_balance == Decimal("0")


async def test_an_offset_account_longer_than_qbo_allows_is_refused(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    await h.service.set_enable_date(cid, OWNER, h.enable_date)
    before = h.db_state()
    long_name = "Opening Balance Equity " * 130  # about 3,000 characters; QBO names are at most 100
    reply = await h.submit("submit_finale_balance", amount="22,570.50", offset_account=long_name)
    assert "at most 100" in reply.form_errors["offset_account"]
    text = reply_text(await h.say(f"balance 22,570.50 {long_name}"))
    assert text.startswith("**Nothing was changed.**") and "at most 100" in text
    with pytest.raises(InputError, match="at most 100"):
        h.service.set_finale_balance(cid, OWNER, Decimal("22570.50"), "x" * 101)
    reply = await h.submit("submit_finale_balance", amount="22,570.50", offset_account="Opening\nBalance Equity")
    assert "one line" in reply.form_errors["offset_account"]
    assert h.db_state() == before
    # Exactly 100 characters is a name QBO can hold.
    h.service.set_finale_balance(cid, OWNER, Decimal("22570.50"), "E" * 100)
    offsets = [c.value for c in h.confirmations() if c.field == "offset_account"]
    assert offsets == ["E" * 100]


async def test_text_that_cannot_be_stored_is_refused_with_a_clear_message(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    await h.service.set_enable_date(cid, OWNER, h.enable_date)
    before = h.db_state()
    for typed in ("balance 12\x00", "revenue yes\x00", "backup 2026-01-01 ref\ud800"):
        text = reply_text(await h.say(typed))
        assert text.startswith("**Nothing was changed.**") and "Type it again as plain text" in text, typed
    reply = await h.submit("submit_finale_balance", amount="12.00", offset_account="Equity\x00")
    assert "NUL character" in reply.form_errors["offset_account"]
    assert (
        "NUL character"
        in (await h.conversation.check_form(h.intent("submit_not_applicable", reason="a\x00")))["reason"]
    )
    with pytest.raises(InputError, match="lone UTF-16 surrogate"):
        h.service.record_backup(cid, OWNER, h.today, "ref\udc00")
    with pytest.raises(InputError, match="NUL character"):
        h.service.mark_not_applicable(cid, OWNER, "opening-balance", "no stock\x00")
    assert h.db_state() == before


async def test_not_applicable_only_where_allowed(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.db_state()
    with pytest.raises(InputError, match="cannot be marked not applicable"):
        h.service.mark_not_applicable(cid, OWNER, "deactivation", "we will keep them")
    with pytest.raises(InputError, match="Say why"):
        h.service.mark_not_applicable(cid, OWNER, "opening-balance", "   ")
    with pytest.raises(UnknownCheckError):
        h.service.mark_not_applicable(cid, OWNER, "no-such-check", "because")
    reply = await h.submit("open_form", "not_applicable:negative-qoh")
    assert "cannot be marked not applicable" in reply_text(reply) and reply.form is None
    reply = await h.submit("submit_not_applicable", "opening-balance", reason="  ")
    assert reply.form_errors == {"reason": "Say why this step does not apply; the reason goes in the report."}
    assert h.db_state() == before
    await h.service.set_enable_date(cid, OWNER, h.enable_date)
    reply = await h.submit("submit_not_applicable", "opening-balance", reason="The accountant books it later")
    result = h.service.status(cid).results["opening-balance"]
    assert result.status is Status.NOT_APPLICABLE and result.cleared
    assert result.summary == f"Marked not applicable by {OWNER.name}: The accountant books it later"


async def test_a_stale_acknowledgement_is_refused(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    shown = h.service.status(cid).results["deactivation"]
    rows = h.planted["items_to_deactivate"]
    moved = next(r for r in rows if r["asset_value"] > 0)
    qbo_make_inactive(h.runtime, moved["id"])  # someone deactivated one item meanwhile
    await h.service.run_checks(cid, OWNER, ["deactivation"])
    # Its value still moved (QBO wrote it off): the figures stay the same.
    assert h.service.status(cid).results["deactivation"].ack_key == shown.ack_key
    # Then stock is received on another item (a QBO bill): now the amount that will move is larger.
    received = next(r for r in rows if r["id"] != moved["id"] and r["purchase_cost"] > 0)
    record = next(i for i in h.company.qbo.items if i.id == received["id"])
    record.qty_on_hand = (record.qty_on_hand or Decimal(0)) + 2
    h.runtime.qbo_state.forget_answers()
    await h.service.run_checks(cid, OWNER, ["deactivation"])
    now = h.service.status(cid).results["deactivation"]
    assert now.amounts["total_to_expense"] == h.planted["total_to_expense"] + 2 * received["purchase_cost"]
    before = h.db_state()
    with pytest.raises(InputError) as caught:
        h.service.acknowledge(cid, OWNER, "deactivation", shown.ack_key or "", "I understand")
    assert "The figures changed since that message" in caught.value.message
    assert now.summary in caught.value.message
    # The old button in the channel, pressed later, is refused the same way.
    reply = await h.submit("acknowledge", f"deactivation|{shown.ack_key}")
    assert "The figures changed" in reply_text(reply)
    # An acknowledgement that names no figures at all records nothing either.
    with pytest.raises(InputError):
        h.service.acknowledge(cid, OWNER, "deactivation", "", "I understand")
    with pytest.raises(InputError, match="no warning to acknowledge"):
        h.service.acknowledge(cid, OWNER, "backup", "", "I understand")
    assert h.db_state() == before
    # The current figures can be acknowledged.
    h.service.acknowledge(cid, OWNER, "deactivation", now.ack_key or "", "I understand")
    status = await h.service.run_checks(cid, OWNER, ["deactivation"])
    assert status.results["deactivation"].pending is None


async def test_wrong_finale_credentials_are_refused_and_the_secret_never_shown(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.start_unconnected()
    access = h.runtime.finale_access()
    secret = "Wr0ng-s3cret-" + "9f2c41"
    before = h.db_state()
    caplog.set_level(logging.DEBUG)
    reply = await h.submit(
        "submit_finale_credentials", account=access.account, api_key=access.api_key, api_secret=secret
    )
    assert set(reply.form_errors) == {"api_key"}
    message = reply.form_errors["api_key"]
    assert "Finale" in message
    with pytest.raises(InputError) as caught:
        await h.service.connect_finale(
            h.checklist_id, OWNER, account=access.account, api_key=access.api_key, api_secret=secret
        )
    for shown in (message, caught.value.message, repr(caught.value), str(caught.value.__cause__)):
        assert secret not in shown and access.api_key not in shown
    for record in caplog.records:
        assert secret not in record.getMessage() and access.api_key not in record.getMessage()
        assert secret not in str(record.args)
    assert h.db_state() == before
    assert not h.service.get(h.checklist_id).finale_connected
    # Blank fields and a malformed account path are flagged before any call.
    reply = await h.submit("submit_finale_credentials", account="", api_key="k", api_secret="s")
    assert set(reply.form_errors) == {"account"}
    reply = await h.submit("submit_finale_credentials", account="app/acme", api_key="k", api_secret="s")
    assert set(reply.form_errors) == {"account"}
    assert h.db_state() == before


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_qbo_unreachable_while_setting_the_enable_date(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.db_state()
    nowhere = f"http://127.0.0.1:{closed_port()}"
    settings = with_overrides(
        h.settings, {"qbo_environment": nowhere + "/.well-known/openid_configuration", "qbo_api_base": nowhere + "/v3"}
    )
    service = ChecklistService(h.sessions, settings, LiveSources(settings, qbo_overrides=FAST_QBO))
    with pytest.raises(InputError) as caught:
        await service.set_enable_date(cid, OWNER, h.enable_date)
    assert "could not read the closing date from QuickBooks" in caught.value.message
    assert "could not be reached" in caught.value.message and "Nothing was changed" in caught.value.message
    chat = Conversation(service)
    reply = await chat.handle(chat.from_text(f"enable-date {h.enable_date.isoformat()}", OWNER, SCOPE))
    assert "could not read the closing date" in reply_text(reply)
    # Connecting QBO while it cannot be reached says so too, instead of failing the chat.
    reply = await chat.handle(chat.from_text("connect qbo", OWNER, SCOPE))
    assert reply_text(reply).startswith("**Nothing was changed.** QuickBooks Online could not be reached")
    assert h.db_state() == before


async def test_a_revoked_connection_shows_the_reconnect_path(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    refresh = h.qbo_connection().refresh_token
    assert refresh is not None
    h.runtime.qbo_state.revoke_refresh_token(refresh)
    h.runtime.qbo_state.expire_access_tokens()
    before = h.db_state()
    status = await h.service.run_checks(cid, OWNER)
    admin = status.results["admin-access"]
    assert admin.status is Status.FAIL and admin.pending is Pending.CONNECT_QBO
    assert "rejected the connection" in admin.summary and "connect qbo" in admin.hint
    for slug in ("inventory-items", "deactivation", "other-apps"):
        assert status.results[slug].status is Status.ERROR
        assert status.results[slug].pending is Pending.CONNECT_QBO
    reply = await h.say("check admin-access")
    assert "Connect QuickBooks" in reply_text(reply)
    with pytest.raises(InputError, match="could not read the closing date"):
        await h.service.set_enable_date(cid, OWNER, h.enable_date)
    assert h.db_state() == before


# ---------------------------------------------------------------- QBO OAuth


async def test_the_qbo_link_works_once_and_expires(harness: Harness) -> None:
    h = harness
    h.start_unconnected()
    cid = h.checklist_id
    callback = h.authorize(h.service.qbo_connect_url(cid, OWNER, {"channel": "C1"}))
    view, context = await h.service.complete_qbo_connect(callback["state"], callback["code"], callback["realmId"])
    assert view.qbo_connected and context == {"channel": "C1"}
    assert view.company_label == h.company.qbo.company_name  # the label was the default
    before = h.db_state()
    with pytest.raises(InputError, match="expired or was already used"):
        await h.service.complete_qbo_connect(callback["state"], callback["code"], callback["realmId"])
    # A link older than its lifetime is refused.
    late = ChecklistService(
        h.sessions,
        h.settings,
        h.service.sources,
        clock=lambda: datetime.now(UTC) + OAUTH_STATE_TTL + timedelta(seconds=5),
    )
    fresh = h.authorize(h.service.qbo_connect_url(cid, OWNER))
    with pytest.raises(InputError, match="expired or was already used"):
        await late.complete_qbo_connect(fresh["state"], fresh["code"], fresh["realmId"])
    with pytest.raises(InputError, match="did not say which company"):
        await h.service.complete_qbo_connect(h.authorize(h.service.qbo_connect_url(cid, OWNER))["state"], "c", "")
    after = h.db_state()
    assert after["confirmations"] == before["confirmations"] and after["connections"] == before["connections"]


# ---------------------------------------------------------------- the append-only log


async def test_changing_the_enable_date_appends_and_withdraws_the_old_balance(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    first = h.enable_date
    h.service.add_owner(cid, OWNER, CONTROLLER)
    await h.service.set_enable_date(cid, OWNER, first)
    h.service.set_finale_balance(cid, OWNER, Decimal("22570.50"), "Opening Balance Equity")
    assert h.service.status(cid).finale_balance == Decimal("22570.50")
    log_before = h.db_state()["confirmations"]

    second = (first + timedelta(days=32)).replace(day=1)
    reopened = await h.service.set_enable_date(cid, CONTROLLER, second)
    assert set(reopened) == {"deactivation", "inventory-items", "average-cost", "revenue-invoices", "opening-balance"}
    log_after = h.db_state()["confirmations"]
    assert log_after[: len(log_before)] == log_before  # nothing updated, nothing deleted
    added = log_after[len(log_before) :]
    balance_row = next(r for r in log_before if r[3] == "finale_balance")
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in added] == [
        ("enable-date", "answer", "enable_date", second.isoformat(), CONTROLLER.user_id, None),
        ("opening-balance", "withdraw", "finale_balance", "22570.50", CONTROLLER.user_id, balance_row[0]),
    ]
    status = h.service.status(cid)
    assert status.finale_balance is None and status.checklist.enable_date == second
    opening = status.results["opening-balance"]
    assert (second - timedelta(days=1)).isoformat() in opening.summary
    # Setting the same date again withdraws nothing more.
    await h.service.set_enable_date(cid, OWNER, second)
    assert [r[2] for r in h.db_state()["confirmations"][len(log_after) :]] == ["answer"]
    # The report keeps the whole history.
    report = reply_text(await h.say("report"))
    for value in (first.isoformat(), second.isoformat(), "22570.50"):
        assert value in report
    assert "withdraw" in report


async def test_rotated_refresh_tokens_are_stored_at_once(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.qbo_connection().refresh_token
    refreshes = h.runtime.qbo_state.refresh_count
    h.runtime.qbo_state.expire_access_tokens()
    status = await h.service.run_checks(cid, OWNER, ["admin-access"])
    assert status.results["admin-access"].status is Status.NEEDS_INPUT
    assert h.runtime.qbo_state.refresh_count == refreshes + 1
    stored = h.qbo_connection().refresh_token
    assert stored != before and stored == h.runtime.qbo_state.current_refresh_token(h.runtime.realm_id)
    with h.engine.connect() as connection:
        raw = connection.execute(text("SELECT refresh_token FROM connections WHERE kind = 'qbo'")).scalar_one()
    assert stored is not None and stored not in raw  # encrypted at rest
    # The next check works with the stored token, without another refresh.
    status = await h.service.run_checks(cid, OWNER, ["admin-access", "enable-date"])
    assert status.results["enable-date"].status is Status.NEEDS_INPUT
    assert h.runtime.qbo_state.refresh_count == refreshes + 1


# ---------------------------------------------------------------- smaller contracts


async def test_start_is_idempotent_and_reports_history(harness: Harness) -> None:
    h = harness
    await ready_to_answer(h)
    view, created = h.service.start(h.service.get(h.checklist_id).scope, CONTROLLER, "Other name")
    assert not created and view.id == h.checklist_id and view.company_label == "Acme Outdoor Goods"
    assert h.service.deactivation_csv(view.id) is not None
    assert h.service.journal_entry(view.id) is None  # no enable date: nothing drafted yet
    h.runtime.fix("stock", today=h.today)
    status = await h.service.run_checks(view.id, None, ["negative-qoh"])
    assert [(c.slug, c.before, c.after) for c in status.changes] == [("negative-qoh", "fail", "pass")]


async def test_reminders_and_revenue_answers(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.db_state()
    with pytest.raises(InputError, match="Say when to remind"):
        h.service.set_reminders(cid, OWNER, "sometimes")
    assert h.db_state() == before
    said = h.service.set_reminders(cid, OWNER, "weekdays 09:00")
    assert said.startswith("I'll remind this channel on weekdays at 09:00 (")
    view = h.service.get(cid)
    assert view.reminder_schedule == "0 9 * * 1-5" and view.reminders_enabled
    assert h.service.set_reminders(cid, OWNER, None) == "Reminders for this checklist are off."
    assert not h.service.get(cid).reminders_enabled
    h.service.set_revenue(cid, OWNER, False)
    status = await h.service.run_checks(cid, OWNER, ["revenue-invoices"])
    assert status.results["revenue-invoices"].status is Status.NOT_APPLICABLE


# ---------------------------------------------------------------- reconnecting QBO


async def test_a_blank_enable_date_is_refused_while_the_books_are_closed(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    before = h.db_state()
    with pytest.raises(InputError) as refused:
        await h.service.set_enable_date(cid, OWNER, None)
    assert h.close_date.isoformat() in refused.value.message and "whole history" in refused.value.message
    assert refused.value.field == "enable_date"
    assert h.db_state() == before


def _tokens_for(h: Harness, realm_id: str) -> QboConnectionData:
    token = h.runtime.qbo_state.issue_tokens(realm_id)
    return QboConnectionData(realm_id, str(token["access_token"]), str(token["refresh_token"]), None)


async def test_reconnecting_withdraws_what_no_longer_holds(harness: Harness) -> None:
    h = harness
    cid = await ready_to_answer(h)
    status = h.service.status(cid)
    h.service.confirm(cid, OWNER, "admin-access", "admin")
    h.service.confirm(cid, OWNER, "other-apps", "no other app")
    ack = status.results["deactivation"].ack_key
    assert ack is not None
    h.service.acknowledge(cid, OWNER, "deactivation", ack, "moves the total")
    answered = len(h.confirmations())

    # The same company again, perhaps by another Intuit user: only the admin confirmation is about the user.
    again = h.service.connect_qbo_tokens(cid, OWNER, _tokens_for(h, h.runtime.realm_id), h.company.qbo.company_name)
    assert again == ["admin-access"]
    rows = h.confirmations()
    withdrawn = [(r.slug, r.kind.value) for r in rows[answered:]]
    assert withdrawn == [("admin-access", "withdraw")]
    status = await h.service.run_checks(cid, OWNER, ["admin-access", "other-apps"])
    assert status.results["admin-access"].pending is Pending.CONFIRM
    assert status.results["other-apps"].cleared

    # Another company: nothing confirmed about the old one still holds.
    other = demo_company(h.today).qbo
    other.realm_id, other.company_name = "4620816365171234", "Other Books LLC"
    h.runtime.qbo_state.add_company(other)
    count = len(h.confirmations())
    to_recheck = h.service.connect_qbo_tokens(cid, OWNER, _tokens_for(h, other.realm_id), other.company_name)
    assert to_recheck == ["deactivation", "other-apps"]
    await h.service.run_checks(cid, OWNER, to_recheck)
    added = h.confirmations()[count:]
    assert sorted((r.slug, r.kind.value) for r in added) == [
        ("deactivation", "withdraw"),
        ("other-apps", "withdraw"),
    ]
    assert all("another company" in r.shown_text for r in added)
    status = h.service.status(cid)
    assert status.checklist.qbo_company == "Other Books LLC"
    assert not status.results["other-apps"].cleared


async def test_showing_a_checklist_never_decrypts_its_tokens(harness: Harness, secret_box: SecretBox) -> None:
    # Every chat request shows the checklist: it needs to know a connection is there, not its secrets.
    h = harness
    view = await h.start_connected()
    set_secret_box(SecretBox(generate_key()))  # a key that cannot read the stored tokens
    try:
        found = h.service.find(SCOPE)
        assert found is not None and found.qbo_connected and found.finale_connected
        assert found.qbo_company == view.qbo_company and found.finale_account == view.finale_account
        with pytest.raises(SecretDecryptionError):
            h.qbo_connection()  # reading the tokens themselves does need the key
    finally:
        set_secret_box(secret_box)
