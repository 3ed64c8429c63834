"""The console chat loop: typed commands and numbered choices in, rendered Cards out.

With a script (a file or piped stdin) it runs without a person: each line is what the person would type,
including answers to confirm dialogs (`y`/`n`) and form fields, one per line. Lines starting with # are
comments.
"""

from __future__ import annotations

import asyncio
import getpass
import itertools
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.cards import Button, Card, ChoiceField, DateField, Form, PersonField, TextField
from bot.checklist.views import Actor, ScopeKey
from bot.conversation.conversation import Conversation
from bot.conversation.intents import Intent
from bot.conversation.turn import Turn
from handlers.console.render import plain, render_card

ExtraCommand = Callable[[str], Awaitable[str | None]]


class LineSource:
    """Where typed lines come from: a person at a terminal, or a script."""

    def __init__(self, lines: Iterator[str] | None, out: TextIO) -> None:
        self._lines = lines
        self._out = out

    @property
    def scripted(self) -> bool:
        return self._lines is not None

    async def read(self, prompt: str, *, secret: bool = False) -> str | None:
        """The next line; a secret (an API key or secret) is never echoed, nor written to the transcript."""
        if self._lines is None:
            try:
                return await asyncio.to_thread(getpass.getpass if secret else input, prompt)
            except EOFError:
                return None
        for raw in self._lines:
            line = raw.rstrip("\n")
            if line.strip().startswith("#"):
                continue
            self._out.write(f"{prompt}{'********' if secret and line else line}\n")
            return line
        return None


