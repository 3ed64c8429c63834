"""The Slack stand-in, driven by slack_sdk: auth.test, tokens and scopes, and the OAuth install."""

from __future__ import annotations

from slack_sdk import WebClient

from sandbox.server import BackgroundServer
from sandbox.slack import DEFAULT_BOT_SCOPES, DEFAULT_TOKEN, SlackApiSandbox
from tests.sandbox.slack.payloads import error_of, slack_error

# ----------------------------------------------------------------------------------------- auth


def test_auth_test_identifies_the_bot_and_its_scopes(sandbox: SlackApiSandbox, client: WebClient) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["team_id"] == sandbox.team_id
    assert response["user_id"] == sandbox.bot_user_id
    assert response["bot_id"] == sandbox.bot_id
    assert response.headers["X-OAuth-Scopes"] == ",".join(DEFAULT_BOT_SCOPES)
    call = sandbox.last("auth.test")
    assert call.token == DEFAULT_TOKEN
    assert call.headers["Authorization"] == f"Bearer {DEFAULT_TOKEN}"


def test_unknown_missing_and_revoked_tokens(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    base = server.url + "/api/"
    assert slack_error(WebClient(token="xoxb-nope", base_url=base).auth_test) == "invalid_auth"
    assert slack_error(WebClient(base_url=base).auth_test) == "not_authed"
    sandbox.add_token("xoxb-other-team", team_id="T0OTHER", team_name="Kids' Café")
    other = WebClient(token="xoxb-other-team", base_url=base)
    assert other.auth_test()["team_id"] == "T0OTHER"
    sandbox.revoke_token("xoxb-other-team")
    assert slack_error(other.auth_test) == "token_revoked"


def test_missing_scope_names_the_scope(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    sandbox.add_token("xoxb-narrow", scopes=["commands", "chat:write"])
    narrow = WebClient(token="xoxb-narrow", base_url=server.url + "/api/")
    error = error_of(lambda: narrow.users_info(user="U0OWNER"))
    assert error.response["error"] == "missing_scope"
    assert error.response["needed"] == "users:read"


# ----------------------------------------------------------------------------------------- oauth


def test_oauth_install_issues_a_working_bot_token(sandbox: SlackApiSandbox, server: BackgroundServer) -> None:
    anonymous = WebClient(base_url=server.url + "/api/")
    installed = anonymous.oauth_v2_access(
        client_id=sandbox.client_id, client_secret=sandbox.client_secret, code="code-1"
    )
    assert installed["token_type"] == "bot"
    assert installed["access_token"].startswith("xoxb-")
    assert installed["team"] == {"id": sandbox.team_id, "name": sandbox.team_name}
    assert installed["scope"].split(",") == list(DEFAULT_BOT_SCOPES)
    bot = WebClient(token=installed["access_token"], base_url=server.url + "/api/")
    assert bot.auth_test()["team_id"] == sandbox.team_id

    again = error_of(
        lambda: anonymous.oauth_v2_access(
            client_id=sandbox.client_id, client_secret=sandbox.client_secret, code="code-1"
        )
    )
    assert again.response["error"] == "invalid_code"
    wrong = error_of(
        lambda: anonymous.oauth_v2_access(client_id=sandbox.client_id, client_secret="nope", code="code-2")
    )
    assert wrong.response["error"] == "bad_client_secret"
