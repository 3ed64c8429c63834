"""The terminal chat in script mode over the real core: numbered choices, confirm dialogs, forms, and the
demo's `sandbox` and `as <name>` commands, from `start` to "Ready to enable"."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Core
from bot.checklist.views import Actor
from bot.demo import DEMO_SCOPE, DemoConversation, sandbox_command
from checks.money import money
from handlers.console.chat import ConsoleChat, LineSource, script_lines
from handlers.console.demo import switch_user
from sandbox.generate.common import first_of_month
from tests.bot.harness import OWNER, Harness

# As `preflight demo` names people: `as <name>` switches to `console:<name>`.
DANA = Actor(f"console:{OWNER.name}", OWNER.name)


def console(h: Harness, script: str) -> tuple[ConsoleChat, io.StringIO]:
    out = io.StringIO()
    core = Core(h.settings, h.sessions, h.service, h.conversation)
    chat = ConsoleChat(
        DemoConversation(core, h.runtime), DEMO_SCOPE, DANA, LineSource(iter(script.splitlines()), out), out
    )
    chat.extra = {"sandbox": sandbox_command(h.runtime, h.service), "as": switch_user(chat)}
    return chat, out


def confirmations(h: Harness) -> list[tuple[str, str, str]]:
    return [(c.slug, c.kind.value, c.user_name) for c in h.confirmations()]


async def test_a_scripted_walk_to_ready_to_enable(harness: Harness) -> None:
    h = harness
    total = h.planted["total_to_expense"]
    yesterday = h.today - timedelta(days=1)
    script = f"""# Comments are skipped, like blank lines.
start Acme Outdoor Goods
confirm admin-access
1
y
enable-date {h.enable_date.isoformat()}
confirm other-apps
1
n
as Raj Patel
confirm other-apps
1
y
as {OWNER.name}
confirm other-apps
1
yes
revenue yes
acknowledge deactivation
1
y
9

sandbox
sandbox all
check
backup
{yesterday.isoformat()}
rewind-123
acknowledge inventory-items
1
y
quit
this line is never read
"""
    chat, out = console(h, script)
    await chat.run()
    text = out.getvalue()
    assert "# Comments" not in text and "never read" not in text
    assert text.count("Not confirmed; nothing was recorded.") == 1
    assert "You are now Raj Patel." in text
    assert "Only owners of this checklist can confirm. The owners are" in text
    assert "There is no choice 9." in text
    assert f"by {money(total, 'USD')} in total" in text  # the acknowledge dialog states the amount
    assert "Sandbox fixes (what you would do in QBO or Finale): `sandbox deactivate`" in text
    assert "Made 12 QBO inventory items inactive" in text
    assert "== QuickBooks backup ==" in text and f"Date of the backup (YYYY-MM-DD) [{h.today.isoformat()}]: " in text
    assert "== Ready to enable: Acme Outdoor Goods ==" in text
    # Fields are aligned on the longest label.
    assert re.search(rf"Moved to expense by deactivation +: {re.escape(money(total, 'USD'))}\n", text)
    assert text.rstrip().endswith("Bye.")
    # The declined dialog and Raj's attempt recorded nothing: one confirmation per step, all by the owner.
    assert [(s, k) for s, k, _ in confirmations(h)] == [
        ("admin-access", "confirm"),
        ("enable-date", "answer"),
        ("other-apps", "confirm"),
        ("revenue-invoices", "answer"),
        ("deactivation", "acknowledge"),
        ("backup", "confirm"),
        ("inventory-items", "acknowledge"),  # what making the other items inactive wrote off
    ]
    assert {u for _, _, u in confirmations(h)} == {OWNER.name}
    view = h.service.find(DEMO_SCOPE)
    assert view is not None and h.service.status(view.id).ready


async def test_forms_field_by_field_and_cancel(harness: Harness) -> None:
    h = harness
    access = h.runtime.finale_access()
    secret = access.api_secret
    script = f"""start
