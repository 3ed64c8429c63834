"""The whole walk through the Conversation, from `start` to "Ready to enable", as people would do it.

Every dollar that moves is stated, acknowledged and put back, whatever order people do things in: the
walks below acknowledge before deactivating, deactivate before acknowledging, and check that write-offs
dated after the enable date are reversed with the entries steps 3 and 9 both state.

QBO is connected through the real OAuth round trip (consent redirect, single-use state, code exchange) and
Finale through the credentials form; every check is cleared the way a person would clear it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.cards import Reply
from bot.conversation import messages as m
from checks.results import CheckResult, Status
from sandbox.runtime import FIXES
from tests.bot.harness import (
    CONTROLLER,
    OWNER,
    Harness,
    button,
    card_text,
    headers,
    iter_fields,
    reply_text,
    usd,
)


async def connect_like_an_admin(h: Harness) -> None:
    reply = await h.say("start Acme Outdoor Goods")
    assert "Preflight checklist for Acme Outdoor Goods" in headers(reply)
    admin = h.service.status(h.checklist_id).results["admin-access"]
    assert admin.status is Status.FAIL and "not connected" in admin.summary

    link = button(await h.say("connect qbo"), "connect_link")
    assert link.url is not None
    callback = h.authorize(link.url)
    assert callback["realmId"] == h.runtime.realm_id
    view, _context = await h.service.complete_qbo_connect(callback["state"], callback["code"], callback["realmId"])
    assert view.qbo_connected and view.qbo_company == h.company.qbo.company_name

    form = (await h.say("connect finale")).form
    assert form is not None and form.submit_action == "submit_finale_credentials"
    access = h.runtime.finale_access()
    reply = await h.submit(
        form.submit_action, account=access.account, api_key=access.api_key, api_secret=access.api_secret
    )
    assert f"connected Finale account `{access.account}`" in reply_text(reply)


def result(h: Harness, slug: str) -> CheckResult:
    return h.service.status(h.checklist_id).results[slug]


async def first_steps(h: Harness) -> None:
    """Connect, add an owner, confirm admin access and other apps, choose the planted date, revenue yes."""
    await connect_like_an_admin(h)
    added = await h.add_owner(CONTROLLER)
    assert f"{CONTROLLER.name} is now an owner" in reply_text(added)
    reply = await h.say("check")
    assert f"0 of {len(h.service.registry.all())} cleared" in reply_text(reply)
    dialog = await h.say("confirm admin-access")
    assert "Primary admin or a Company admin" in card_text(dialog.cards[0])
    await h.press(button(dialog, "confirm", "admin-access"))
    assert result(h, "admin-access").status is Status.PASS
    reply = await h.say(f"enable-date {h.enable_date.isoformat()}")
    text = reply_text(reply)
    assert f"set the enable date to {m.day(h.enable_date)}" in text and "Re-checked what depends on it" in text
    dialog = await h.say("confirm other-apps")
    await h.press(button(dialog, "confirm", "other-apps"), CONTROLLER)
    await h.say("revenue yes")


async def acknowledge(h: Harness, slug: str, amount: Decimal) -> Reply:
    """An owner acknowledges the step's warning; the dialog names the amount to the cent."""
    dialog = await h.say(f"acknowledge {slug}")
    ack = button(dialog, "acknowledge")
    assert ack.confirm is not None and usd(amount) in ack.confirm.text, ack.confirm
    reply = await h.press(ack, CONTROLLER)
    assert f"{CONTROLLER.name} acknowledged" in reply_text(reply)
    return reply


def written_off_by_other_items(h: Harness) -> Decimal:
    rows = h.planted["inventory_items_not_in_finale_fail"] + h.planted["inventory_items_not_in_finale_warn"]
    return sum((Decimal(str(r["asset_value"])) for r in rows), Decimal(0))


async def backup_yesterday(h: Harness) -> None:
    backup_day = h.today - timedelta(days=1)
    await h.say(f"backup {backup_day.isoformat()} rewind-123")
    assert result(h, "backup").status is Status.PASS


def fix_all_but(h: Harness, *left: str) -> None:
    for fix in FIXES:
        if fix not in left:
            h.runtime.fix(fix, today=h.today)


