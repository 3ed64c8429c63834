"""The demo company from `/preflight start` to "Ready to enable", entirely through Slack: slash commands,
buttons (with their confirm dialogs), modals and the QuickBooks OAuth round trip. Between checks the test
does in QBO and Finale what a person would (`runtime.fix`), then presses Re-check like they would."""

from __future__ import annotations

from datetime import timedelta

from bot.checklist.views import ScopeKey
from sandbox.runtime import RUNTIME_CLIENT
from tests.handlers.slack.conftest import CHANNEL, TEAM, Posted, SlackHarness, find_button, link_of
from tests.handlers.walking import FIXES, TITLES


def step_scope(h: SlackHarness) -> ScopeKey:
    return ScopeKey("slack", TEAM, CHANNEL)


def newest_step(h: SlackHarness) -> Posted | None:
    for posted in reversed(h.messages()):
        if posted.text.startswith("Step ") and " of 10" in posted.content:
            return posted
    return None


def cleared(step: Posted, slug: str) -> bool:
    """The step's status line shows it cleared (a pass, or a warning an owner acknowledged)."""
    return status_line(step, slug).startswith(":white_check_mark:")


def status_line(step: Posted, slug: str) -> str:
    return next(line for line in step.content.splitlines() if f"*{TITLES[slug]}*" in line)


def slug_of(step: Posted) -> str:
    return next(slug for slug, title in TITLES.items() if f"of 10: {title}" in step.content)


async def test_full_walk_of_the_demo_company_through_slack(harness: SlackHarness) -> None:
    h = harness
    runtime = h.runtime
    enable = runtime.enable_date
    assert enable is not None

    # 1. Start: introduction, the checklist, and the first step; nothing is connected yet.
    await h.command("start Acme Outdoor Goods")
    intro = h.last_with("Hi! I'm Preflight")
    assert "Owners: Dana" in intro.content
    assert "0 of 10 cleared" in h.last_with("Preflight checklist ·").content
    step = h.step(TITLES["admin-access"])
    assert "not connected" in step.content

    # 2. Connect QuickBooks from the step's button: an Intuit link only Dana sees, then the browser round trip.
    await h.press(step, "connect", "qbo")
    status, page = await h.connect_qbo(link_of(h.last_ephemeral("U0DANA")))
    assert status == 200 and "Acme Outdoor Goods" in page
    assert "Dana connected Preflight to QuickBooks Online company *Acme Outdoor Goods*" in h.transcript()

    # 3. Connect Finale through its modal; the key is checked with Finale before it is kept.
    await h.command("connect finale")
    finale = runtime.finale_access()
    await h.submit({"account": finale.account, "api_key": finale.api_key, "api_secret": finale.api_secret})
    assert f"Dana connected Finale account `{finale.account}`" in h.transcript()

    # 4. Walk: always act on the newest step card, as a person would, until Preflight says it is ready.
    visited: list[str] = []
    fixed: set[str] = set()
    rechecked: set[str] = set()
    dialogs: dict[str, str] = {}
    for _ in range(40):
        if "Ready to enable" in h.transcript():
            break
        step = newest_step(h)
        assert step is not None, h.transcript()
        slug = slug_of(step)
        visited.append(slug)
        confirm = find_button(step.blocks, "confirm") or find_button(step.blocks, "acknowledge")
        if confirm is not None:
            element = confirm[1]
            dialog = element["confirm"]  # Slack shows it before the press reaches Preflight
            dialogs[slug] = dialog["text"]["text"]
            await h.press(step, element["action_id"].split(":")[1], element["value"])
        elif find_button(step.blocks, "open_form", "enable_date"):
            await h.press(step, "open_form", "enable_date")
            await h.submit({"enable_date": enable.isoformat(), "blank": "no"})
        elif find_button(step.blocks, "open_form", "backup"):
            await h.press(step, "open_form", "backup")
            await h.submit({"backup_date": (enable + timedelta(days=-1)).isoformat(), "reference": "rewind-123"})
        elif find_button(step.blocks, "revenue", "yes"):
            await h.press(step, "revenue", "yes")
        elif status_line(step, slug).startswith(":no_entry:") and slug not in rechecked:
            rechecked.add(slug)  # checked before QBO and Finale were connected: check again
            await h.press(step, "recheck", slug)
        elif cleared(step, slug):
            await h.press(step, "next")  # cleared by the re-check: on to the next open step
        elif slug in FIXES and slug not in fixed:
            for fix in FIXES[slug]:
                runtime.fix(fix)
            fixed.add(slug)
            await h.press(step, "recheck", slug)
        else:
            raise AssertionError(f"stuck at {slug}:\n{step.content}")
    else:
        raise AssertionError("no 'Ready to enable' after 40 steps:\n" + h.transcript())

    # Every step was cleared through Slack (the enable date was picked from the inventory step's button).
    checklist = h.core.service.find(step_scope(h))
    assert checklist is not None
    status = h.core.service.status(checklist.id)
    assert status.ready and checklist.enable_date == enable
    assert set(visited) >= set(TITLES) - {"enable-date"}, set(TITLES) - set(visited)
    by_dana = {(c.slug, c.kind) for c in status.confirmations if c.user_name == "Dana"}
    assert {("admin-access", "confirm"), ("other-apps", "confirm"), ("deactivation", "acknowledge")} <= by_dana
    assert {("enable-date", "enable_date"), ("revenue-invoices", "revenue_pushed"), ("backup", "confirm")} <= by_dana
    ready = h.last_with("Ready to enable")
    assert "Every precondition is cleared." in ready.content
    assert enable.strftime("%-d %b %Y") in ready.content
    for confirmed in ("QuickBooks Online admin access: confirmed, by Dana", "Fresh QBO backup: confirmed"):
        assert confirmed in ready.content
    assert "Moved to expense by deactivation" in ready.content

    # The deactivation dialog stated the total and both accounts before Dana acknowledged it.
    deactivation = dialogs["deactivation"]
    assert "USD" in deactivation and "Inventory Shrinkage" in deactivation and "Inventory Asset" in deactivation

    # Long lists went along as CSV: the items to deactivate (12 of them, more than a message shows).
    uploads = [f for f in h.api.files() if f.filename == "preflight-items-to-deactivate.csv"]
    assert uploads and uploads[0].channel_id == CHANNEL
    assert uploads[0].content is not None and uploads[0].content.count(b"\n") >= 13

    # The report lists every confirmation with who and when.
    await h.command("report")
    report = h.last_with("Preflight report ·")
    assert "Confirmations" in report.content and "Dana" in report.content

    # Slow work always went through "checking…" first, and every message and modal was one Slack accepts.
    assert any("Checking" in c.args.get("text", "") for c in h.api.calls("chat.postMessage"))
    assert all(c.status == 200 for c in h.api.calls()), [
        (c.method, c.response) for c in h.api.calls() if c.status != 200
    ]
    assert all(c.ok for c in h.api.calls() if isinstance(c.response, dict))
    h.assert_everything_valid()

    # Preflight only read: every QBO request was a GET or a query, every Finale request a GET (the sandbox's
    # own fixes, the person fixing QuickBooks, are the only writes the simulators saw).
    assert [r for r in runtime.qbo_state.writes() if r.client != RUNTIME_CLIENT] == []
    assert runtime.finale_state.writes() == []
    assert runtime.qbo_state.request_log and runtime.finale_state.calls
