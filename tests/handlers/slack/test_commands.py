"""`/preflight` sub-commands, sent as signed slash-command requests."""

from __future__ import annotations

from bot.checklist.views import ScopeKey
from tests.handlers.slack.conftest import CHANNEL, SAM, TEAM, SlackHarness, find_button


async def test_help_and_unknown_sub_commands_answer_privately(harness: SlackHarness) -> None:
    h = harness
    response = await h.command("help")
    assert response.status == 200
    assert "start [company name]" in h.last_ephemeral("U0DANA").content
    await h.command("frobnicate now")
    answer = h.last_ephemeral("U0DANA")
    assert "I don't know the command `frobnicate`" in answer.content
    assert "explain &lt;slug&gt;" in answer.content or "explain <slug>" in answer.content
    assert h.messages() == []  # nothing in the channel
    h.assert_everything_valid()


async def test_status_before_start_says_how_to_begin(harness: SlackHarness) -> None:
    await harness.command("status")
    assert "no Preflight checklist yet" in harness.last_ephemeral().content


async def test_start_status_next_explain_and_check(harness: SlackHarness) -> None:
    h = harness
    await h.command("start Acme Outdoor Goods")
    posted = h.messages()
    # The "checking…" placeholder became the introduction; then the checklist and the first step.
    assert posted[0].content.startswith("Preflight checklist started") and "Hi! I'm Preflight" in posted[0].content
    assert "0 of 10 cleared" in posted[1].content and "Step 1 of 10" in posted[2].content
    first_post = h.api.calls("chat.postMessage")[0]
    assert "Checking everything" in first_post.args["text"]
    assert h.api.calls("chat.update")[0].args["ts"] == posted[0].ts

    await h.command("status")
    assert "Preflight checklist · Acme Outdoor Goods" in h.messages()[-1].content
    await h.command("next")
    assert "Step 1 of 10: QuickBooks Online admin access" in h.messages()[-1].content
    await h.command("explain negative-qoh")
    explained = h.last_ephemeral()
    assert "No negative stock in Finale" in explained.content and "`negative-qoh`" in explained.content

    before = len(h.messages())
    await h.command("check negative-qoh")
    after = h.messages()
    assert len(after) == before + 1  # the placeholder, replaced in place by the step
    assert "No negative stock in Finale" in after[-1].content and "Checking" not in after[-1].text
    await h.command("check bogus-slug")
    assert "bogus-slug" in h.last_ephemeral().content
    assert len(h.messages()) == before + 1  # its "checking…" placeholder was removed again
    h.assert_everything_valid()


async def test_owners_add_resolves_the_mention_and_only_owners_may(harness: SlackHarness) -> None:
    h = harness
    await h.command("start")
    await h.command("owners add <@U0SAM>")
    assert "Sam is now an owner of this checklist." in h.messages()[-1].content
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None and view.is_owner("U0SAM")
    assert any(c.args.get("user") == "U0SAM" for c in h.api.calls("users.info"))

    await h.command("owners add <@U0DANA>", user=("U0ZED", "zed"))
    assert "Only owners of this checklist can add owners" in h.last_ephemeral("U0ZED").content


async def test_owners_add_with_a_plain_name_offers_the_user_picker(harness: SlackHarness) -> None:
    h = harness
    await h.command("start")
    await h.command("owners add @sam")
    offer = h.last_ephemeral()
    assert "pick the person" in offer.content
    await h.press(offer, "add_owner")
    modal = h.last_modal()
    assert modal["blocks"][0]["element"]["type"] == "users_select"
    # Sam is no owner yet: the form refuses him inline.
    response, body = await h.submit({"owner": "U0SAM"}, user=SAM)
    assert body is not None and "Only owners" in body["errors"]["owner"]
    response, body = await h.submit({"owner": "U0SAM"})
    assert body is None and "Sam is now an owner" in h.messages()[-1].content


async def test_a_second_start_keeps_the_checklist(harness: SlackHarness) -> None:
    h = harness
    await h.command("start Acme")
    await h.command("start Other name")
    assert "This channel already has a checklist for *Acme*" in h.transcript()
    assert find_button(h.messages()[-1].blocks, "next") is not None
