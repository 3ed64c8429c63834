"""Cards as terminal text: numbered buttons, status labels, tables, links."""

from __future__ import annotations

from bot.cards import Actions, Button, Card, Context, Divider, Fields, FileAttachment, Header, StatusRow, Table, Text
from handlers.console.render import plain, render_card, render_table


def test_plain_drops_emphasis_and_spells_out_links() -> None:
    assert plain("**Nothing was changed.** See [the guide](https://example.com/a)") == (
        "Nothing was changed. See the guide (https://example.com/a)"
    )


def test_buttons_are_numbered_from_the_first_number() -> None:
    card = Card(
        blocks=(
            Header("Step 3 of 10: **Deactivate**"),
            Text("Why it matters"),
            Actions((Button("I understand", "acknowledge", "deactivation|1.00"), Button("Re-check", "recheck"))),
            Actions((Button("Connect", "connect_link", url="http://127.0.0.1/authorize"),)),
        ),
        attachments=(FileAttachment("items.csv", b"a,b\n1,2\n"),),
    )
    rendered = render_card(card, first_number=4)
    assert [b.action for b in rendered.buttons] == ["acknowledge", "recheck", "connect_link"]
    lines = rendered.text.splitlines()
    assert "== Step 3 of 10: Deactivate ==" in lines
    assert "   [4] I understand" in lines and "   [5] Re-check" in lines
    assert "   [6] Connect -> http://127.0.0.1/authorize" in lines
    assert "  (attached: items.csv, 8 bytes)" in lines


def test_status_rows_fields_context_and_divider() -> None:
    card = Card(
        blocks=(
            StatusRow("deactivation", "Deactivate", "warn", "moves 1.00 USD", cleared=True, position=3),
            StatusRow("backup", "Backup", "needs_input", "No backup", cleared=False, position=10),
            StatusRow("x", "Unknown", "weird", "?", cleared=False),
            Fields((("Enable date", "Sun 1 Nov 2026"), ("D-1", "Sat 31 Oct 2026"))),
            Context("Checked now"),
            Divider(),
        )
    )
    lines = render_card(card).text.splitlines()
    assert " 3. [!] Deactivate — acknowledged" in lines
    assert "10. [?] Backup — waiting for you" in lines
    assert "  [?] Unknown — weird" in lines
    assert "  Enable date : Sun 1 Nov 2026" in lines and "  D-1         : Sat 31 Oct 2026" in lines
    assert "  (Checked now)" in lines and "  " + "-" * 40 in lines


def test_tables_truncate_long_cells_and_say_how_many_more() -> None:
    table = Table(("Name", "Qty"), (("x" * 60, "1,200"), ("short", "-3")), total_rows=12, caption="Findings")
    lines = render_table(table)
    assert lines[0] == "  Findings:"
    assert lines[2].startswith("  " + "x" * 47 + "…")
    assert lines[-1] == "  … and 10 more"


def test_a_mention_shows_the_name() -> None:
    from bot.cards import Card, Context, Mention
    from handlers.console.render import render_card

    card = Card(blocks=(Context(f"owners: {Mention('U0DANA', 'Dana').markup}"),))
    assert render_card(card).text == "  (owners: @Dana)"
