"""Cards and Forms rendered as Block Kit that Slack accepts: checked by the Slack stand-in's limit
validation, by slack_sdk's own Block Kit models, and by posting through a real WebClient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from bot.cards import (
    Actions,
    Button,
    Card,
    ChoiceField,
    ConfirmDialog,
    Context,
    DateField,
    Divider,
    Fields,
    FileAttachment,
    Form,
    Header,
    StatusRow,
    Style,
    Table,
    Text,
    TextField,
)
from handlers.slack.modals import form_errors_response, form_id_of, read_form_values, render_home, render_modal
from handlers.slack.render import (
    STATUS_EMOJI,
    action_pattern,
    escape,
    fallback_text,
    file_uploads,
    fit_keeping_amounts,
    parse_action_id,
    render_blocks,
    render_message,
    render_response,
    status_line,
    to_mrkdwn,
)
from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_TOKEN, SlackApiSandbox, validate_blocks, validate_view

NASTY = "Kids' Café <Mug> & Co <!channel>"


@pytest.fixture(scope="module")
def slack() -> Iterator[tuple[SlackApiSandbox, BackgroundServer]]:
    sandbox = SlackApiSandbox()
    with BackgroundServer(sandbox.app) as server:
        yield sandbox, server


@pytest.fixture
def client(slack: tuple[SlackApiSandbox, BackgroundServer]) -> WebClient:
    return WebClient(token=DEFAULT_TOKEN, base_url=slack[1].url + "/api/")


def assert_valid_message(message: dict[str, Any]) -> None:
    """Accepted by the stand-in's limits and by slack_sdk's models; the fallback text is always there."""
    assert message["text"].strip()
    assert len(message["text"]) <= 40_000
    assert validate_blocks(message["blocks"]) == []
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        assert parsed.to_dict() == block


def assert_valid_view(view: dict[str, Any]) -> None:
    assert validate_view(view) == []
    View(**view).validate_json()


def sections_text(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn text object's text, wherever it sits: the only place Slack parses mentions."""
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for value in node.values() for t in mrkdwn_texts(value)]
    return []


def checklist_card(rows: int = 12) -> Card:
    statuses = ["pass", "fail", "warn", "needs_input", "not_applicable", "error"]
    return Card(
        blocks=(
            Header(f"Preflight for {NASTY}"),
            Text("**3 of 12 cleared.** See [Finale's article](https://support.finaleinventory.com/a?x=1&y=2)."),
            Divider(),
            *(
                StatusRow(
                    slug=f"check-{i}",
                    title=f"Check {i} for {NASTY}",
                    status=statuses[i % len(statuses)],
                    summary=f"Summary {i}: **bold** and `code`",
                    cleared=statuses[i % len(statuses)] in ("pass", "not_applicable"),
                    position=i + 1,
                )
                for i in range(rows)
            ),
            Fields((("Enable date", "2025-01-01"), ("Owner", NASTY))),
            Context("Checked 2 minutes ago by <@U0OWNER>"),
            Actions(
                (
                    Button("Re-check", "recheck", "all", Style.PRIMARY),
                    Button("Next", "next"),
                    Button("Connect QBO", "connect", url="https://appcenter.intuit.com/connect/oauth2?a=1&b=2"),
                )
            ),
        ),
        fallback=f"Preflight: 3 of 12 cleared for {NASTY}",
    )


# ------------------------------------------------------------------------------------- escaping


def test_user_text_renders_literally_and_cannot_ping() -> None:
    assert escape(NASTY) == "Kids' Café &lt;Mug&gt; &amp; Co &lt;!channel&gt;"
    assert to_mrkdwn(NASTY) == escape(NASTY)
    rendered = render_message(checklist_card())
    mrkdwn = [rendered["text"], *mrkdwn_texts(rendered["blocks"])]
    assert len(mrkdwn) > 10
    assert not any("<!channel>" in t for t in mrkdwn)
    assert not any("<@U0OWNER>" in t for t in mrkdwn)  # a mention written in text stays text
    assert "&lt;!channel&gt;" in rendered["text"]
    # Plain-text fields (header, button labels) are shown verbatim by Slack, so they are not escaped.
    assert rendered["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"Preflight for {NASTY}"},
    }


