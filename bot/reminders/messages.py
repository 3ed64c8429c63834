"""What reminders say: the channel reminder, the final "all clear", and the snooze notice.

Builders are pure, like bot/conversation/messages.py: status in, neutral Card (or text) out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.cards import Actions, Block, Button, Card, Context, Header, Mention, StatusRow, Style, Text
from bot.checklist.views import Actor, ChecklistStatus, ChecklistView
from bot.conversation.messages import NOT_CHECKED
from checks.registry import CheckSpec
from checks.results import CheckResult, Pending, Status

SNOOZE_ACTION = "snooze"
SNOOZE_DAY = "1d"

# What the person must do when a step waits for them (DESIGN §6: only owners answer).
_WAITING_FOR = {
    Pending.CONFIRM: "an owner confirms",
    Pending.ACKNOWLEDGE: "an owner acknowledges the warning",
    Pending.ENABLE_DATE: "an owner picks the enable date",
    Pending.REVENUE_ANSWER: "an owner answers whether Finale pushes revenue",
    Pending.BACKUP: "an owner records the QuickBooks backup",
    Pending.FINALE_BALANCE: "an owner enters Finale's inventory balance",
    Pending.CONNECT_QBO: "an owner reconnects QuickBooks",
    Pending.CONNECT_FINALE: "an owner reconnects Finale",
}


def when(at: datetime, timezone: tzinfo) -> str:
    """`Tue 10 Mar 09:00 PDT`: reminder times in the checklist's timezone."""
    return at.astimezone(timezone).strftime("%a %-d %b %H:%M %Z").strip()


def mentions(owners: Sequence[Actor]) -> str:
    """The owners @-mentioned for real: each surface notifies them (Slack `<@U…>`)."""
    return ", ".join(Mention(o.user_id, o.name).markup for o in owners) or "nobody yet"


def paused_card(view: ChecklistView, reason: str) -> Card:
    """Told to an owner directly when the channel refuses reminders for good."""
    text = (
        f"I could not post the Preflight reminder for {view.company_label} into its channel: {reason}. "
        "Reminders for this checklist are paused: once the channel takes messages from me again (invite me back "
        "if I was removed), an owner types `remind on` there to resume them."
    )
    return Card(
        blocks=(Header(f"Reminders paused · {view.company_label}"), Text(text)),
        fallback=f"Preflight reminders for {view.company_label} are paused: {reason}",
    )


def action_needed(spec: CheckSpec, result: CheckResult | None) -> str:
    """Who acts and how, in a few words."""
    if result is None:
        return "not checked yet: anyone can run `check`"
    pending = result.pending if not result.cleared else None
    if pending is not None:
        return _WAITING_FOR.get(pending, "an owner answers")
    if result.status is Status.WARN and result.ack_key is not None:
        return _WAITING_FOR[Pending.ACKNOWLEDGE]
    if result.status is Status.ERROR:
        return "fix the connection named above; I re-check before every reminder"
    return "fix it in QuickBooks or Finale; I re-check before every reminder"


def reminder_card(
    status: ChecklistStatus,
    *,
    timezone: tzinfo,
    next_at: datetime | None,
    recheck_error: str | None = None,
) -> Card:
    """The scheduled reminder: what is still open, who must act, and a snooze button."""
    view = status.checklist
    total = len(status.specs)
    owners = mentions(view.owners)
    outstanding = status.outstanding
    blocks: list[Block] = [
        Header(f"Preflight reminder · {view.company_label}"),
        Context(f"{status.cleared_count} of {total} cleared · owners: {owners}"),
        Text(f"**Still open ({len(outstanding)}):**"),
    ]
    positions = {s.slug: i for i, s in enumerate(status.specs, start=1)}
    for spec in outstanding:
        result = status.results.get(spec.slug)
        blocks.append(
            StatusRow(
                slug=spec.slug,
                title=spec.title,
                status=result.status.value if result else NOT_CHECKED,
                summary=result.summary if result else "Not checked yet.",
                cleared=False,
                position=positions[spec.slug],
            )
        )
        blocks.append(Context(f"Who: {owners} · {action_needed(spec, result)}"))
    if recheck_error:
        blocks.append(Context(f"I could not re-check just now ({recheck_error}); these are the last results."))
    else:
        blocks.append(Context("QuickBooks and Finale were re-checked just before this reminder."))
    blocks.append(
        Actions(
            (
                Button("Next step", "next", style=Style.PRIMARY),
                Button("Snooze 1 day", SNOOZE_ACTION, SNOOZE_DAY),
                Button("Check everything", "check", "all"),
            )
        )
    )
    tail = "Anyone in the channel can snooze; owners change the schedule with `remind <schedule>` or `remind off`."
    if next_at is not None:
        tail = f"Next reminder: {when(next_at, timezone)}. " + tail
    blocks.append(Context(tail))
    fallback = (
        f"Preflight reminder for {view.company_label}: {status.cleared_count} of {total} cleared, "
        f"{len(outstanding)} still open ({owners})"
    )
    return Card(blocks=tuple(blocks), fallback=fallback)


def all_clear_card(status: ChecklistStatus) -> Card:
    """Posted once, when a reminder finds everything cleared; reminders stop for good after it."""
    view = status.checklist
    total = len(status.specs)
    text = (
        f"Every precondition is cleared ({total} of {total}), so this is the last reminder: reminders for this "
        "checklist are now off. The last steps happen in Finale; the button shows them."
    )
    return Card(
        blocks=(
            Header(f"All clear: {view.company_label} is ready to enable"),
            Text(text),
            Context(f"Owners: {mentions(view.owners)}"),
            Actions((Button("Show the last steps", "next", style=Style.PRIMARY),)),
        ),
        fallback=f"All clear: {view.company_label} is ready to enable the Finale integration",
    )


def snoozed_text(by: Actor, skipped: Sequence[datetime], next_at: datetime | None, timezone: tzinfo) -> str:
    if len(skipped) == 1:
        text = f"{by.name} snoozed the reminder of {when(skipped[0], timezone)}."
    else:
        text = (
            f"{by.name} snoozed {len(skipped)} reminders, from {when(skipped[0], timezone)} "
            f"to {when(skipped[-1], timezone)}."
        )
    if next_at is not None:
        text += f" The next one is on {when(next_at, timezone)}."
    return text
