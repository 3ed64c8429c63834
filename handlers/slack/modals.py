"""Render Preflight's neutral Forms as Slack modals, read what was submitted, and build the App Home view.

Modals: `client.views_open(trigger_id=..., view=render_modal(form))`; on submission
`read_form_values(body["view"], form)` and, for field errors, `ack(**form_errors_response(errors))`.
App Home: `client.views_publish(user_id=..., view=render_home(cards))`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import InputInteractiveElement
from slack_sdk.models.views import View

from bot.cards import Card, DateField, Form, FormField, PersonField, StatusRow, TextField
from handlers.slack.render import (
    ACTION_PREFIX,
    FIELD_MAX,
    HEADER_MAX,
    MODAL_TITLE_MAX,
    OPTION_LABEL_MAX,
    PLACEHOLDER_MAX,
    PRIVATE_METADATA_MAX,
    RADIO_MAX_OPTIONS,
    SECTION_MAX,
    SELECT_MAX_OPTIONS,
    VIEW_MAX_BLOCKS,
    fit_blocks,
    render_block,
    section_block,
    split_mrkdwn,
    status_line,
    to_mrkdwn,
    to_plain,
    truncate,
)

# --------------------------------------------------------------------------------------- forms


def callback_id_for(form_id: str) -> str:
    return f"{ACTION_PREFIX}{form_id}"


def form_id_of(callback_id: str) -> str | None:
    """The form_id behind a Preflight modal's callback_id, else None."""
    if not callback_id.startswith(ACTION_PREFIX):
        return None
    return callback_id[len(ACTION_PREFIX) :] or None


def _input_element(field: FormField) -> InputInteractiveElement:
    if isinstance(field, DateField):
        return DatePickerElement(
            action_id=field.name,
            initial_date=field.initial.isoformat() if field.initial else None,
            placeholder=PlainTextObject(text="Pick a date"),
        )
    if isinstance(field, PersonField):
        return UserSelectElement(action_id=field.name, placeholder=PlainTextObject(text="Pick a person"))
    if isinstance(field, TextField):
        return PlainTextInputElement(
            action_id=field.name,
            # Secrets are never echoed back into a form.
            initial_value=None if field.secret or not field.initial else field.initial,
            multiline=field.multiline or None,
            placeholder=PlainTextObject(text=truncate(field.placeholder, PLACEHOLDER_MAX))
            if field.placeholder
            else None,
        )
    options = [
        Option(value=value, text=PlainTextObject(text=truncate(to_plain(label), OPTION_LABEL_MAX)))
        for value, label in field.options
    ]
    if not options or len(options) > SELECT_MAX_OPTIONS:
        raise ValueError(f"choice {field.name!r} needs 1 to {SELECT_MAX_OPTIONS} options")
    initial = next((o for o in options if o.value == field.initial), None)
    if len(options) <= RADIO_MAX_OPTIONS:
        return RadioButtonsElement(action_id=field.name, options=options, initial_option=initial)
    return StaticSelectElement(
        action_id=field.name,
        options=options,
        initial_option=initial,
        placeholder=PlainTextObject(text="Choose one"),
    )


def render_modal(form: Form, *, private_metadata: str | None = None) -> dict[str, Any]:
    """A modal view dict: callback_id "preflight:<form_id>"; each input's block_id and action_id: its name.

    `private_metadata` defaults to the form's context; a surface that needs more (the channel the form
    belongs to) passes its own encoding of both.
    """
    metadata = form.context if private_metadata is None else private_metadata
    if len(metadata) > PRIVATE_METADATA_MAX:
        raise ValueError(f"form context exceeds Slack's {PRIVATE_METADATA_MAX}-character private_metadata")
    blocks: list[dict[str, Any]] = [section_block(chunk) for chunk in split_mrkdwn(to_mrkdwn(form.intro), SECTION_MAX)]
    for field in form.fields:
        blocks.append(
            InputBlock(
                block_id=field.name,
                label=PlainTextObject(text=truncate(to_plain(field.label), FIELD_MAX)),
                element=_input_element(field),
                hint=PlainTextObject(text=truncate(to_plain(field.hint), FIELD_MAX)) if field.hint else None,
                optional=field.optional,
            ).to_dict()
        )
    view = View(
        type="modal",
        callback_id=callback_id_for(form.form_id),
        title=PlainTextObject(text=truncate(to_plain(form.title), MODAL_TITLE_MAX)),
        submit=PlainTextObject(text=truncate(to_plain(form.submit_label), MODAL_TITLE_MAX)),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks[:VIEW_MAX_BLOCKS],
        private_metadata=metadata,
    )
    return view.to_dict()


def read_form_values(view_state: Mapping[str, Any], form: Form) -> dict[str, str | None]:
    """The submitted value of every field of `form`, None when left empty.

    `view_state` is the `view` of a view_submission payload, its `state`, or `state["values"]`-holding
    dict: `{"values": {block_id: {action_id: {...}}}}`.
    """
    values = view_state["values"] if "values" in view_state else (view_state.get("state") or {}).get("values") or {}
    result: dict[str, str | None] = {}
    for field in form.fields:
        entry = (values.get(field.name) or {}).get(field.name) or {}
        value: Any
        if isinstance(field, DateField):
            value = entry.get("selected_date")
        elif isinstance(field, TextField):
            value = entry.get("value")
        elif isinstance(field, PersonField):
            value = entry.get("selected_user")
        else:
            value = (entry.get("selected_option") or {}).get("value")
        result[field.name] = value if isinstance(value, str) and value != "" else None
    return result


def form_errors_response(errors: Mapping[str, str]) -> dict[str, Any]:
    """`ack(**form_errors_response({"enable_date": "..."}))`: Slack shows each message under its input."""
    return {
        "response_action": "errors",
        "errors": {name: truncate(message, FIELD_MAX) for name, message in errors.items()},
    }


# ---------------------------------------------------------------------------------------- home


def render_home(items: Sequence[Card | StatusRow], *, title: str = "Preflight checklist") -> dict[str, Any]:
    """The App Home tab: a header, then each card (or checklist line), within Slack's 100 blocks."""
    tagged: list[tuple[str, dict[str, Any]]] = []
    if title:
        tagged.append(("header", HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_MAX))).to_dict()))
    for i, item in enumerate(items):
        if isinstance(item, StatusRow):
            tagged.append(("status", section_block(status_line(item))))
            continue
        if i > 0:
            tagged.append(("divider", DividerBlock().to_dict()))
        csv_attached = any(a.filename.lower().endswith(".csv") for a in item.attachments)
        for block in item.blocks:
            tagged.extend(render_block(block, csv_attached=csv_attached))
    if not tagged:
        tagged.append(("text", section_block("Nothing to show yet. Type `/preflight start` in a channel.")))
    return View(type="home", blocks=fit_blocks(tagged, VIEW_MAX_BLOCKS)).to_dict()
