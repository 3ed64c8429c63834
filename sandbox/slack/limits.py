"""Slack's limits on blocks, views and messages, with its error messages (`response_metadata.messages`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_MAX_TEXT = 40_000


def _pointer(path: str) -> str:
    return f"[json-pointer:{path}]"


def _text_errors(obj: Any, path: str, *, max_len: int, plain_only: bool = False, required: bool = True) -> list[str]:
    if obj is None:
        return [f"[ERROR] missing required field: {path.rsplit('/', 1)[-1]} {_pointer(path)}"] if required else []
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"[ERROR] must be a text object {_pointer(path)}"]
    if plain_only and obj["type"] != "plain_text":
        return [f"[ERROR] must be plain_text {_pointer(path + '/type')}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters {_pointer(path + '/text')}"]
    if len(text) > max_len:
        return [f"[ERROR] must be less than {max_len + 1} characters {_pointer(path + '/text')}"]
    return []


def _confirm_errors(confirm: Any, path: str) -> list[str]:
    if confirm is None:
        return []
    if not isinstance(confirm, dict):
        return [f"[ERROR] must be an object {_pointer(path)}"]
    errors = _text_errors(confirm.get("title"), path + "/title", max_len=100, plain_only=True)
    errors += _text_errors(confirm.get("text"), path + "/text", max_len=300)
    errors += _text_errors(confirm.get("confirm"), path + "/confirm", max_len=30, plain_only=True)
    errors += _text_errors(confirm.get("deny"), path + "/deny", max_len=30, plain_only=True)
    if confirm.get("style") not in (None, "primary", "danger"):
        errors.append(f"[ERROR] must be primary or danger {_pointer(path + '/style')}")
    return errors


def _option_errors(options: Any, path: str, *, max_items: int) -> list[str]:
    if not isinstance(options, list) or not options:
        return [f"[ERROR] must provide at least 1 option {_pointer(path)}"]
    if len(options) > max_items:
        return [f"[ERROR] must be less than {max_items + 1} items {_pointer(path)}"]
    errors: list[str] = []
    values: set[str] = set()
    for i, option in enumerate(options):
        p = f"{path}/{i}"
        errors += _text_errors(option.get("text") if isinstance(option, dict) else None, p + "/text", max_len=75)
        value = option.get("value") if isinstance(option, dict) else None
        if not isinstance(value, str) or not value or len(value) > 150:
            errors.append(f"[ERROR] must be 1 to 150 characters {_pointer(p + '/value')}")
        elif value in values:
            errors.append(f"[ERROR] duplicate option value {_pointer(p + '/value')}")
        else:
            values.add(value)
    return errors


def _element_errors(element: Any, path: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"[ERROR] must be an object {_pointer(path)}"]
    kind = element.get("type")
    errors: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or not 0 < len(action_id) <= 255):
        errors.append(f"[ERROR] must be 1 to 255 characters {_pointer(path + '/action_id')}")
    errors += _confirm_errors(element.get("confirm"), path + "/confirm")
    if kind == "button":
        errors += _text_errors(element.get("text"), path + "/text", max_len=75, plain_only=True)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            errors.append(f"[ERROR] must be less than 2001 characters {_pointer(path + '/value')}")
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > 3000):
            errors.append(f"[ERROR] must be less than 3001 characters {_pointer(path + '/url')}")
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(f"[ERROR] must be primary or danger {_pointer(path + '/style')}")
    elif kind == "datepicker":
        initial = element.get("initial_date")
        if initial is not None and not (isinstance(initial, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", initial)):
            errors.append(f"[ERROR] must match YYYY-MM-DD {_pointer(path + '/initial_date')}")
        errors += _text_errors(element.get("placeholder"), path + "/placeholder", max_len=150, required=False)
    elif kind == "plain_text_input":
        errors += _text_errors(element.get("placeholder"), path + "/placeholder", max_len=150, required=False)
        initial = element.get("initial_value")
        if initial is not None and (not isinstance(initial, str) or len(initial) > 3000):
            errors.append(f"[ERROR] must be less than 3001 characters {_pointer(path + '/initial_value')}")
    elif kind in ("static_select", "radio_buttons"):
        errors += _option_errors(
            element.get("options"), path + "/options", max_items=100 if kind == "static_select" else 10
        )
        initial = element.get("initial_option")
        options = element.get("options")
        if initial is not None and (not isinstance(options, list) or initial not in options):
            errors.append(f"[ERROR] must be one of the options {_pointer(path + '/initial_option')}")
    elif kind not in (
        "checkboxes",
        "overflow",
        "users_select",
        "conversations_select",
        "channels_select",
        "timepicker",
        "datetimepicker",
        "image",
        "email_text_input",
        "url_text_input",
        "number_input",
    ):
        errors.append(f"[ERROR] unsupported element type {_pointer(path + '/type')}")
    return errors


def _block_errors(block: Any, path: str, *, surface: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"[ERROR] must be an object {_pointer(path)}"]
    kind = block.get("type")
    errors: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or not 0 < len(block_id) <= 255):
        errors.append(f"[ERROR] must be 1 to 255 characters {_pointer(path + '/block_id')}")
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            errors.append(f"[ERROR] must provide either text or fields {_pointer(path)}")
        if text is not None:
            errors += _text_errors(text, path + "/text", max_len=3000)
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                errors.append(f"[ERROR] must be less than 11 items {_pointer(path + '/fields')}")
            else:
                for i, f in enumerate(fields):
                    errors += _text_errors(f, f"{path}/fields/{i}", max_len=2000)
        if block.get("accessory") is not None:
            errors += _element_errors(block["accessory"], path + "/accessory")
    elif kind == "header":
        errors += _text_errors(block.get("text"), path + "/text", max_len=150, plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(f"[ERROR] must provide at least 1 element {_pointer(path + '/elements')}")
        elif len(elements) > 10:
            errors.append(f"[ERROR] must be less than 11 items {_pointer(path + '/elements')}")
        else:
            for i, e in enumerate(elements):
                if isinstance(e, dict) and e.get("type") == "image":
                    continue
                errors += _text_errors(e, f"{path}/elements/{i}", max_len=3000)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(f"[ERROR] must provide at least 1 element {_pointer(path + '/elements')}")
        elif len(elements) > 25:
            errors.append(f"[ERROR] must be less than 26 items {_pointer(path + '/elements')}")
        else:
            seen: set[str] = set()
            for i, e in enumerate(elements):
                errors += _element_errors(e, f"{path}/elements/{i}")
                action_id = e.get("action_id") if isinstance(e, dict) else None
                if isinstance(action_id, str):
                    if action_id in seen:
                        where = _pointer(f"{path}/elements/{i}/action_id")
                        errors.append(f"[ERROR] action_id must be unique in a block {where}")
                    seen.add(action_id)
    elif kind == "input":
        if surface == "message":
            errors.append(f"[ERROR] input blocks are only allowed in views {_pointer(path + '/type')}")
        errors += _text_errors(block.get("label"), path + "/label", max_len=2000, plain_only=True)
        errors += _text_errors(block.get("hint"), path + "/hint", max_len=2000, plain_only=True, required=False)
        if block.get("element") is None:
            errors.append(f"[ERROR] missing required field: element {_pointer(path)}")
        else:
            errors += _element_errors(block["element"], path + "/element")
    elif kind in ("divider", "image", "rich_text", "markdown", "file", "video"):
        pass
    else:
        errors.append(f"[ERROR] unsupported type: {kind} {_pointer(path + '/type')}")
    return errors


def validate_blocks(blocks: Any, *, surface: str = "message", path: str = "/blocks") -> list[str]:
    """Slack's limit errors for a list of blocks ([] when Slack would accept it).

    `surface` is "message" (≤ 50 blocks), "modal" or "home" (≤ 100 blocks). Messages are in Slack's
    `response_metadata.messages` shape: "[ERROR] must be less than 51 items [json-pointer:/blocks]".
    """
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array {_pointer(path)}"]
    limit = MESSAGE_MAX_BLOCKS if surface == "message" else VIEW_MAX_BLOCKS
    if len(blocks) > limit:
        return [f"[ERROR] must be less than {limit + 1} items {_pointer(path)}"]
    errors: list[str] = []
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        errors += _block_errors(block, f"{path}/{i}", surface=surface)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in block_ids:
                errors.append(f"[ERROR] block_id must be unique {_pointer(f'{path}/{i}/block_id')}")
            block_ids.add(block_id)
    return errors


def validate_view(view: Any) -> list[str]:
    """Slack's errors for a modal or Home tab view ([] when Slack would accept it)."""
    if not isinstance(view, dict):
        return [f"[ERROR] must be an object {_pointer('/view')}"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"[ERROR] must be modal or home {_pointer('/view/type')}"]
    errors: list[str] = []
    blocks = view.get("blocks")
    if kind == "modal":
        errors += _text_errors(view.get("title"), "/view/title", max_len=24, plain_only=True)
        errors += _text_errors(view.get("submit"), "/view/submit", max_len=24, plain_only=True, required=False)
        errors += _text_errors(view.get("close"), "/view/close", max_len=24, plain_only=True, required=False)
        has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            errors.append(f"[ERROR] submit is required when a view has input blocks {_pointer('/view/submit')}")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        value = view.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.append(f"[ERROR] must be less than {limit + 1} characters {_pointer('/view/' + key)}")
    errors += validate_blocks(blocks if blocks is not None else [], surface=kind, path="/view/blocks")
    return errors


def validate_message(args: Mapping[str, Any]) -> str | None:
    """The error Slack answers for a chat.postMessage-like payload, or None when it would post."""
    text = args.get("text")
    blocks = args.get("blocks")
    attachments = args.get("attachments")
    if isinstance(text, str) and len(text) > MESSAGE_MAX_TEXT:
        return "msg_too_long"
    if blocks is not None and validate_blocks(blocks):
        return "invalid_blocks"
    if not text and not blocks and not attachments:
        return "no_text"
    return None