def test_neutral_markup_becomes_mrkdwn() -> None:
    assert to_mrkdwn("**Backup** first") == "*Backup* first"
    assert to_mrkdwn("[Finale](https://x.test/a?b=1&c=2)") == "<https://x.test/a?b=1&amp;c=2|Finale>"
    assert to_mrkdwn("- one\n- two") == "• one\n• two"
    assert to_mrkdwn("`**raw** <x>`") == "`**raw** &lt;x&gt;`"
    # Only web and mail links become links; anything else stays literal text.
    assert to_mrkdwn("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert to_mrkdwn("_italic_") == "_italic_"


# ------------------------------------------------------------------------------------ status rows


@pytest.mark.parametrize(
    ("status", "cleared", "emoji", "note"),
    [
        ("pass", True, ":white_check_mark:", False),
        ("fail", False, ":x:", False),
        ("warn", False, ":warning:", False),
        ("warn", True, ":white_check_mark:", True),
        ("needs_input", False, ":memo:", False),
        ("not_applicable", True, ":heavy_minus_sign:", False),
        ("error", False, ":no_entry:", False),
    ],
)
def test_status_rows(status: str, cleared: bool, emoji: str, note: bool) -> None:
    row = StatusRow("deactivation", "Deactivate <items>", status, "Moves **$1,234.00**", cleared, position=3)
    line = status_line(row)
    assert line.startswith(f"{emoji} 3. *Deactivate &lt;items&gt;*")
    assert line.endswith("\nMoves *$1,234.00*")
    assert ("acknowledged" in line) is note
    assert set(STATUS_EMOJI) == {"pass", "fail", "warn", "needs_input", "not_applicable", "error"}


# ------------------------------------------------------------------------------- whole messages


def test_checklist_message_is_valid_and_posts(
    slack: tuple[SlackApiSandbox, BackgroundServer], client: WebClient
) -> None:
    message = render_message(checklist_card())
    assert_valid_message(message)
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "divider", *["section"] * 12, "section", "context", "actions"]
    posted = client.chat_postMessage(channel="C0BOOKS", **message)
    assert slack[0].message("C0BOOKS", posted["ts"])["blocks"] == message["blocks"]  # type: ignore[index]


def test_buttons_action_ids_values_styles_and_links() -> None:
    card = Card(
        blocks=(
            Actions(
                (
                    Button("Confirm backup", "confirm", "backup", Style.PRIMARY),
                    Button("Confirm admin", "confirm", "admin-access"),
                    Button("Mark N/A", "not_applicable", "other-apps", Style.DANGER),
                    Button("Open QBO", "open", url="https://qbo.intuit.com/app/items"),
                )
            ),
        )
    )
    message = render_message(card)
    assert_valid_message(message)
    elements = message["blocks"][0]["elements"]
    ids = [e["action_id"] for e in elements]
    assert ids == ["preflight:confirm", "preflight:confirm:1", "preflight:not_applicable", "preflight:open"]
    assert [parse_action_id(i) for i in ids] == ["confirm", "confirm", "not_applicable", "open"]
    assert all(action_pattern("confirm").match(i) for i in ids[:2])
    assert not action_pattern("confirm").match("preflight:confirmed")
    assert parse_action_id("someone-else:confirm") is None
    assert [e.get("value") for e in elements] == ["backup", "admin-access", "other-apps", None]
    assert [e.get("style") for e in elements] == ["primary", None, "danger", None]
    assert elements[3]["url"] == "https://qbo.intuit.com/app/items"


def test_more_than_25_buttons_split_into_blocks() -> None:
    buttons = tuple(Button(f"Assign {i}", "assign", f"slug-{i}") for i in range(30))
    blocks = render_blocks(Card(blocks=(Actions(buttons),)))
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    assert validate_blocks(blocks) == []


