"""Answering one Slack request: where each card goes, and what happens when Slack says no.

- Public cards: `chat.postMessage` in the channel; the card the turn chose to replace the "checking…"
  placeholder (or the message whose button was pressed) goes through `chat.update`, so results appear in place.
- Private cards: `chat.postEphemeral`, seen only by the person who asked.
- CSV attachments: `files_upload_v2` into the same channel.
- When the channel refuses (archived, Preflight not invited, channel gone) or a permission is missing, the
  answer is still shown privately, with what to do: through the request's response_url while Slack accepts
  it, else in a DM with the person. Nothing is lost silently.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.cards import Card, Context, Form
from bot.checklist.views import Actor
from bot.conversation.messages import UNEXPECTED, notice
from handlers.slack import texts
from handlers.slack.directory import UserDirectory
from handlers.slack.modals import render_modal
from handlers.slack.origin import FormMetadata, Origin
from handlers.slack.render import MESSAGE_MAX_BLOCKS, fallback_text, file_uploads, render_blocks, render_message

log = logging.getLogger(__name__)

# The channel itself refuses: every later post to it would fail the same way.
CHANNEL_ERRORS = frozenset({"is_archived", "not_in_channel", "channel_not_found"})
# The message to update is gone or frozen: post a new one instead.
GONE_MESSAGE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


def _error(exc: SlackApiError) -> tuple[str, str | None]:
    response = exc.response
    return str(response.get("error") or "unknown_error"), response.get("needed")


class SlackDelivery:
    """The turn's `Delivery` in Slack, for one request. Remembers when the channel refused, so later cards go
    privately at once."""

    def __init__(
        self,
        client: AsyncWebClient,
        origin: Origin,
        *,
        install_url: str,
        users: UserDirectory | None = None,
        placed: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.placed = placed  # told where "checking…" is, so that it is replaced even after a restart
        self.origin = origin
        self.install_url = install_url
        self.users = users
        self.blocked: str | None = None  # the Slack error that closed the channel to us
        self._response_url_usable = origin.response_url is not None

    async def identify(self, actor: Actor) -> Actor:
        if self.users is None:
            return actor
        name = await self.users.name(self.client, self.origin.team_id, actor.user_id, actor.name)
        return Actor(actor.user_id, name)

    # ------------------------------------------------------------------ the walk

    async def progress(self, card: Card) -> str | None:
        """Show "checking…" in place of the pressed message, else as a new message; its ts, if shown."""
        ref: str | None = None
        if self.origin.message_ts is not None and await self.update(self.origin.message_ts, card, quiet=True):
            ref = self.origin.message_ts if self.blocked is None else None
        elif self.blocked is None:
            ref = await self.post(card, quiet=True)
        if ref is not None and self.placed is not None:
            await self.placed(ref)
        return ref

    async def release(self, placeholder: str) -> None:
        """Nothing replaced the placeholder: put the pressed message back as it was, or remove "checking…"."""
        try:
            if placeholder == self.origin.message_ts and self.origin.message is not None:
                original = self.origin.message
                await self.client.chat_update(
                    channel=self.origin.channel_id,
                    ts=placeholder,
                    text=original.get("text") or "Preflight",
                    blocks=original.get("blocks") or [],
                )
            else:
                await self.client.chat_delete(channel=self.origin.channel_id, ts=placeholder)
        except SlackApiError as exc:
            log.info("Could not tidy up message %s: %s", placeholder, _error(exc)[0])

    # ------------------------------------------------------------------ Web API calls

    async def post(self, card: Card, *, quiet: bool = False) -> str | None:
        """Post in the channel; the message's ts, or None when it went privately (or, `quiet`, nowhere)."""
        if self.blocked is not None:
            if not quiet:
                await self.fallback(card, texts.channel_problem(self.blocked))
            return None
        try:
            response = await self.client.chat_postMessage(channel=self.origin.channel_id, **render_message(card))
        except SlackApiError as exc:
            await self._refused(exc, card, quiet=quiet)
            return None
        return str(response.get("ts") or "") or None

    async def update(self, ts: str, card: Card, *, quiet: bool = False) -> bool:
        """Replace message `ts`; False when it no longer exists (the caller posts anew)."""
        if self.blocked is not None:
            if not quiet:
                await self.fallback(card, texts.channel_problem(self.blocked))
            return True
        try:
            await self.client.chat_update(channel=self.origin.channel_id, ts=ts, **render_message(card))
        except SlackApiError as exc:
            if _error(exc)[0] in GONE_MESSAGE_ERRORS:
                return False
            await self._refused(exc, card, quiet=quiet)
        return True

    async def private(self, card: Card) -> None:
        await self.ephemeral(card)

    async def attach(self, card: Card) -> None:
        if card.private:
            await self.upload(card, self.origin.user_id)
        elif self.blocked is None:
            await self.upload(card, self.origin.channel_id)

    async def open_form(self, form: Form) -> None:
        """A modal for `form`; it remembers its channel, so the submission lands in the right checklist."""
        view = render_modal(form, private_metadata=FormMetadata(self.origin.channel_id, form.context).encode())
        await self.open_view(view)

    async def open_view(self, view: dict[str, Any]) -> None:
        if self.origin.trigger_id is None:
            await self.ephemeral(notice(texts.TRIGGER_EXPIRED))
            return
        try:
            await self.client.views_open(trigger_id=self.origin.trigger_id, view=view)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.info("views.open failed: %s", error)
            text = texts.TRIGGER_EXPIRED if error in ("expired_trigger_id", "invalid_trigger_id") else UNEXPECTED
            await self.ephemeral(notice(text))

    async def ephemeral(self, card: Card) -> None:
        if self.blocked is not None:
            await self.fallback(card, texts.channel_problem(self.blocked))
            return
        try:
            await self.client.chat_postEphemeral(
                channel=self.origin.channel_id, user=self.origin.user_id, **render_message(card)
            )
        except SlackApiError as exc:
            await self._refused(exc, card)

    async def upload(self, card: Card, channel: str) -> None:
        if not card.attachments:
            return
        try:
            await self.client.files_upload_v2(
                channel=channel,
                file_uploads=file_uploads(card),
                # files.info afterwards would only cost a call: nothing uses the file's details.
                request_file_info=False,
            )
        except SlackApiError as exc:
            error, needed = _error(exc)
            log.warning("Attachment upload to %s refused: %s", channel, error)
            names = ", ".join(a.filename for a in card.attachments)
            text = (
                texts.missing_permission(needed, self.install_url)
                if error == "missing_scope"
                else texts.attachment_refused(names, error)
            )
            notice = Card(blocks=(Context(text),), fallback=text, private=True)
            await self.ephemeral(notice)

    async def _refused(self, exc: SlackApiError, card: Card, *, quiet: bool = False) -> None:
        error, needed = _error(exc)
        if error in CHANNEL_ERRORS:
            self.blocked = error
            reason = texts.channel_problem(error)
        elif error == "missing_scope":
            reason = texts.missing_permission(needed, self.install_url)
        else:
            log.error("Slack refused a Preflight message in %s: %s", self.origin.channel_id, error)
            reason = texts.channel_problem(error)
        log.info("Channel %s refused a message (%s); answering privately", self.origin.channel_id, error)
        if not quiet:
            await self.fallback(card, reason)

    # ------------------------------------------------------------------ private fallbacks

    async def fallback(self, card: Card, reason: str) -> None:
        """Show `card` to the person alone with `reason`: via response_url while it works, else by DM."""
        note = render_blocks(Card(blocks=(Context(f":warning: {reason}"),)))
        blocks = note + render_blocks(card, max_blocks=MESSAGE_MAX_BLOCKS - len(note))
        text = fallback_text(card)
        if self._response_url_usable and self.origin.response_url:
            if await self._respond(self.origin.response_url, text, blocks):
                return
            self._response_url_usable = False
        try:
            await self.client.chat_postMessage(channel=self.origin.user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("Could not reach %s privately either: %s", self.origin.user_id, _error(exc)[0])

    async def _respond(self, url: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        try:
            response = await AsyncWebhookClient(url).send(text=text, blocks=blocks, response_type="ephemeral")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("response_url unreachable: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            # Slack's response_url lasts 30 minutes and 5 uses ("expired_url", "used_url").
            log.info("response_url refused: %s %s", response.status_code, response.body)
            return False
        return True
