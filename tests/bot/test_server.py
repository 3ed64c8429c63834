"""The shared aiohttp server: health check, the Intuit callback's pages, and which Slack routes exist."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import Core, build_core
from bot.server import create_app, page
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from handlers.slack.app import SlackConfigurationError, build_slack_app
from storage.crypto import generate_key


def _settings(tmp_path: Path, **extra: object) -> Settings:
    values = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'preflight.sqlite3'}",
        "secret_key": generate_key(),
        **extra,
    }
    return with_overrides(Settings.model_validate({}), values)


@pytest.fixture
def core(tmp_path: Path) -> Core:
    settings = _settings(tmp_path)
    return build_core(settings, LiveSources(settings))


@pytest.fixture
async def server(core: Core) -> AsyncIterator[str]:
    running = TestServer(create_app(core), host="127.0.0.1")
    await running.start_server()
    yield str(running.make_url("")).rstrip("/")
    await running.close()


async def test_healthz_reports_the_database(server: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(server + "/healthz") as response:
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "ok" and body["database"] == "ok"
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ({}, 400, "This link is incomplete"),
        ({"error": "access_denied", "state": "x"}, 400, "You cancelled in QuickBooks"),
        ({"error": "server_error"}, 400, "QuickBooks refused"),
        ({"code": "c", "state": "never-issued", "realmId": "123"}, 400, "expired or was already used"),
    ],
)
async def test_qbo_callback_pages_say_what_happened(server: str, query: dict[str, str], status: int, says: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(server + "/qbo/callback", params=query) as response:
        text = await response.text()
    assert response.status == status
    assert says in text and "Traceback" not in text
    assert response.content_type == "text/html"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_without_slack_there_are_no_slack_routes(server: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(server + "/slack/events", data=b"{}") as response:
        assert response.status in (404, 405)


def test_page_escapes_its_title() -> None:
    response = page(400, "<script>", "ok")
    assert response.text is not None and "<script>" not in response.text.split("<body")[0].split("<title>")[1]


def test_slack_needs_a_signing_secret_in_http_mode(tmp_path: Path, core: Core) -> None:
    with pytest.raises(SlackConfigurationError, match="SLACK_SIGNING_SECRET"):
        build_slack_app(core, _settings(tmp_path, slack_bot_token="xoxb-1"))
    with pytest.raises(SlackConfigurationError, match="SLACK_BOT_TOKEN"):
        build_slack_app(core, _settings(tmp_path, slack_signing_secret="s"))
    with pytest.raises(SlackConfigurationError, match="SLACK_APP_TOKEN"):
        build_slack_app(core, _settings(tmp_path, slack_bot_token="xoxb-1"), socket_mode=True)


async def test_socket_mode_serves_no_slack_http_endpoint(tmp_path: Path, core: Core) -> None:
    settings = _settings(tmp_path, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
    slack = build_slack_app(core, settings, socket_mode=True)
    running = TestServer(create_app(core, [slack]), host="127.0.0.1")
    await running.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(str(running.make_url("/slack/events")), data=b"{}") as response:
                assert response.status in (404, 405)
            async with http.get(str(running.make_url("/healthz"))) as response:
                assert response.status == 200
    finally:
        await running.close()


async def test_single_workspace_http_mode_has_no_install_route(tmp_path: Path, core: Core) -> None:
    settings = _settings(tmp_path, slack_bot_token="xoxb-1", slack_signing_secret="s")
    slack = build_slack_app(core, settings)
    assert not slack.oauth
    running = TestServer(create_app(core, [slack]), host="127.0.0.1")
    await running.start_server()
    try:
        async with aiohttp.ClientSession() as http, http.get(str(running.make_url("/slack/install"))) as response:
            assert response.status == 404
    finally:
        await running.close()