def test_confirm_dialog_keeps_the_amount_within_slacks_limits() -> None:
    amount = "$12,345.67"
    long_text = (
        "Deactivating these 14 inventory items in QuickBooks Online books their remaining value as an "
        "expense. "
        * 4
        + f"Total moved from Inventory Asset to Inventory Shrinkage: {amount}. "
        + "Put it back with a manual journal entry unless Finale pushes from the beginning of time. " * 2
    )
    dialog = ConfirmDialog(
        title=f"Acknowledge moving {amount} out of Inventory Asset for {NASTY} and all its subsidiaries",
        text=long_text,
        confirm=f"Yes, I acknowledge {amount} moves",
        deny="No, cancel and keep the items active",
    )
    card = Card(blocks=(Actions((Button("Acknowledge", "acknowledge", "deactivation", Style.DANGER, dialog),)),))
    message = render_message(card)
    assert_valid_message(message)
    confirm = message["blocks"][0]["elements"][0]["confirm"]
    assert len(long_text) > 300
    assert len(confirm["text"]["text"]) <= 300
    assert amount in confirm["text"]["text"]
    assert len(confirm["title"]["text"]) <= 100
    assert amount in confirm["title"]["text"]
    assert len(confirm["confirm"]["text"]) <= 30
    assert len(confirm["deny"]["text"]) <= 30
    assert confirm["style"] == "danger"


def test_fit_keeping_amounts_when_the_amount_is_buried_in_one_long_sentence() -> None:
    text = "x" * 400 + f" {Decimal('5.00')} USD " + "y" * 400
    fitted = fit_keeping_amounts(text, 300)
    assert len(fitted) <= 300
    assert "5.00 USD" in fitted
    assert fit_keeping_amounts("short", 300) == "short"


def test_long_table_is_summarised_within_limits_and_points_to_the_csv(
    slack: tuple[SlackApiSandbox, BackgroundServer], client: WebClient
) -> None:
    rows = tuple((f"SKU-{i:05d}", f"{NASTY} item {i}", f"{i * 3.5:,.2f}") for i in range(5000))
    card = Card(
        blocks=(
            Header("Items to deactivate"),
            Table(("SKU", "Name", "Value"), rows, total_rows=5200, caption="Active inventory items in QBO"),
        ),
        attachments=(FileAttachment("deactivate.csv", b"sku\n"),),
    )
    message = render_message(card)
    assert_valid_message(message)
    assert len(message["blocks"]) <= 50
    assert all(len(t) <= 3000 for t in sections_text(message["blocks"]))
    table = sections_text(message["blocks"])[0]
    shown = len(re.findall(r"^SKU-\d{5}", table, flags=re.MULTILINE))
    assert shown > 10
    note = message["blocks"][-1]["elements"][0]["text"]
    assert note == f"…and {5200 - shown:,} more — see the attached CSV."
    assert "&lt;Mug&gt;" in table and "<Mug>" not in table
    assert client.chat_postMessage(channel="C0BOOKS", **message)["ok"]


def test_short_table_is_complete_and_aligned() -> None:
    card = Card(blocks=(Table(("SKU", "Qty"), (("A-1", "3"), ("LONGER-SKU", "12"))),))
    (block,) = render_blocks(card)
    assert block["text"]["text"] == "```\nSKU         Qty\n----------  ---\nA-1         3\nLONGER-SKU  12\n```"


def test_oversized_card_never_exceeds_50_blocks(
    slack: tuple[SlackApiSandbox, BackgroundServer], client: WebClient
) -> None:
    many = tuple(StatusRow(f"c{i}", f"Check {i}", "fail", "Something to fix. " * 5, False, i + 1) for i in range(120))
    tables = tuple(Table(("A", "B"), tuple((str(j), "x" * 30) for j in range(300))) for _ in range(4))
    card = Card(
        blocks=(
            Header("Everything"),
            Text("y" * 10_000),
            *[b for row in many for b in (row, Divider())],
            *tables,
            Actions((Button("Re-check", "recheck", "all"),)),
        )
    )
    message = render_message(card)
    assert len(message["blocks"]) <= 50
    assert_valid_message(message)
    assert all(len(t) <= 3000 for t in sections_text(message["blocks"]))
    assert message["blocks"][-1]["type"] == "actions"  # the buttons survive the summarising
    assert client.chat_postMessage(channel="C0BOOKS", **message)["ok"]


