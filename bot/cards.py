"""Platform-neutral replies. The conversation builds Cards; each surface renders them natively.

Slack renders Block Kit, Teams renders Adaptive Cards 1.5, the console renders text with numbered choices.
Text uses a small neutral markup: `**bold**`, `_italic_`, `` `code` ``, bullet lines starting with "- ",
and links as `[label](url)`; a person is mentioned with `Mention(user_id, name).markup`, delimited by
private-use characters that no one types, so text a person wrote can never mention anyone. Renderers
translate it (Slack notifies the person with `<@U123>`; the console and, for now, Teams show `@name`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


class Style(enum.StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class ConfirmDialog:
    """Shown before a button takes effect; states exactly what is being confirmed."""

    title: str
    text: str
    confirm: str = "Confirm"
    deny: str = "Cancel"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str  # the intent it triggers, e.g. "confirm", "recheck", "open_form"
    value: str = ""  # the intent's argument, e.g. a check slug
    style: Style = Style.DEFAULT
    confirm: ConfirmDialog | None = None
    url: str | None = None  # a link button (e.g. the Intuit OAuth link) instead of an action


@dataclass(frozen=True, slots=True)
class Header:
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Context:
    """Small print: timestamps, who did what."""

    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class StatusRow:
    """One checklist line: an icon for the status, the title, and the one-line summary."""

    slug: str
    title: str
    status: str  # a checks.results.Status value
    summary: str
    cleared: bool
    position: int = 0


@dataclass(frozen=True, slots=True)
class Table:
    """Findings. `total_rows` may exceed len(rows): renderers say how many more there are."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total_rows: int = 0
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class Divider:
    pass


Block = Header | Text | Context | Fields | StatusRow | Table | Actions | Divider


@dataclass(frozen=True, slots=True)
class FileAttachment:
    filename: str
    content: bytes
    mimetype: str = "text/csv"
    title: str = ""


# U+E000 user id U+E001 name U+E002: Unicode private-use characters, never in what people or checks write.
MENTION = re.compile("\ue000(?P<user_id>[^\ue000-\ue002]+)\ue001(?P<name>[^\ue000-\ue002]*)\ue002")


@dataclass(frozen=True, slots=True)
class Mention:
    """A person named in text so that the platform notifies them (Slack `<@U123>`)."""

    user_id: str
    name: str

    @property
    def markup(self) -> str:
        clean = re.compile("[\ue000-\ue002\n]")
        name = clean.sub(" ", self.name).strip() or self.user_id
        return f"\ue000{clean.sub('', self.user_id)}\ue001{name}\ue002"


def replace_mentions(text: str, render: Callable[[Mention], str]) -> str:
    """Each mention's markup in `text`, rendered by the surface."""
    return MENTION.sub(lambda m: render(Mention(m.group("user_id"), m.group("name"))), text)


@dataclass(frozen=True)
class Stamp:
    """What a posted message is, so that a surface can find it again (Slack message `metadata`)."""

    event_type: str  # e.g. "preflight_reminder"
    payload: tuple[tuple[str, str], ...]  # e.g. (("checklist_id", "12"), ("slot", "2026-03-03T09:00:00+00:00"))

    def as_dict(self) -> dict[str, str]:
        return dict(self.payload)


@dataclass(frozen=True)
class Card:
    blocks: tuple[Block, ...]
    # What a notification or a screen reader shows: one plain sentence.
    fallback: str = ""
    attachments: tuple[FileAttachment, ...] = ()
    # Only the person who asked sees it (Slack ephemeral; Teams/console show it normally).
    private: bool = False
    # Replace the message this reply answers (e.g. "checking..." becomes the result).
    replace: bool = False
    # Posted with this stamp, where the surface can keep one (Slack message metadata).
    stamp: Stamp | None = None


# ---------------------------------------------------------------- forms (Slack modals, Teams Input.*)


@dataclass(frozen=True, slots=True)
class DateField:
    name: str
    label: str
    initial: date | None = None
    optional: bool = False
    hint: str = ""


@dataclass(frozen=True, slots=True)
class TextField:
    name: str
    label: str
    initial: str = ""
    optional: bool = False
    multiline: bool = False
    secret: bool = False  # never echoed back; rendered as a plain input that the surface does not log
    placeholder: str = ""
    hint: str = ""


@dataclass(frozen=True, slots=True)
class ChoiceField:
    name: str
    label: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    initial: str | None = None
    optional: bool = False
    hint: str = ""


@dataclass(frozen=True, slots=True)
class PersonField:
    """Pick one person of the workspace (Slack's user picker, Teams' people picker, a typed name in the
    console). The submitted value is the person's user id on that surface, never a mention."""

    name: str
    label: str
    optional: bool = False
    hint: str = ""


FormField = DateField | TextField | ChoiceField | PersonField


@dataclass(frozen=True)
class Form:
    """An input dialog. Submitting it sends the `submit_action` intent with the field values."""

    form_id: str  # e.g. "enable_date", "backup", "finale_credentials", "finale_balance", "not_applicable"
    title: str
    fields: tuple[FormField, ...]
    submit_action: str
    submit_label: str = "Save"
    intro: str = ""
    context: str = ""  # opaque value carried through (e.g. the check slug)


@dataclass
class Reply:
    """What the conversation answers to one intent: cards to post, possibly a form to open."""

    cards: list[Card] = field(default_factory=list)
    form: Form | None = None
    # Field errors for a submitted form: the surface shows them inline and keeps the form open.
    form_errors: dict[str, str] = field(default_factory=dict)
