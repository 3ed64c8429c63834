"""One conversation turn, the same on every surface.

A surface turns its native event into an Intent (with a real Actor, and the people it picked) and hands it
here together with a `Delivery`: its way of posting, updating in place, answering privately, attaching files
and opening forms. Everything in between runs once, here: "checking…" first for slow intents, the intent
itself, the "form again" card for errors found after a form closed, which card replaces the placeholder,
long tables handed out as CSV, and a plain apology (never a traceback) when something unexpected fails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from bot.cards import Card, FileAttachment, Form, Reply, Table
from bot.checklist.views import Actor
from bot.conversation import messages as m
from bot.conversation.conversation import Conversation
from bot.conversation.intents import Intent
from checks.export import write_csv

log = logging.getLogger(__name__)


class Delivery(Protocol):
    """What a surface implements to answer one request. References to messages are opaque strings."""

    async def identify(self, actor: Actor) -> Actor:
        """The same person with the name their surface shows (recorded answers carry it)."""
        ...

    async def progress(self, card: Card) -> str | None:
        """Show "checking…": in place of the message whose button was pressed, else as a new message.
        The placeholder's reference, or None when it could not be shown."""
        ...

    async def post(self, card: Card) -> str | None:
        """Post a public card where the request came from; its reference, or None if it went elsewhere."""
        ...

    async def update(self, ref: str, card: Card) -> bool:
        """Replace message `ref` with `card`; False when that message is gone (the turn then posts anew)."""
        ...

    async def private(self, card: Card) -> None:
        """Show `card` to the person who asked, and to nobody else where the surface can."""
        ...

    async def attach(self, card: Card) -> None:
        """Hand over the card's files: to the person if the card is private, else where the card went."""
        ...

    async def open_form(self, form: Form) -> None:
        """Open `form` for the person; its submission comes back as a new turn."""
        ...

    async def release(self, ref: str) -> None:
        """Nothing replaced placeholder `ref`: restore the pressed message, or remove "checking…"."""
        ...


class Turn:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    async def run(self, intent: Intent, delivery: Delivery) -> Reply | None:
        """Run one intent and deliver its reply. Returns the reply (None after an unexpected failure), so a
        surface that asks forms field by field (the console) can ask again when a form was refused."""
        placeholder: str | None = None
        try:
            if self.conversation.is_slow(intent):
                intent = replace(intent, actor=await delivery.identify(intent.actor))
                placeholder = await delivery.progress(self.conversation.progress(intent))
            reply = await self.conversation.handle(intent)
            cards = list(reply.cards)
            if reply.form_errors:
                cards.append(m.form_errors_card(intent.name.removeprefix("submit_"), intent.arg, reply.form_errors))
            if reply.form is not None:
                await delivery.open_form(reply.form)
            await self.deliver(cards, placeholder, delivery)
            return reply
        except Exception:
            # Never the intent's values in the log: a Finale secret may be among them.
            log.exception("Preflight could not finish %r in %s", intent.name, intent.scope)
            if placeholder is not None:
                await delivery.release(placeholder)
            await delivery.private(m.notice(m.UNEXPECTED))
            return None

    async def deliver(self, cards: Sequence[Card], placeholder: str | None, delivery: Delivery) -> None:
        """Post the cards in order; the one chosen to replace "checking…" takes its place."""
        cards = [with_table_csv(card) for card in cards]
        target = pick_replacement(cards) if placeholder is not None else None
        placed = False
        for index, card in enumerate(cards):
            if card.private:
                await delivery.private(card)
            else:
                shown = False
                if index == target and placeholder is not None:
                    shown = placed = await delivery.update(placeholder, card)
                if not shown:
                    await delivery.post(card)
            if card.attachments:
                await delivery.attach(card)
        if placeholder is not None and not placed:
            await delivery.release(placeholder)


def pick_replacement(cards: Sequence[Card]) -> int | None:
    """Which card takes the placeholder's place: the one marked `replace`, else the first public one."""
    for index, card in enumerate(cards):
        if card.replace and not card.private:
            return index
    return next((index for index, card in enumerate(cards) if not card.private), None)


def with_table_csv(card: Card) -> Card:
    """Attach a complete table that is too long to read in chat as CSV, so nothing is only summarised."""
    if card.attachments:
        return card
    for block in card.blocks:
        if isinstance(block, Table) and len(block.rows) > m.MAX_TABLE_ROWS and len(block.rows) >= block.total_rows:
            stem = re.sub(r"[^a-z0-9]+", "-", (block.caption or "table").lower()).strip("-") or "table"
            content = write_csv(block.columns, block.rows)
            return replace(card, attachments=(FileAttachment(f"preflight-{stem}.csv", content, title=block.caption),))
    return card
