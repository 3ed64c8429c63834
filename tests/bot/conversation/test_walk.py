"""The whole walk through the Conversation, from `start` to "Ready to enable", as people would do it.

QBO is connected through the real OAuth round trip (consent redirect, single-use state, code exchange) and
Finale through the credentials form; every check is cleared the way a person would clear it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.conversation import messages as m
from checks.results import Status
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


async def test_start_to_ready_to_enable(harness: Harness) -> None:
    h = harness
    planted = h.planted
    await connect_like_an_admin(h)
    added = await h.add_owner(CONTROLLER)
    assert f"{CONTROLLER.name} is now an owner" in reply_text(added)

    reply = await h.say("check")
    assert f"0 of {len(h.service.registry.all())} cleared" in reply_text(reply)

    # 1. admin-access: the typed command opens the dialog; the button records it.
    dialog = await h.say("confirm admin-access")
    assert "Primary admin or a Company admin" in card_text(dialog.cards[0])
    reply = await h.press(button(dialog, "confirm", "admin-access"))
    assert h.service.status(h.checklist_id).results["admin-access"].status is Status.PASS

    # 5. enable-date: the planted date, which re-checks what depends on it.
    reply = await h.say(f"enable-date {h.enable_date.isoformat()}")
    text = reply_text(reply)
    assert f"set the enable date to {m.day(h.enable_date)}" in text and "Re-checked what depends on it" in text

    # 4. other-apps: confirmed after the hints were shown.
    dialog = await h.say("confirm other-apps")
    await h.press(button(dialog, "confirm", "other-apps"), CONTROLLER)

    # 8. revenue: yes.
    await h.say("revenue yes")

    # 3. deactivation: the controller acknowledges the exact amount, before anyone deactivates.
    total = planted["total_to_expense"]
    dialog = await h.say("acknowledge deactivation")
    ack = button(dialog, "acknowledge")
    assert ack.confirm is not None and usd(total) in ack.confirm.text
    assert ack.value == f"deactivation|{total:f}"
    reply = await h.press(ack, CONTROLLER)
    assert f"{CONTROLLER.name} acknowledged" in reply_text(reply)

    # What a person does in QBO and Finale, then a re-check.
    for fix in FIXES:
        h.runtime.fix(fix, today=h.today)
    reply = await h.say("check")
    results = h.service.status(h.checklist_id).results
    for slug in ("admin-access", "inventory-items", "deactivation", "other-apps", "enable-date", "average-cost"):
        assert results[slug].cleared, (slug, results[slug].summary)
    for slug in ("negative-qoh", "revenue-invoices"):
        assert results[slug].status is Status.PASS, results[slug].summary

    # 10. backup, made yesterday.
    backup_day = h.today - timedelta(days=1)
    await h.say(f"backup {backup_day.isoformat()} rewind-123")
    assert h.service.status(h.checklist_id).results["backup"].status is Status.PASS

    # 9. opening-balance: the journal entry made the balances agree; the deactivations dated after D-1
    # remain, and the accountant acknowledges them.
    opening = h.service.status(h.checklist_id).results["opening-balance"]
    assert opening.status is Status.WARN, opening.summary
    finale_d1 = planted["finale_inventory_value_d1"]
    assert dict(opening.amounts) == {"qbo_balance": finale_d1, "finale_balance": finale_d1, "difference": 0}
    late = [f.id for f in opening.findings if f.kind == "qbo_adjustment"]
    assert late and opening.ack_key == "adjustments " + ",".join(late)
    dialog = await h.say("acknowledge opening-balance")
    reply = await h.press(button(dialog, "acknowledge"), CONTROLLER)

    # Ready to enable, with the figures and who confirmed what, when.
    assert headers(reply)[-1] == "Ready to enable: Acme Outdoor Goods"
    facts = dict(iter_fields(reply))
    d1 = h.enable_date - timedelta(days=1)
    assert facts["Enable date"] == m.day(h.enable_date)
    assert facts["Opening balance date (D-1)"] == m.day(d1)
    assert facts["Moved to expense by deactivation"] == usd(total)
    assert facts["QBO inventory balance on D-1"] == usd(finale_d1)
    assert facts["Finale inventory value on D-1"] == usd(finale_d1)
    assert facts["Difference"] == "0.00 USD"
    ready = reply_text(reply)
    today_utc = datetime.now(UTC).strftime("%Y-%m-%d")
    for line in (
        f"QuickBooks Online admin access: confirmed, by {OWNER.name} on {today_utc}",
        f"Enable date chosen: enable date {h.enable_date.isoformat()}, by {OWNER.name} on {today_utc}",
        f"No other app pushes products into QBO: confirmed, by {CONTROLLER.name} on {today_utc}",
        f"push revenue: yes, by {OWNER.name} on {today_utc}",
        f"acknowledged ({total:f}), by {CONTROLLER.name} on {today_utc}",
        f"Fresh QBO backup: confirmed {backup_day.isoformat()} (reference: rewind-123), by {OWNER.name}",
        f"acknowledged (adjustments {','.join(late)}), by {CONTROLLER.name} on {today_utc}",
    ):
        assert line in ready, line
    assert "Application settings > Accounting > QuickBooks Online" in ready
    status = h.service.status(h.checklist_id)
    assert status.ready and status.checklist.state == "ready"
    assert (await h.say("next")).cards[0].fallback.endswith("ready to enable the Finale integration")

    # The report lists every confirmation with who and when.
    report = await h.say("report")
    table = reply_text(report)
    assert f"Cleared: {len(status.specs)} of {len(status.specs)}" in table
    for c in status.confirmations:
        assert f"{c.value} | {c.user_name} | {c.recorded_at:%Y-%m-%d %H:%M}" in table