enable-date {h.enable_date.isoformat()}
balance

connect finale
{access.account}
{access.api_key}
{secret}
enable-date
{h.enable_date.isoformat()}
no
remind
remind weekdays 09:00
"""
    chat, out = console(h, script)
    await chat.run()
    text = out.getvalue()
    # An empty answer to a required field cancels the form; nothing is recorded.
    assert "Inventory asset balance in Finale on " in text and "Cancelled; nothing was changed." in text
    assert not any(c.field == "finale_balance" for c in h.confirmations())
    # Secrets are never echoed into the transcript.
    assert secret not in text and access.api_key not in text and "API secret: ********" in text
    assert f"connected Finale account `{access.account}`" in text
    # A choice field takes its default on an empty answer; a date field shows its initial value.
    assert f"Enable date (YYYY-MM-DD) [{h.enable_date.isoformat()}]: " in text
    assert "Or (no = Use the date above, yes = Leave it blank: push the whole history) [no]: no" in text
    assert "Reminders are off." in text and "on weekdays at 09:00" in text


async def test_a_rejected_form_is_asked_again_and_changes_nothing_until_valid(harness: Harness) -> None:
    h = harness
    too_early = h.close_date.isoformat()
    script = f"""start
enable-date
2026-13-01
no
{too_early}
no
{h.enable_date.isoformat()}
no
"""
    chat, out = console(h, script)
    await chat.run()
    text = out.getvalue()
    assert "“2026-13-01” is not a date" in text
    assert f"closed through {too_early}" in text
    assert text.count("Please correct it") == 2
    answers = [c.value for c in h.confirmations() if c.field == "enable_date"]
    assert answers == [h.enable_date.isoformat()]  # only the valid date was recorded


def test_script_lines_from_a_file(tmp_path: Path) -> None:
    script = tmp_path / "walk.txt"
    script.write_text("start\n# note\nstatus\n", encoding="utf-8")
    lines = script_lines(str(script))
    assert lines is not None and list(lines) == ["start", "# note", "status"]


async def test_exported_files_are_saved_where_the_transcript_says(harness: Harness, tmp_path: Path) -> None:
    h = harness
    chat, out = console(h, "start\nexport deactivation\n")
    chat.downloads = tmp_path / "downloads"
    await chat.run()
    saved = chat.downloads / "preflight-items-to-deactivate.csv"
    assert f"(saved to {saved})" in out.getvalue()
    rows = saved.read_bytes().decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + len(h.planted["items_to_deactivate"])  # a header, then one row per item


@pytest.mark.parametrize("months", [1, -1], ids=["next-month", "previous-month"])
async def test_the_demo_finishes_with_an_enable_date_other_than_the_sandbox_default(
    harness: Harness, months: int
) -> None:
    """The sandbox fixes follow the date the owner chose, e.g. the README's 2026-12-01, not the planted one."""
    h = harness
    chosen = first_of_month(h.enable_date, months)
    assert chosen != h.enable_date and chosen > h.close_date
    yesterday = h.today - timedelta(days=1)
    script = f"""start Acme Outdoor Goods
confirm admin-access
1
y
enable-date {chosen.isoformat()}
confirm other-apps
1
y
revenue yes
acknowledge deactivation
1
y
sandbox all
check
backup
{yesterday.isoformat()}
rewind-123
acknowledge opening-balance
1
y
quit
"""
    chat, out = console(h, script)
    await chat.run()
    text = out.getvalue()
    d1 = chosen - timedelta(days=1)
    assert f"Posted the opening journal entry dated {d1.isoformat()}" in text
    assert "== Ready to enable: Acme Outdoor Goods ==" in text
    view = h.service.find(DEMO_SCOPE)
    assert view is not None and view.enable_date == chosen
    status = h.service.status(view.id)
    assert status.ready, [
        (s.slug, status.results[s.slug].summary) for s in status.outstanding if s.slug in status.results
    ]
