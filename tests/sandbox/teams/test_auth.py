"""Tokens from the Teams stand-in, checked by botbuilder's own validation (ConfigurationBotFrameworkAuthentication
→ JwtTokenExtractor against the stand-in's OpenID metadata), not by a re-implementation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from sandbox.teams import CHANNEL_TOKEN_ISSUER, TeamsSandbox


@pytest.fixture(scope="module")
def teams() -> Iterator[TeamsSandbox]:
    with TeamsSandbox() as sandbox:
        yield sandbox


def authentication(teams: TeamsSandbox, **config: Any) -> ConfigurationBotFrameworkAuthentication:
    return ConfigurationBotFrameworkAuthentication(teams.bot_config(**config))


def activity(teams: TeamsSandbox, **kw: Any) -> Activity:
    return Activity().deserialize(teams.message("status", **kw))


def test_metadata_and_keys_are_published(teams: TeamsSandbox) -> None:
    metadata = requests.get(teams.openid_metadata_url, timeout=5).json()
    assert metadata["issuer"] == CHANNEL_TOKEN_ISSUER
    keys = requests.get(metadata["jwks_uri"], timeout=5).json()["keys"]
    assert [(k["kid"], k["alg"], k["endorsements"]) for k in keys] == [(teams.issuer.kid, "RS256", ["msteams"])]


async def test_a_token_signed_by_the_stand_in_is_accepted(teams: TeamsSandbox) -> None:
    result = await authentication(teams).authenticate_request(activity(teams), "Bearer " + teams.sign_activity_token())
    claims = result.claims_identity.claims
    assert result.claims_identity.is_authenticated
    assert claims["aud"] == teams.app_id and claims["serviceurl"] == teams.service_url
    assert claims["iss"] == CHANNEL_TOKEN_ISSUER
    assert result.audience == "https://api.botframework.com"  # where the bot's replies are addressed


async def test_a_token_within_the_clock_skew_is_accepted(teams: TeamsSandbox) -> None:
    # botbuilder allows 5 minutes of skew; one minute past expiry still passes.
    token = teams.sign_activity_token(expires_in=-60)
    assert await authentication(teams).authenticate_request(activity(teams), "Bearer " + token)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("expired", jwt.ExpiredSignatureError),
        ("wrong key", jwt.InvalidSignatureError),
        ("wrong audience", PermissionError),
        ("wrong service url", PermissionError),
        ("wrong issuer", PermissionError),
        ("not a bearer token", PermissionError),
        ("missing", PermissionError),
    ],
)
async def test_bad_tokens_are_refused(teams: TeamsSandbox, case: str, error: type[Exception]) -> None:
    header: str | None = {
        "expired": lambda: "Bearer " + teams.sign_activity_token(expires_in=-3600),
        "wrong key": lambda: "Bearer " + teams.sign_activity_token(wrong_key=True),
        "wrong audience": lambda: "Bearer " + teams.sign_activity_token(audience="another-bot"),
        "wrong service url": lambda: "Bearer " + teams.sign_activity_token(service_url="https://smba.example/"),
        "wrong issuer": lambda: "Bearer " + teams.sign_activity_token(issuer="https://sts.example/"),
        "not a bearer token": lambda: "Basic " + teams.sign_activity_token(),
        "missing": lambda: None,
    }[case]()
    with pytest.raises(error):
        await authentication(teams).authenticate_request(activity(teams), header)


async def test_a_key_endorsed_for_teams_only_is_refused_for_another_channel(teams: TeamsSandbox) -> None:
    other = activity(teams)
    other.channel_id = "slack"
    with pytest.raises(Exception, match="endorsement"):
        await authentication(teams).authenticate_request(other, "Bearer " + teams.sign_activity_token())


async def test_with_no_app_id_authentication_is_disabled(teams: TeamsSandbox) -> None:
    # The local no-auth mode (Agents Playground): no header is needed, and none is checked.
    result = await authentication(teams, app_id="", app_password="").authenticate_request(activity(teams), None)
    assert result.claims_identity.is_authenticated and result.claims_identity.claims == {}
