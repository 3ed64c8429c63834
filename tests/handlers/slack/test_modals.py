"""Modals: what is checked inline (the form stays open with the error under the field), and what after."""

from __future__ import annotations

from datetime import date, timedelta

from bot.checklist.views import ScopeKey
from tests.handlers.slack.conftest import CHANNEL, SAM, TEAM, SlackHarness, start_connected


def _checklist_id(h: SlackHarness) -> int:
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None
    return view.id


async def test_enable_date_modal_validates_inline(harness: SlackHarness, today: date) -> None:
    h = harness
    await start_connected(h)
    await h.command("check enable-date")  # reads QuickBooks' close date
    close = h.core.service.book_close_date(_checklist_id(h))
    assert close is not None
    await h.command("enable-date")
    modal = h.last_modal()
    assert modal["callback_id"] == "preflight:enable_date"
    assert modal["blocks"][1]["element"]["type"] == "datepicker"
    assert close.strftime("%-d %b %Y") in str(modal["blocks"][0])

    _, body = await h.submit({"enable_date": "2026-13-45", "blank": "no"})
    assert body is not None and body["response_action"] == "errors"
    assert "is not a date" in body["errors"]["enable_date"]
    _, body = await h.submit({"enable_date": None, "blank": "no"})
    assert body is not None and "Pick a date" in body["errors"]["enable_date"]
    _, body = await h.submit({"enable_date": close.isoformat(), "blank": "no"})
    assert body is not None and f"closed through {close.isoformat()}" in body["errors"]["enable_date"]
    _, body = await h.submit({"enable_date": (close + timedelta(days=40)).isoformat(), "blank": "no"}, user=SAM)
    assert body is not None and "Only owners" in body["errors"]["enable_date"]
    assert h.core.service.get(_checklist_id(h)).enable_date is None  # nothing changed so far

    chosen = h.runtime.enable_date
    assert chosen is not None
    _, body = await h.submit({"enable_date": chosen.isoformat(), "blank": "no"})
    assert body is None
    assert h.core.service.get(_checklist_id(h)).enable_date == chosen
    assert "Dana set the enable date to" in h.transcript()
    h.assert_everything_valid()


async def test_backup_modal(harness: SlackHarness, today: date) -> None:
    h = harness
    await h.command("start")
    await h.command("backup")
    _, body = await h.submit({"backup_date": (today + timedelta(days=3)).isoformat(), "reference": ""})
    assert body is not None and "in the future" in body["errors"]["backup_date"]
    _, body = await h.submit({"backup_date": today.isoformat(), "reference": "rewind-42"})
    assert body is None
    assert "confirmed a complete QuickBooks backup made on" in h.transcript() and "rewind-42" in h.transcript()
    await h.command("report")
    report = h.last_with("Preflight report ·")
    assert "rewind-42" in report.content and "Dana" in report.content


async def test_finale_balance_and_not_applicable_modals(harness: SlackHarness) -> None:
    h = harness
    await h.command("start")
    await h.command("balance")
    _, body = await h.submit({"amount": "12,3x", "offset_account": ""})
    assert body is not None and "is not an amount" in body["errors"]["amount"]
    _, body = await h.submit({"amount": "48,210.37", "offset_account": ""})
    assert body is not None and "Pick the enable date first" in body["errors"]["amount"]

    step_blocks = h.messages()[-1]  # step 1; "not applicable" is offered where a step allows it
    del step_blocks
    await h.command("check opening-balance")
    step = h.step("Opening inventory balance agrees with Finale")
    await h.press(step, "open_form", "not_applicable:opening-balance")
    _, body = await h.submit({"reason": "  "})
    assert body is not None and "Say why" in body["errors"]["reason"]
    _, body = await h.submit({"reason": "Finale pushes from the beginning of time"}, user=SAM)
    assert body is not None and "Only owners" in body["errors"]["reason"]
    _, body = await h.submit({"reason": "Finale pushes from the beginning of time"})
    assert body is None
    assert "marked “Opening inventory balance agrees with Finale” not applicable" in h.transcript()
    status = h.core.service.status(_checklist_id(h))
    assert [(c.slug, c.kind, c.user_name) for c in status.confirmations] == [
        ("opening-balance", "not_applicable", "Dana")
    ]
