"""Typed commands -> intents: the `/preflight` prefix, quotes, case, aliases, unknown words."""

from __future__ import annotations

import pytest

from bot.checklist.views import Actor, ScopeKey
from bot.conversation.intents import COMMANDS, CommandError, ParsedCommand, parse_command

SCOPE = ScopeKey("console", "T1", "C1")
ACTOR = Actor("U1", "Dana")


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("check negative-qoh", "check", ("negative-qoh",)),
        ("/preflight check negative-qoh", "check", ("negative-qoh",)),
        ("  /Preflight   STATUS  ", "status", ()),
        ("/PREFLIGHT", "help", ()),
        ("/preflight", "help", ()),
        ("", "help", ()),
        ("   ", "help", ()),
        ("CHECK All", "check", ("All",)),
        ('start "Acme Outdoor Goods"', "start", ("Acme Outdoor Goods",)),
        ("start 'Kid''s Café'", "start", ("Kids Café",)),
        ("start Kid's Café", "start", ("Kid's", "Café")),  # an unbalanced quote is read word by word
        ('backup 2026-11-24 "Rewind snapshot 42"', "backup", ("2026-11-24", "Rewind snapshot 42")),
        ("enable_date 2026-11-01", "enable-date", ("2026-11-01",)),
        ("enabledate blank", "enable-date", ("blank",)),
        ("?", "help", ()),
        ("checklist", "status", ()),
        ("owners add <@U0RAJ|Raj Patel>", "owners", ("add", "<@U0RAJ|Raj", "Patel>")),
    ],
)
def test_parse_command(text: str, name: str, args: tuple[str, ...]) -> None:
    assert parse_command(text) == ParsedCommand(name, args)


def test_arg_joins_the_words_back() -> None:
    assert parse_command("owners add <@U0RAJ|Raj Patel>").arg == "add <@U0RAJ|Raj Patel>"
    assert parse_command("check").arg == ""


@pytest.mark.parametrize("text", ["frobnicate", "/preflightstatus", "please check", "/preflight dance now"])
def test_unknown_words_raise(text: str) -> None:
    with pytest.raises(CommandError):
        parse_command(text)


def test_every_command_parses_by_its_own_name() -> None:
    for command in COMMANDS:
        assert parse_command(command.name).name == command.name
        assert command.usage.startswith(command.name)


def test_typed_confirmations_open_the_dialog_first() -> None:
    from bot.conversation.conversation import Conversation

    chat = Conversation.__new__(Conversation)  # from_text needs no service
    assert chat.from_text("confirm admin-access", ACTOR, SCOPE).name == "ask_confirm"
    assert chat.from_text("acknowledge deactivation", ACTOR, SCOPE).name == "ask_acknowledge"
    unknown = chat.from_text("dance", ACTOR, SCOPE)
    assert (unknown.name, unknown.arg) == ("unknown", "dance")
    assert chat.from_text("/preflight check all", ACTOR, SCOPE).arg == "all"