def test_status_rows_are_merged_before_anything_is_dropped() -> None:
    rows = tuple(StatusRow(f"c{i}", f"Check {i}", "pass", "Fine.", True, i + 1) for i in range(60))
    blocks = render_blocks(Card(blocks=rows))
    # About 40 characters a row: all 60 fit in one section of at most 3000 characters.
    assert len(blocks) == 1
    joined = "\n".join(sections_text(blocks))
    assert all(f"*Check {i}*" in joined for i in range(60))


def test_long_text_is_split_not_lost() -> None:
    paragraph = "\n".join(f"Line {i}: " + "z" * 90 for i in range(100))
    blocks = render_blocks(Card(blocks=(Text(paragraph),)))
    texts = sections_text(blocks)
    assert len(texts) > 1
    assert all(len(t) <= 3000 for t in texts)
    assert "\n".join(texts) == paragraph


def test_fallback_text_is_always_set() -> None:
    assert fallback_text(Card(blocks=())) == "Preflight"
    assert fallback_text(Card(blocks=(Header("**Status**"),))) == "*Status*"
    assert fallback_text(Card(blocks=(), fallback="a" * 50_000)).endswith("…")
    assert len(fallback_text(Card(blocks=(), fallback="&" * 50_000))) <= 40_000
    empty = render_message(Card(blocks=(Text(""), Context("  "), Header(""))))
    assert empty == {"text": "Preflight", "blocks": []}


def test_response_url_payload(slack: tuple[SlackApiSandbox, BackgroundServer]) -> None:
    sandbox, server = slack
    card = Card(blocks=(Text("Checking…"),), private=True, replace=True)
    payload = render_response(card)
    assert payload["response_type"] == "ephemeral"
    assert payload["replace_original"] is True
    url = sandbox.new_response_url(server.url)
    assert WebhookClient(url).send(**payload).status_code == 200
    assert sandbox.response_posts(url)[0]["blocks"] == payload["blocks"]
    assert render_response(Card(blocks=()))["response_type"] == "in_channel"


def test_csv_attachments_upload_with_files_upload_v2(
    slack: tuple[SlackApiSandbox, BackgroundServer], client: WebClient
) -> None:
    csv = "sku,name\nMUG-1,Kids' Café <Mug> & Co\n".encode()
    card = Card(blocks=(), attachments=(FileAttachment("deactivate.csv", csv, title="Items to deactivate"),))
    response = client.files_upload_v2(channel="C0BOOKS", file_uploads=file_uploads(card))
    assert response["file"]["title"] == "Items to deactivate"
    assert slack[0].file(response["file"]["id"]).content == csv


# ---------------------------------------------------------------------------------------- forms


def enable_date_form() -> Form:
    return Form(
        form_id="enable_date",
        title="Set the enable date for Finale",
        fields=(
            DateField("enable_date", "Enable date", initial=date(2025, 1, 1), hint="On or after the close date"),
            TextField("notes", "Notes", initial="Books closed", multiline=True, optional=True),
            TextField("api_secret", "Finale API secret", initial="s3cr3t", secret=True, placeholder="Paste it"),
            ChoiceField("revenue", "Does Finale post revenue?", (("yes", "Yes"), ("no", "No"))),
            ChoiceField(
                "account",
                "Shrinkage account",
                tuple((f"acct-{i}", f"Account {i} <{i}>") for i in range(8)),
                initial="acct-3",
                optional=True,
            ),
        ),
        submit_action="set_enable_date",
        intro=f"Finale pushes transactions dated on or after this date for **{NASTY}**.",
        context="checklist=42;slug=enable-date",
    )