def assert_ready(h: Harness, reply: Reply) -> None:
    """The "Ready to enable" summary, with every amount that moved and every entry that put it back."""
    assert headers(reply)[-1] == "Ready to enable: Acme Outdoor Goods", headers(reply)
    status = h.service.status(h.checklist_id)
    assert status.ready and status.checklist.state == "ready"
    total, others = h.planted["total_to_expense"], written_off_by_other_items(h)
    finale_d1 = h.planted["finale_inventory_value_d1"]
    facts = dict(iter_fields(reply))
    d1 = h.enable_date - timedelta(days=1)
    assert facts["Enable date"] == m.day(h.enable_date)
    assert facts["Opening balance date (D-1)"] == m.day(d1)
    assert facts["Moved to expense by deactivation"] == usd(total)
    assert facts["Moved to expense by making other inventory items inactive"] == usd(others)
    assert facts["QBO inventory balance on D-1"] == usd(finale_d1)
    assert facts["Finale inventory value on D-1"] == usd(finale_d1)
    assert facts["Difference"] == "0.00 USD"
    # Every write-off was dated today, after the enable date: all of it was put back by reversing entries.
    assert facts["Put back by reversing entries (write-offs on or after the enable date)"] == usd(total + others)
    ready = reply_text(reply)
    entries = [f for f in result(h, "opening-balance").findings if f.kind == "journal_entry"]
    assert entries and all(f.extra["posted"] == "yes" for f in entries)
    assert sum((f.amount or Decimal(0) for f in entries), Decimal(0)) == total + others
    for f in entries:
        assert (
            f"{f.name}: debit {f.extra['debit_account']}, credit {f.extra['credit_account']}, {usd(f.amount)}" in ready
        )
    today_utc = datetime.now(UTC).strftime("%Y-%m-%d")
    for line in (
        f"QuickBooks Online admin access: confirmed, by {OWNER.name} on {today_utc}",
        f"Enable date chosen: enable date {h.enable_date.isoformat()}, by {OWNER.name} on {today_utc}",
        f"No other app pushes products into QBO: confirmed, by {CONTROLLER.name} on {today_utc}",
        f"push revenue: yes, by {OWNER.name} on {today_utc}",
        f"acknowledged ({total:f}), by {CONTROLLER.name} on {today_utc}",
        f"acknowledged (written off {others:f}), by {CONTROLLER.name} on {today_utc}",
    ):
        assert line in ready, line
    assert "Application settings > Accounting > QuickBooks Online" in ready


async def test_acknowledge_then_deactivate(harness: Harness) -> None:
    h = harness
    await first_steps(h)
    total = h.planted["total_to_expense"]

    # 3. deactivation: the controller acknowledges the exact amount, before anyone deactivates.
    dialog = await h.say("acknowledge deactivation")
    assert button(dialog, "acknowledge").value == f"deactivation|{total:f}"
    await acknowledge(h, "deactivation", total)
    assert result(h, "deactivation").id == "deactivation.F003"

    # What a person does in QBO and Finale, except the reversing entries; then a re-check.
    fix_all_but(h, "reverse")
    await h.say("check")
    for slug in ("admin-access", "deactivation", "other-apps", "enable-date", "average-cost"):
        assert result(h, slug).cleared, (slug, result(h, slug).summary)
    for slug in ("negative-qoh", "revenue-invoices"):
        assert result(h, slug).status is Status.PASS, result(h, slug).summary
    # The acknowledged amount is the one QBO wrote off: the acknowledgement still holds.
    assert result(h, "deactivation").id == "deactivation.I002"

    # 2. inventory-items: making the other items inactive moved their value too; an owner acknowledges it.
    others = written_off_by_other_items(h)
    step2 = result(h, "inventory-items")
    assert step2.id == "inventory-items.W002" and step2.amounts["written_off"] == others
    await acknowledge(h, "inventory-items", others)
    await backup_yesterday(h)

    # 9. opening-balance: the balances agree, but the write-offs dated today are not put back yet.
    opening = result(h, "opening-balance")
    assert opening.id == "opening-balance.F002" and opening.amounts["to_reverse"] == total + others
    assert not h.service.status(h.checklist_id).ready
    assert "Ready to enable" not in " ".join(headers(await h.say("next")))

    h.runtime.fix("reverse", today=h.today)
    reply = await h.say("check")
    assert result(h, "opening-balance").id == "opening-balance.I002"
    assert_ready(h, await h.say("next") if "Ready to enable" not in " ".join(headers(reply)) else reply)

    # The report lists every confirmation with who and when.
    status = h.service.status(h.checklist_id)
    table = reply_text(await h.say("report"))
    assert f"Cleared: {len(status.specs)} of {len(status.specs)}" in table
    for c in status.confirmations:
        assert f"{c.value} | {c.user_name} | {c.recorded_at:%Y-%m-%d %H:%M}" in table


