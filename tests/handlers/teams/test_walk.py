"""The demo company from `start` to "Ready to enable", entirely through Teams: typed commands, Action.Execute
buttons (and their Action.Submit fallback), form cards with Input.Date, the QuickBooks OAuth round trip, a
refused non-owner, and a reminder posted proactively into the channel. Between checks the test does in QBO
and Finale what a person would (`runtime.fix`), then presses Re-check like they would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.checklist.views import ScopeKey
from bot.reminders.scheduler import Reminders
from tests.handlers.teams.conftest import DANA, PLACE, RAJ, Message, TeamsHarness, texts
from tests.handlers.walking import FIXES, TITLES

SCOPE = ScopeKey("teams", PLACE.tenant_id, str(PLACE.channel_id))


def newest_step(h: TeamsHarness) -> Message | None:
    for message in reversed(h.messages()):
        if "Step " in message.text and " of 10: " in message.text:
            return message
    return None


def slug_of(step: Message) -> str:
    return next(slug for slug, title in TITLES.items() if f"of 10: {title}" in step.text)


def link_of(message: Message) -> str:
    for action in message.card.get("body", []) + message.card.get("actions", []):
        for inner in action.get("actions", []) if action.get("type") == "ActionSet" else [action]:
            if inner.get("type") == "Action.OpenUrl":
                return str(inner["url"])
    raise AssertionError("no link on " + message.text)


async def test_full_walk_of_the_demo_company_through_teams(harness: TeamsHarness) -> None:
    h = harness
    enable = h.runtime.enable_date
    assert enable is not None

    # Added to the team: a welcome card.
    status, _ = await h.post(h.teams.installation(place=h.place))
    assert status == 201
    await h.settle()
    assert "Preflight for Finale" in h.transcript()

    # 1. Start (the bot's @mention is stripped): introduction, checklist, first step.
    await h.say("start Acme Outdoor Goods")
    assert "Hi! I'm Preflight" in h.transcript() and "0 of 10 cleared" in h.transcript()
    view = h.core.service.find(SCOPE)
    assert view is not None and view.is_owner(DANA.aad_object_id)

    # 2. QuickBooks: the step's Connect button gives the Intuit link; the browser round trip; the channel is told.
    step = newest_step(h)
    assert step is not None and slug_of(step) == "admin-access"
    await h.press(step, "connect", "qbo")
    status_code, page = await h.connect_qbo(link_of(h.last_with("Connect QuickBooks")))
    assert status_code == 200 and "Acme Outdoor Goods" in page
    assert "connected to QuickBooks Online company **Acme Outdoor Goods**" in h.transcript()

    # 3. Finale: a form card; the secret is never echoed back.
    await h.say("connect finale")
    form = h.last_with("Connect Finale")
    finale = h.runtime.finale_access()
    inputs = {"account": finale.account, "api_key": finale.api_key, "api_secret": finale.api_secret}
    await h.press(form, "submit_finale_credentials", inputs=inputs)
    assert f"connected Finale account **{finale.account}**" in h.transcript()
    assert finale.api_secret not in str([r.activity for r in h.records()])

    # 4. A non-owner's confirmation is refused, nothing recorded.
    await h.say("confirm admin-access")
    dialog = h.last_with("Primary admin or a Company admin")
    await h.press(dialog, "confirm", "admin-access", user=RAJ)
    assert "Only owners" in h.transcript()
    assert not [c for c in h.core.service.status(view.id).confirmations if c.slug == "admin-access"]

    # 5. Walk, always on the newest step card, until Preflight says it is ready.
    fixed: set[str] = set()
    rechecked: set[str] = set()
    asked: dict[str, str] = {}
    for turn in range(60):
        if "Ready to enable" in h.transcript():
            break
        step = newest_step(h)
        assert step is not None, h.transcript()
        slug = slug_of(step)
        result = h.core.service.status(view.id).results.get(slug)
        confirm = step.action("confirm") or step.action("acknowledge")
        if confirm is not None:
            asked[slug] = step.text
            # Every other click goes through the Action.Submit fallback, as an older Teams client sends it.
            await h.press(step, confirm["verb"], confirm["data"]["value"], submit=turn % 2 == 1)
        elif step.action("open_form", "enable_date"):
            await h.press(step, "open_form", "enable_date")
            await h.press(h.last_with("Enable date"), "submit_enable_date", inputs={"enable_date": enable.isoformat()})
        elif step.action("open_form", "backup"):
            await h.press(step, "open_form", "backup")
            backup = {"backup_date": (enable - timedelta(days=1)).isoformat(), "reference": "rewind-123"}
            await h.press(h.last_with("backup"), "submit_backup", inputs=backup)
        elif step.action("revenue", "yes"):
            await h.press(step, "revenue", "yes")
        elif result is not None and result.status.value == "error" and slug not in rechecked:
            rechecked.add(slug)
            await h.press(step, "recheck", slug)
        elif result is not None and result.cleared:
            await h.press(step, "next")
        elif slug in FIXES and slug not in fixed:
            for fix in FIXES[slug]:
                h.runtime.fix(fix)
            fixed.add(slug)
            await h.press(step, "recheck", slug)
        else:
            raise AssertionError(f"stuck at {slug}:\n{step.text}")
    else:
        raise AssertionError("no 'Ready to enable':\n" + h.transcript())

    status = h.core.service.status(view.id)
    assert status.ready
    ready = h.last_with("Ready to enable")
    assert "Moved to expense by deactivation" in ready.text
    # The deactivation acknowledgement showed the amount and both accounts before it was recorded.
    assert "USD" in asked["deactivation"] and "Inventory Shrinkage" in asked["deactivation"]
    by_dana = {(c.slug, c.kind) for c in status.confirmations if c.user_id == DANA.aad_object_id}
    assert {("admin-access", "confirm"), ("deactivation", "acknowledge"), ("backup", "confirm")} <= by_dana

    # Long lists reached the channel as a short-lived download link that serves the CSV.
    download = next(m for m in h.messages() if "preflight-items-to-deactivate.csv" in m.text)  # the first
    async with h.http.get(link_of(download)) as response:
        assert response.status == 200
        assert (await response.read()).count(b"\n") >= 13

    # Slow work showed "Checking…" first, in place of the pressed card, and every "Checking…" was replaced.
    shown = [" ".join(texts(card)) for r in h.records() if r.kind in ("reply", "update") for card in r.cards]
    assert any(text.startswith("Checking") for text in shown)
    assert any(r.kind == "update" for r in h.records())
    assert not [m.text for m in h.messages() if m.text.startswith("Checking")]


async def test_a_reminder_reaches_the_channel_proactively(harness: TeamsHarness) -> None:
    h = harness
    await h.say("start Acme Outdoor Goods")
    await h.say("remind weekdays 09:00")
    view = h.core.service.find(SCOPE)
    assert view is not None and view.reminders_enabled
    before = len(h.records())
    reminders = Reminders(h.core.service, h.surface.notifier(), refresh_every=None)
    slot = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # a Tuesday, 09:00 in New York
    delivered = await reminders.deliver(view.id, slot)
    assert delivered.outcome.value == "posted"
    # A new top-level post in the channel (a thread of its own), not a reply in an old thread.
    created = [r for r in h.records()[before:] if r.kind == "create"]
    posted = [r for r in h.records()[before:] if r.kind == "send"]
    assert len(created) == 1 and created[0].activity["channelData"]["channel"]["id"] == PLACE.channel_id
    assert len(posted) == 1 and posted[0].conversation_id.startswith(f"{PLACE.channel_id};messageid=")
    assert delivered.message_ref == f"{PLACE.channel_id}:{posted[0].activity_id}"
    reminder = h.messages()[-1]
    assert "Dana Whitfield" in reminder.text and "Snooze" in reminder.text


async def test_a_removed_bot_pauses_reminders_instead_of_failing_each_slot(harness: TeamsHarness) -> None:
    h = harness
    await h.say("start Acme Outdoor Goods")
    view = h.core.service.find(SCOPE)
    assert view is not None
    h.teams.connector.fail(403, "BotNotInConversationRoster", times=5)
    notifier = h.surface.notifier()
    from bot.cards import Card, Text
    from bot.reminders.notify import ChannelGone

    try:
        await notifier.post(view.scope, view.scope.channel_id, Card(blocks=(Text("Reminder"),)))
    except ChannelGone as gone:
        assert "removed" in gone.reason
    else:
        raise AssertionError("a 403 from Teams must say the channel is gone")
