"""Render Preflight's neutral Forms as Adaptive Cards 1.5 with inputs, and read what was submitted.

Teams has no modal for a bot message, so a form is a card in the conversation (it can also be the content of
a dialog/task module). Its submit button is an `Action.Execute` with verb = the form's `submit_action` and
data = {"action": submit_action, "value": context, "form_id", "context"}; Teams merges the inputs into that
data, keyed by field name. For field errors the surface renders the same form again with `errors` (shown in
red under each field) and `values` (what was typed, secrets excepted), which keeps the form open.

Inputs:
- DateField → `Input.Date` (value YYYY-MM-DD).
- TextField → `Input.Text`; a secret uses `style: "password"` (in the AC 1.5 schema's TextInputStyle) and is
  never given a value, so a stored key is not sent back to the client.
- ChoiceField → `Input.ChoiceSet`, expanded (radio buttons) up to five options, a dropdown beyond.
- PersonField → Teams' own people picker is `Input.ChoiceSet` with `choices.data` of type `Data.Query`
  (dataset `graph.microsoft.com/users`), which the Adaptive Cards 1.5 schema does not define (Input.ChoiceSet
  allows no extra properties; Data.Query arrived with 1.6), so a card using it fails validation. Instead:
  given `people` (e.g. the conversation's members from `TeamsInfo.get_paged_members`: their Bot Framework
  user id and name), a dropdown of those people whose submitted value is the chosen user id; without them,
  an `Input.Text` for the person's name or email address, which the conversation resolves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.cards import ChoiceField, DateField, Form, FormField, PersonField, Style, TextField
from handlers.teams.elements import TITLE_MAX, adaptive_card, execute_action, text_block
from handlers.teams.markdown import escape, to_markdown, to_plain, truncate

RESERVED_NAMES = frozenset({"action", "value", "form_id", "context", "msteams"})
EXPANDED_CHOICES_MAX = 5
CHOICES_MAX = 100
PERSON_TEXT_PLACEHOLDER = "Their name or email address"


def form_data(form: Form) -> dict[str, str]:
    """The data the submit button carries besides the inputs."""
    return {"action": form.submit_action, "value": form.context, "form_id": form.form_id, "context": form.context}


def _input(field: FormField, value: str | None, people: Sequence[tuple[str, str]] | None) -> dict[str, Any]:
    base: dict[str, Any] = {"id": field.name, "label": to_plain(field.label), "isRequired": not field.optional}
    if isinstance(field, DateField):
        element = {"type": "Input.Date", **base, "errorMessage": "Pick a date."}
        initial = value if value is not None else (field.initial.isoformat() if field.initial else None)
        if initial:
            element["value"] = initial
        return element
    if isinstance(field, TextField):
        element = {"type": "Input.Text", **base, "errorMessage": "This is required."}
        if field.multiline:
            element["isMultiline"] = True
        if field.secret:
            element["style"] = "password"  # and never a value: secrets are not echoed back
        else:
            initial = value if value is not None else field.initial
            if initial:
                element["value"] = initial
        if field.placeholder:
            element["placeholder"] = field.placeholder
        return element
    if isinstance(field, PersonField):
        if not people:
            element = {"type": "Input.Text", **base, "placeholder": PERSON_TEXT_PLACEHOLDER}
            if value:
                element["value"] = value
            return element
        choices = [{"title": name, "value": user_id} for user_id, name in people[:CHOICES_MAX]]
        element = {"type": "Input.ChoiceSet", **base, "choices": choices, "style": "compact"}
        element["placeholder"] = "Pick a person"
        if value in {c["value"] for c in choices}:
            element["value"] = value
        return element
    if not field.options or len(field.options) > CHOICES_MAX:
        raise ValueError(f"choice {field.name!r} needs 1 to {CHOICES_MAX} options")
    choices = [{"title": to_plain(label), "value": option} for option, label in field.options]
    element = {
        "type": "Input.ChoiceSet",
        **base,
        "choices": choices,
        "style": "expanded" if len(choices) <= EXPANDED_CHOICES_MAX else "compact",
        "errorMessage": "Choose one.",
    }
    initial = value if value is not None else field.initial
    if initial in {c["value"] for c in choices}:
        element["value"] = initial
    return element


def render_form(
    form: Form,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str | None] | None = None,
    people: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """An Adaptive Card 1.5 holding the form's inputs and its submit button (see the module docstring).

    `errors` and `values` re-render a submitted form with field errors; `people` are (user id, name) pairs
    for person fields.
    """
    for field in form.fields:
        if field.name in RESERVED_NAMES:
            raise ValueError(f"form field name {field.name!r} clashes with the submit button's data")
    errors = errors or {}
    values = values or {}
    body: list[dict[str, Any]] = [
        text_block(escape(to_plain(form.title)), size="Medium", weight="Bolder", style="heading")
    ]
    if form.intro.strip():
        body.append(text_block(to_markdown(form.intro)))
    general = errors.get("") or errors.get("__all__")
    if general:
        body.append(text_block(escape(general), color="Attention"))
    for field in form.fields:
        echoed = None if isinstance(field, TextField) and field.secret else values.get(field.name)
        body.append(_input(field, echoed, people))
        if field.hint:
            body.append(text_block(to_markdown(field.hint), isSubtle=True, size="Small", spacing="None"))
        if field.name in errors:
            body.append(text_block(escape(errors[field.name]), color="Attention", size="Small", spacing="None"))
    submit = execute_action(
        truncate(to_plain(form.submit_label), TITLE_MAX) or "Save",
        form.submit_action,
        form_data(form),
        style=Style.PRIMARY,
        inputs=True,
    )
    return adaptive_card(body, fallback=to_plain(form.title), actions=[submit])


def read_form_values(form: Form, data: Mapping[str, Any]) -> dict[str, str | None]:
    """The submitted value of every field of `form`, None when left empty (or not one of a choice's options).

    `data` is the Action.Execute data (`invoke value["action"]["data"]`), an Action.Submit message's `value`,
    or the invoke value itself.
    """
    inner = data.get("action")
    if isinstance(inner, Mapping) and isinstance(inner.get("data"), Mapping):
        data = inner["data"]
    result: dict[str, str | None] = {}
    for field in form.fields:
        value = data.get(field.name)
        if not isinstance(value, str):
            result[field.name] = None
            continue
        if not (isinstance(field, TextField) and (field.multiline or field.secret)):
            value = value.strip()
        if isinstance(field, ChoiceField) and value not in {option for option, _ in field.options}:
            value = ""
        result[field.name] = value if value.strip() else None
    return result