async def test_deactivate_before_acknowledging(harness: Harness) -> None:
    h = harness
    await first_steps(h)
    total = h.planted["total_to_expense"]

    # Someone "just does it": every fix, the items deactivated and every entry posted, before any acknowledgement.
    fix_all_but(h)
    await backup_yesterday(h)
    await h.say("check")
    step3 = result(h, "deactivation")
    assert step3.status is Status.WARN and step3.id == "deactivation.W001" and not step3.cleared
    assert step3.amounts["total_to_expense"] == total and step3.amounts["written_off"] == total
    assert usd(total) in step3.ask and "Inventory Shrinkage" in step3.ask
    others = written_off_by_other_items(h)
    assert result(h, "inventory-items").id == "inventory-items.W002"
    assert result(h, "opening-balance").id == "opening-balance.I002"  # the entries are in QBO
    # Not ready: nobody was told what moved.
    assert not h.service.status(h.checklist_id).ready
    assert "Ready to enable" not in " ".join(headers(await h.say("next")))

    await acknowledge(h, "inventory-items", others)
    assert not h.service.status(h.checklist_id).ready
    reply = await acknowledge(h, "deactivation", total)
    assert result(h, "deactivation").id == "deactivation.I002"
    assert_ready(h, reply)


async def test_deactivating_after_the_enable_date_needs_reversing_entries_stated_alike(harness: Harness) -> None:
    h = harness
    await first_steps(h)
    total = h.planted["total_to_expense"]
    fix_all_but(h, "reverse")
    await backup_yesterday(h)
    await h.say("check")

    # Every write-off is dated on or after the enable date (today): the D-1 entry does not cover it.
    step3, step9 = result(h, "deactivation"), result(h, "opening-balance")
    dates = {f.extra["written_off_on"] for f in step3.findings if f.kind == "qbo_item"}
    assert dates == {h.today.isoformat()} and h.today >= h.enable_date
    # Steps 3 and 9 state the same reversing entries for the deactivated items, to the cent.
    entries3 = [f for f in step3.findings if f.kind == "journal_entry"]
    entries9 = {f.detail for f in step9.findings if f.kind == "journal_entry"}
    assert entries3 and {f.detail for f in entries3} <= entries9
    assert sum((f.amount or Decimal(0) for f in entries3), Decimal(0)) == total == step3.amounts["to_reverse"]
    for f in entries3:
        assert (
            f.extra["debit_account"].startswith("Inventory Asset")
            and f.extra["credit_account"] == "Inventory Shrinkage"
        )
        assert f.detail in step9.hint  # step 9 says how to enter each one
    assert step9.status is Status.FAIL and step9.id == "opening-balance.F002"
    # The drafted entries are what `journal` hands over.
    journal = reply_text(await h.say("journal"))
    for f in entries3:
        assert f.detail in journal

    await acknowledge(h, "deactivation", total)
    await acknowledge(h, "inventory-items", written_off_by_other_items(h))
    assert not h.service.status(h.checklist_id).ready  # acknowledged, but not put back

    h.runtime.fix("reverse", today=h.today)
    reply = await h.say("check")
    assert result(h, "opening-balance").id == "opening-balance.I002"
    assert_ready(h, await h.say("next") if "Ready to enable" not in " ".join(headers(reply)) else reply)


async def test_deactivating_before_an_enable_date_other_than_the_default(harness: Harness) -> None:
    h = harness
    # A later enable date, the first of next month: today's write-offs fall before it.
    today = h.today
    enable = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    h.company.planted["enable_date"] = enable  # the sandbox's fixes follow the planned date
    await first_steps(h)
    total = h.planted["total_to_expense"]
    fix_all_but(h)
    await backup_yesterday(h)
    await h.say("check")
    step3 = result(h, "deactivation")
    assert step3.id == "deactivation.W001" and "to_reverse" not in step3.amounts
    assert f"put back by the opening journal entry dated {(enable - timedelta(days=1)).isoformat()}" in step3.ask
    await acknowledge(h, "inventory-items", written_off_by_other_items(h))
    reply = await acknowledge(h, "deactivation", total)
    assert headers(reply)[-1] == "Ready to enable: Acme Outdoor Goods", [
        (s, r.status, r.summary) for s, r in h.service.status(h.checklist_id).results.items() if not r.cleared
    ]
    facts = dict(iter_fields(reply))
    assert facts["Enable date"] == m.day(enable) and facts["Moved to expense by deactivation"] == usd(total)
    assert "Put back by reversing entries (write-offs on or after the enable date)" not in facts