class ConsoleChat:
    """The terminal chat, and the turn's `Delivery` for it: cards are printed, buttons become numbered
    choices, and a form is asked field by field right after the turn that opened it."""

    def __init__(
        self,
        conversation: Conversation,
        scope: ScopeKey,
        actor: Actor,
        source: LineSource,
        out: TextIO = sys.stdout,
        extra: dict[str, ExtraCommand] | None = None,
        downloads: Path | None = None,
    ) -> None:
        self.conversation = conversation
        self.turn = Turn(conversation)
        self.scope = scope
        self.actor = actor
        self.source = source
        self.out = out
        self.extra = extra or {}
        self.downloads = downloads  # where attached files (the CSV exports) are saved
        self.choices: list[Button] = []
        self._shown: list[Button] = []  # choices of the cards shown in the current turn
        self._form: Form | None = None  # the form the current turn opened
        self._refs = itertools.count(1)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def run(self) -> None:
        self.say("Type `start` to begin, `help` for the commands, `quit` to leave.")
        while True:
            line = await self.source.read("you> ")
            if line is None or line.strip().lower() in ("quit", "exit"):
                self.say("Bye.")
                return
            await self.handle_line(line)

    async def handle_line(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        word = text.split()[0].lower()
        if word in self.extra:
            answer = await self.extra[word](text[len(word) :].strip())
            if answer:
                self.say(answer)
            return
        if text.isdigit():
            number = int(text)
            if not 1 <= number <= len(self.choices):
                self.say(f"There is no choice {number}. Pick one of the numbers shown, or type a command.")
                return
            await self.press(self.choices[number - 1])
            return
        intent = self.conversation.from_text(text, self.actor, self.scope)
        await self.dispatch(self._with_people(intent))

    def _with_people(self, intent: Intent) -> Intent:
        """`owners add dana`: in the console a person is who the name says (as `as <name>` switches to)."""
        words = intent.arg.split(maxsplit=1)
        if intent.name != "owners" or len(words) != 2 or words[0].lower() != "add":
            return intent
        name = words[1].strip().lstrip("@")
        return replace(intent, arg="add", people={"owner": console_person(name)} if name else {})

    async def press(self, button: Button) -> None:
        if button.url:
            self.say(f"Open this link in a browser: {button.url}")
            return
        if button.confirm is not None:
            self.say(f"\n{button.confirm.title}: {plain(button.confirm.text)}")
            answer = await self.source.read(f"{button.confirm.confirm}? [y/N] ")
            if (answer or "").strip().lower() not in ("y", "yes"):
                self.say("Not confirmed; nothing was recorded.")
                return
        await self.dispatch(Intent(button.action, self.actor, self.scope, arg=button.value))

    async def dispatch(self, intent: Intent) -> None:
        """One turn; then the form it opened, asked field by field until it is answered or cancelled."""
        self._shown, self._form = [], None
        await self.turn.run(intent, self)
        self._show_choices()
        form = self._form
        while form is not None:
            answers = await self.fill(form)
            if answers is None:
                self.say("Cancelled; nothing was changed.")
                return
            values, people = answers
            submitted = Intent(
                form.submit_action, self.actor, self.scope, arg=form.context, values=values, people=people
            )
            self._shown, self._form = [], None
            reply = await self.turn.run(submitted, self)
            self._show_choices()
            if reply is None or not reply.form_errors:
                form = self._form
                continue
            # Like a Slack modal that stays open: say what is wrong, then ask the form again.
            self.say("Please correct it (an empty answer to a required field cancels).")

    def _show_choices(self) -> None:
        if self._shown:
            self.choices = self._shown

    # ------------------------------------------------------------------ Delivery

    async def identify(self, actor: Actor) -> Actor:
        return actor

    async def progress(self, card: Card) -> str | None:
        self.show(card)
        return None  # a terminal cannot take back what it printed

    async def post(self, card: Card) -> str | None:
        self.show(card)
        return f"console:{next(self._refs)}"

    async def update(self, ref: str, card: Card) -> bool:
        return False  # printed text stays; the turn prints the result anew

    async def private(self, card: Card) -> None:
        self.show(card)

    async def attach(self, card: Card) -> None:
        for attachment in card.attachments:
            if self.downloads is not None:
                self.downloads.mkdir(parents=True, exist_ok=True)
                path = self.downloads / attachment.filename
                path.write_bytes(attachment.content)
                self.say(f"  (saved to {path})")

    async def open_form(self, form: Form) -> None:
        self._form = form

    async def release(self, ref: str) -> None:
        return None

    def show(self, card: Card) -> None:
        rendered = render_card(card, first_number=len(self._shown) + 1)
        self._shown += rendered.buttons
        self.say(rendered.text)

    async def fill(self, form: Form) -> tuple[dict[str, str | None], dict[str, Actor]] | None:
        """Ask each field in turn; an empty answer to a required field cancels the form."""
        self.say(f"\n== {form.title} ==")
        if form.intro:
            self.say(plain(form.intro))
        values: dict[str, str | None] = {}
        people: dict[str, Actor] = {}
        for field in form.fields:
            if isinstance(field, ChoiceField):
                options = ", ".join(f"{v} = {label}" for v, label in field.options)
                prompt = f"{field.label} ({options}) [{field.initial or ''}]: "
            elif isinstance(field, DateField):
                initial = field.initial.isoformat() if field.initial else ""
                prompt = f"{field.label} (YYYY-MM-DD){' [' + initial + ']' if initial else ''}: "
            elif isinstance(field, PersonField):
                prompt = f"{field.label} (their name){' (optional)' if field.optional else ''}: "
            else:
                assert isinstance(field, TextField)
                prompt = f"{field.label}{' (optional)' if field.optional else ''}: "
            answer = await self.source.read(prompt, secret=isinstance(field, TextField) and field.secret)
            if answer is None:
                return None
            answer = answer.strip()
            if not answer:
                if isinstance(field, ChoiceField) and field.initial is not None:
                    answer = field.initial
                elif isinstance(field, DateField) and field.initial is not None:
                    answer = field.initial.isoformat()
                elif not field.optional:
                    return None
            if isinstance(field, PersonField) and answer:
                people[field.name] = console_person(answer.lstrip("@"))
            values[field.name] = answer or None
        return values, people


def console_person(name: str) -> Actor:
    return Actor(f"console:{name}", name)


def script_lines(path: str | None) -> Iterator[str] | None:
    """Lines of a script file, or of piped stdin; None for an interactive terminal."""
    if path:
        return iter(Path(path).read_text(encoding="utf-8").splitlines())
    if not sys.stdin.isatty():
        return iter(sys.stdin.read().splitlines())
    return None
