"""The console chat loop: typed commands and numbered choices in, rendered Cards out.

With a script (a file or piped stdin) it runs without a person: each line is what the person would type,
including answers to confirm dialogs (`y`/`n`) and form fields, one per line. Lines starting with # are
comments.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.cards import Button, ChoiceField, DateField, Form, PersonField, Reply, TextField
from bot.checklist.views import Actor, ScopeKey
from bot.conversation.conversation import Conversation
from bot.conversation.intents import Intent
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
        self.scope = scope
        self.actor = actor
        self.source = source
        self.out = out
        self.extra = extra or {}
        self.downloads = downloads  # where attached files (the CSV exports) are saved
        self.choices: list[Button] = []

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
        await self.dispatch(intent)

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
        if self.conversation.is_slow(intent):
            self.show(Reply([self.conversation.progress(intent)]))
        reply = await self.conversation.handle(intent)
        await self.show_reply(reply)

    async def show_reply(self, reply: Reply) -> None:
        self.show(reply)
        form = reply.form
        while form is not None:
            values = await self.fill(form)
            if values is None:
                self.say("Cancelled; nothing was changed.")
                return
            intent = Intent(form.submit_action, self.actor, self.scope, arg=form.context, values=values)
            if self.conversation.is_slow(intent):
                self.show(Reply([self.conversation.progress(intent)]))
            answer = await self.conversation.handle(intent)
            if not answer.form_errors:
                await self.show_reply(answer)
                return
            # Like a Slack modal that stays open: say what is wrong, then ask the form again.
            self.show(answer)
            self.say("Please correct it (an empty answer to a required field cancels).")

    def show(self, reply: Reply) -> None:
        numbered: list[Button] = []
        for card in reply.cards:
            rendered = render_card(card, first_number=len(numbered) + 1)
            numbered += rendered.buttons
            self.say(rendered.text)
            for attachment in card.attachments:
                if self.downloads is not None:
                    self.downloads.mkdir(parents=True, exist_ok=True)
                    path = self.downloads / attachment.filename
                    path.write_bytes(attachment.content)
                    self.say(f"  (saved to {path})")
        for field_name, message in reply.form_errors.items():
            self.say(f"  ! {field_name}: {message}")
        if numbered:
            self.choices = numbered

    async def fill(self, form: Form) -> dict[str, str | None] | None:
        """Ask each field in turn; an empty answer to a required field cancels the form."""
        self.say(f"\n== {form.title} ==")
        if form.intro:
            self.say(plain(form.intro))
        values: dict[str, str | None] = {}
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
            values[field.name] = answer or None
        return values


def script_lines(path: str | None) -> Iterator[str] | None:
    """Lines of a script file, or of piped stdin; None for an interactive terminal."""
    if path:
        return iter(Path(path).read_text(encoding="utf-8").splitlines())
    if not sys.stdin.isatty():
        return iter(sys.stdin.read().splitlines())
    return None
