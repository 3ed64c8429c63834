"""OAuth install, the QuickBooks connection from Slack, App Home, uninstall, and workspace isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.checklist.views import ScopeKey
from handlers.slack.app import BOT_SCOPES
from storage import models as db
from tests.handlers.slack.conftest import CHANNEL, TEAM, SlackHarness, link_of, query_of

OTHER = "T0OTHERCO"


async def test_install_stored_the_bot_token_encrypted(harness: SlackHarness) -> None:
    store = harness.slack.surface.installation_store
    assert store is not None
    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None and bot.bot_token and bot.bot_token.startswith("xoxb-")
    with harness.core.sessions() as session:
        raw = session.connection().exec_driver_sql("SELECT bot_token FROM slack_bots").scalar_one()
    assert raw != bot.bot_token and "xoxb" not in raw
    assert harness.api.last("oauth.v2.access").ok


async def test_connect_qbo_round_trip_state_is_single_use_and_expires(harness: SlackHarness) -> None:
    h = harness
    await h.command("start")
    await h.command("connect qbo")
    link = link_of(h.last_ephemeral())
    assert query_of(link)["state"]
    status, page = await h.connect_qbo(link)
    assert status == 200 and "Preflight is connected to <strong>Acme Outdoor Goods</strong>" in page
    assert "Dana connected Preflight to QuickBooks Online company *Acme Outdoor Goods*" in h.transcript()
    assert "Step 1 of 10: QuickBooks Online admin access" in h.messages()[-1].content
    view = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    assert view is not None and view.qbo_connected

    # The same callback again (a replay): refused with a page that says what to do.
    async with h.http.get(link, allow_redirects=False) as consent:
        replay = consent.headers["Location"]
    async with h.http.get(replay) as again:
        text = await again.text()
        assert again.status == 400 and "expired or was already used" in text and "Traceback" not in text

    # An expired link is refused the same way.
    await h.command("connect qbo")
    expired_link = link_of(h.last_ephemeral())
    with h.core.sessions.begin() as session:
        session.execute(update(db.OAuthState).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    status, page = await h.connect_qbo(expired_link)
    assert status == 400 and "expired or was already used" in page


async def test_qbo_callback_when_the_person_cancels(harness: SlackHarness) -> None:
    async with harness.http.get(harness.url + "/qbo/callback", params={"error": "access_denied"}) as page:
        assert page.status == 400 and "You cancelled in QuickBooks" in await page.text()


async def test_app_home_lists_the_teams_checklists_with_actions(harness: SlackHarness) -> None:
    h = harness
    await h.command("start Acme Outdoor Goods")
    await h.event({"type": "app_home_opened", "user": "U0DANA", "tab": "home", "event_ts": "1.1"})
    home = h.api.home_view("U0DANA")
    assert home is not None
    text = str(home["blocks"])
    assert "Preflight checklist · Acme Outdoor Goods" in text and "You are an owner" in text
    # A button on the Home tab acts on the checklist's channel.
    from tests.handlers.slack.conftest import Posted

    await h.press(Posted("", "", "", home["blocks"]), "next", home=True)
    assert "Step 1 of 10" in h.messages(CHANNEL)[-1].content
    # The Messages tab does not publish anything.
    before = len(h.api.calls("views.publish"))
    await h.event({"type": "app_home_opened", "user": "U0DANA", "tab": "messages", "event_ts": "1.2"})
    assert len(h.api.calls("views.publish")) == before


async def test_two_workspaces_never_see_each_others_checklists(harness: SlackHarness) -> None:
    h = harness
    await h.save_installation(OTHER, "xoxb-other-team")
    await h.command("start Acme Outdoor Goods")
    await h.command("status", team=OTHER)
    assert "no Preflight checklist yet" in h.last_ephemeral().content
    await h.command("start Other Co", team=OTHER)
    mine = h.core.service.find(ScopeKey("slack", TEAM, CHANNEL))
    theirs = h.core.service.find(ScopeKey("slack", OTHER, CHANNEL))
    assert mine and theirs and mine.id != theirs.id and theirs.company_label == "Other Co"
    # Each team's calls use its own bot token.
    tokens = {c.token for c in h.api.calls("chat.postMessage") if "Other Co" in c.args.get("text", "")}
    assert tokens == {"xoxb-other-team"}
    await h.event({"type": "app_home_opened", "user": "U0DANA", "tab": "home", "event_ts": "1.1"}, team=OTHER)
    home = str(h.api.home_view("U0DANA"))
    assert "Other Co" in home and "Acme Outdoor Goods" not in home


async def test_app_uninstalled_removes_the_installation(harness: SlackHarness) -> None:
    h = harness
    store = h.slack.surface.installation_store
    assert store is not None
    assert await store.async_find_bot(enterprise_id=None, team_id=TEAM) is not None
    response = await h.event({"type": "app_uninstalled", "event_ts": "1.1"})
    assert response.status == 200
    assert await store.async_find_bot(enterprise_id=None, team_id=TEAM) is None
    assert await store.async_find_installation(enterprise_id=None, team_id=TEAM) is None


async def test_tokens_revoked_removes_the_bot(harness: SlackHarness) -> None:
    h = harness
    store = h.slack.surface.installation_store
    assert store is not None
    await h.event({"type": "tokens_revoked", "tokens": {"bot": ["U0PREFLIGHT"]}, "event_ts": "1.1"})
    assert await store.async_find_bot(enterprise_id=None, team_id=TEAM) is None


def test_bot_scopes_match_the_manifest() -> None:
    import json
    from pathlib import Path

    manifest = json.loads((Path(__file__).parents[3] / "manifest/slack/manifest.json").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
