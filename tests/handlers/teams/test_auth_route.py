"""`POST /api/messages` checks who sent an activity with botbuilder's own JWT validation: only tokens the
(stand-in) Bot Framework signed for this bot are answered; anything else gets 401 and changes nothing."""

from __future__ import annotations

import aiohttp

from tests.handlers.teams.conftest import TeamsHarness


def _checklists(h: TeamsHarness) -> int:
    with h.core.sessions() as session:
        from sqlalchemy import func, select

        from storage.models import Checklist

        return int(session.scalar(select(func.count()).select_from(Checklist)) or 0)


async def test_a_valid_token_is_answered(harness: TeamsHarness) -> None:
    h = harness
    await h.say("start Acme Outdoor Goods")
    assert _checklists(h) == 1
    assert "Hi! I'm Preflight" in h.transcript()


async def test_bad_tokens_get_401_and_change_nothing(harness: TeamsHarness) -> None:
    h = harness
    activity = h.teams.message("start Acme", place=h.place)
    bad = {
        "expired": h.teams.sign_activity_token(expires_in=-600),
        "wrongly signed": h.teams.sign_activity_token(wrong_key=True),
        "wrong audience": h.teams.sign_activity_token(audience="00000000-0000-0000-0000-000000000bad"),
        "another service url": h.teams.sign_activity_token(service_url="https://smba.example.invalid/"),
    }
    for what, token in bad.items():
        status, body = await h.post(activity, token=token)
        assert status == 401, (what, body)
    async with h.http.post(h.url + "/api/messages", json=activity) as response:  # no Authorization at all
        assert response.status == 401
    await h.settle()
    assert _checklists(h) == 0
    assert h.records() == []


async def test_bodies_that_are_not_activities_never_give_500(harness: TeamsHarness) -> None:
    h = harness
    token = "Bearer " + h.teams.sign_activity_token()
    cases: list[tuple[bytes, str, int]] = [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b'{"text": "no type"}', "application/json", 400),
        (b"type=message", "application/x-www-form-urlencoded", 415),
    ]
    for body, content_type, expected in cases:
        headers = {"Content-Type": content_type, "Authorization": token}
        async with h.http.post(h.url + "/api/messages", data=body, headers=headers) as response:
            assert response.status == expected, (body, await response.text())
    async with aiohttp.ClientSession() as http, http.get(h.url + "/api/messages") as response:
        assert response.status == 405
    assert _checklists(h) == 0