def test_modal_is_valid_and_opens(slack: tuple[SlackApiSandbox, BackgroundServer], client: WebClient) -> None:
    view = render_modal(enable_date_form())
    assert_valid_view(view)
    assert view["type"] == "modal"
    assert view["callback_id"] == "preflight:enable_date"
    assert form_id_of(view["callback_id"]) == "enable_date"
    assert form_id_of("other:enable_date") is None
    assert view["private_metadata"] == "checklist=42;slug=enable-date"
    assert len(view["title"]["text"]) <= 24
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["element"]["action_id"]) for b in inputs] == [
        (n, n) for n in ("enable_date", "notes", "api_secret", "revenue", "account")
    ]
    elements = {b["block_id"]: b["element"] for b in inputs}
    assert elements["enable_date"]["type"] == "datepicker"
    assert elements["enable_date"]["initial_date"] == "2025-01-01"
    assert elements["notes"] == {
        "type": "plain_text_input",
        "action_id": "notes",
        "initial_value": "Books closed",
        "multiline": True,
    }
    assert "initial_value" not in elements["api_secret"]  # a secret is never echoed back
    assert elements["revenue"]["type"] == "radio_buttons"
    assert elements["account"]["type"] == "static_select"
    assert elements["account"]["initial_option"]["value"] == "acct-3"
    assert [b.get("optional", False) for b in inputs] == [False, True, False, False, True]
    assert "&lt;Mug&gt;" in view["blocks"][0]["text"]["text"]
    opened = client.views_open(trigger_id=slack[0].new_trigger_id(), view=view)
    assert opened["view"]["callback_id"] == "preflight:enable_date"


def test_form_round_trip_through_a_view_submission_state() -> None:
    form = enable_date_form()
    view = render_modal(form)
    # The shape Slack sends in view_submission: view.state.values[block_id][action_id].
    submitted_view = {
        **view,
        "id": "V0FORM",
        "state": {
            "values": {
                "enable_date": {"enable_date": {"type": "datepicker", "selected_date": "2025-02-01"}},
                "notes": {"notes": {"type": "plain_text_input", "value": None}},
                "api_secret": {"api_secret": {"type": "plain_text_input", "value": "new-secret"}},
                "revenue": {
                    "revenue": {
                        "type": "radio_buttons",
                        "selected_option": {"text": {"type": "plain_text", "text": "No"}, "value": "no"},
                    }
                },
                "account": {"account": {"type": "static_select", "selected_option": None}},
            }
        },
    }
    expected = {
        "enable_date": "2025-02-01",
        "notes": None,
        "api_secret": "new-secret",
        "revenue": "no",
        "account": None,
    }
    assert read_form_values(submitted_view, form) == expected
    assert read_form_values(submitted_view["state"], form) == expected
    assert read_form_values({"values": {}}, form) == dict.fromkeys(expected)


def test_form_errors_are_keyed_by_block_id() -> None:
    view = render_modal(enable_date_form())
    response = form_errors_response({"enable_date": "Pick a date on or after the close date, 2024-12-31."})
    assert response["response_action"] == "errors"
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert set(response["errors"]) <= block_ids
    assert response["errors"]["enable_date"].startswith("Pick a date")


def test_form_context_too_long_for_private_metadata_is_refused() -> None:
    form = Form("backup", "Backup", (), "confirm_backup", context="x" * 3001)
    with pytest.raises(ValueError, match="private_metadata"):
        render_modal(form)


# ----------------------------------------------------------------------------------------- home


def test_home_view_within_100_blocks_and_publishes(
    slack: tuple[SlackApiSandbox, BackgroundServer], client: WebClient
) -> None:
    rows = [StatusRow(f"c{i}", f"Check {i}", "warn", "Look at it.", i % 2 == 0, i + 1) for i in range(12)]
    small = render_home(rows)
    assert_valid_view(small)
    assert small["type"] == "home"
    assert [b["type"] for b in small["blocks"]] == ["header", *["section"] * 12]

    big = render_home([checklist_card(rows=40) for _ in range(5)])
    assert len(big["blocks"]) <= 100
    assert_valid_view(big)
    client.views_publish(user_id="U0OWNER", view=big)
    assert slack[0].home_view("U0OWNER")["blocks"] == big["blocks"]  # type: ignore[index]

    assert_valid_view(render_home([], title=""))
