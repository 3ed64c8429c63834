"""Intents: what a person asked for, whatever the surface. Commands typed as text parse into these."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.checklist.views import Actor, ScopeKey


@dataclass(frozen=True)
class Intent:
    name: str
    actor: Actor
    scope: ScopeKey
    arg: str = ""
    values: Mapping[str, str | None] = field(default_factory=dict)
    # People the surface picked for this intent, by field (e.g. "owner" for `owners add`): real identities
    # from the surface's own user picker or mention, never mention syntax for bot/ to parse.
    people: Mapping[str, Actor] = field(default_factory=dict)
    # Where the request came from (e.g. Slack team, channel, user), for answers that arrive later,
    # such as the QuickBooks connection completing in a browser.
    origin: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str
    summary: str


# The commands every surface accepts, in the order `help` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("start", "start [company name]", "Create this channel's checklist and walk through it"),
    Command("status", "status", "Show the checklist and what is still open"),
    Command("check", "check [slug|all]", "Check QuickBooks and Finale now (all checks, or one)"),
    Command("next", "next", "Show the next open step"),
    Command("explain", "explain <slug>", "Why a step matters and what clears it"),
    Command("enable-date", "enable-date [YYYY-MM-DD|blank]", "Pick the date Finale starts pushing from"),
    Command("confirm", "confirm <slug>", "Confirm a step (shows exactly what you confirm first)"),
    Command("acknowledge", "acknowledge <slug>", "Acknowledge a warning (shows the amounts first)"),
    Command("revenue", "revenue yes|no", "Say whether Finale will push sales revenue"),
    Command("backup", "backup [YYYY-MM-DD] [reference]", "Record the QuickBooks backup you made"),
    Command("balance", "balance <amount> [offset account]", "Enter Finale's inventory asset balance on D-1"),
    Command("connect", "connect qbo|finale", "Connect QuickBooks Online or Finale"),
    Command("owners", "owners [add <user>]", "List owners, or add one (owners only)"),
    Command("remind", "remind <schedule>|off", "Remind this channel, e.g. `remind weekdays 09:00`"),
    Command("snooze", "snooze [1d|4h|...]", "Skip the next reminders for a while (default 1 day)"),
    Command("export", "export deactivation", "Download the items to deactivate as CSV"),
    Command("journal", "journal", "Show the drafted opening-balance journal entry"),
    Command("report", "report", "Everything confirmed so far, with who and when"),
    Command("help", "help", "This list"),
)
COMMAND_NAMES = {c.name for c in COMMANDS}
ALIASES = {"enable_date": "enable-date", "enabledate": "enable-date", "?": "help", "checklist": "status"}


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    name: str
    args: tuple[str, ...]

    @property
    def arg(self) -> str:
        return " ".join(self.args)


class CommandError(ValueError):
    pass


def parse_command(text: str) -> ParsedCommand:
    """`check negative-qoh` -> ParsedCommand("check", ("negative-qoh",)). Unknown words raise CommandError."""
    cleaned = text.strip()
    head, rest = cleaned[:10], cleaned[10:]
    if head.lower() == "/preflight" and (not rest or rest[0].isspace()):  # any case; not "/preflightx"
        cleaned = rest.strip()
    if not cleaned:
        return ParsedCommand("help", ())
    try:
        words = shlex.split(cleaned)
    except ValueError:
        words = cleaned.split()
    head = words[0].lower()
    head = ALIASES.get(head, head)
    if head not in COMMAND_NAMES:
        raise CommandError(head)
    return ParsedCommand(head, tuple(words[1:]))
