"""Owners in Teams are people by Azure AD object id: picked from the conversation's members in a form card,
or @mentioned in `owners add`. Nobody else's confirmation counts."""

from __future__ import annotations

from bot.checklist.views import ScopeKey
from tests.handlers.teams.conftest import PLACE, RAJ, TeamsHarness

SCOPE = ScopeKey("teams", PLACE.tenant_id, str(PLACE.channel_id))


async def test_an_owner_is_picked_from_the_members(harness: TeamsHarness) -> None:
    h = harness
    await h.say("start Acme Outdoor Goods")
    await h.say("owners")
    await h.press(h.last_with("Add an owner"), "add_owner")
    form = h.messages()[-1]  # the form card, just posted
    picker = next(e for e in form.card["body"] if e.get("id") == "owner")
    assert {c["value"] for c in picker["choices"]} >= {RAJ.aad_object_id}  # the conversation's members
    await h.press(form, "submit_add_owner", inputs={"owner": RAJ.aad_object_id})
    assert "Raj Patel is now an owner" in h.transcript()
    view = h.core.service.find(SCOPE)
    assert view is not None and view.is_owner(RAJ.aad_object_id)


async def test_a_person_who_is_not_a_member_is_refused_in_the_form(harness: TeamsHarness) -> None:
    h = harness
    await h.say("start Acme Outdoor Goods")
    await h.say("owners")
    await h.press(h.last_with("Add an owner"), "add_owner")
    form = h.messages()[-1]  # the form card, just posted
    await h.press(form, "submit_add_owner", inputs={"owner": "someone-else@example.com"})
    assert "Pick the person to add." in h.messages()[-1].text  # the form again, with the error under it
    view = h.core.service.find(SCOPE)
    assert view is not None and [o.name for o in view.owners] == ["Dana Whitfield"]


async def test_owners_add_with_a_teams_mention(harness: TeamsHarness) -> None:
    h = harness
    await h.say("start Acme Outdoor Goods")
    activity = h.teams.message("owners add <at>Raj Patel</at>", place=h.place)
    activity["entities"].append(
        {"type": "mention", "text": "<at>Raj Patel</at>", "mentioned": {"id": RAJ.id, "name": RAJ.name}}
    )
    status, body = await h.post(activity)
    assert status == 201, body
    await h.settle()
    assert "Raj Patel is now an owner" in h.transcript()
    view = h.core.service.find(SCOPE)
    assert view is not None and view.is_owner(RAJ.aad_object_id)  # the mention's id, resolved to the AAD id
