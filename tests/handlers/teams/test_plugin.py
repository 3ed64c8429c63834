"""How the Teams surface is switched on: real Azure settings, the announced local mode, and configuration
errors that name what to set; `preflight teams-package` builds the app package from the settings."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from typer.testing import CliRunner

from bot.app import build_core
from bot.server import create_app
from bot.settings import Settings, with_overrides
from bot.sources import LiveSources
from bot.surfaces import ServeOptions, SurfaceConfigurationError
from handlers.teams.plugin import TeamsPlugin
from preflight.main import app
from sandbox.teams import TeamsSandbox
from storage.crypto import generate_key

APP_ID = "3f6c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def settings(tmp_path: Path, **values: object) -> Settings:
    base = Settings.model_validate({})
    return with_overrides(
        base,
        {
            "data_dir": tmp_path,
            "database_url": f"sqlite:///{tmp_path / 'preflight.sqlite3'}",
            "secret_key": generate_key(),
            **values,
        },
    )


def test_teams_is_off_unless_asked_for_and_incomplete_settings_name_what_is_missing(tmp_path: Path) -> None:
    plugin = TeamsPlugin()
    core = build_core(settings(tmp_path), LiveSources(settings(tmp_path)))
    assert plugin.build(core, settings(tmp_path), ServeOptions()) is None
    with pytest.raises(SurfaceConfigurationError, match="MicrosoftAppTenantId"):
        plugin.build(core, settings(tmp_path, microsoft_app_id=APP_ID, microsoft_app_password="s"), ServeOptions())
    with pytest.raises(SurfaceConfigurationError, match="MicrosoftAppPassword"):
        plugin.build(core, settings(tmp_path, microsoft_app_id=APP_ID, microsoft_app_tenant_id="t"), ServeOptions())
    core.sessions.kw["bind"].dispose()


async def test_local_mode_answers_without_a_token_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with TeamsSandbox(require_auth=False) as teams:
        local = settings(tmp_path, teams_enabled=True)
        core = build_core(local, LiveSources(local))
        surface = TeamsPlugin().build(core, local, ServeOptions())
        assert surface is not None
        server = TestServer(create_app(core, [surface]), host="127.0.0.1")
        with caplog.at_level("WARNING"):
            await server.start_server()
        assert "LOCAL MODE" in caplog.text
        try:
            async with aiohttp.ClientSession() as http:
                activity = teams.message("help", mention_bot=False)
                async with http.post(str(server.make_url("/api/messages")), json=activity) as response:
                    assert response.status == 201
            await surface.tasks.idle()  # type: ignore[attr-defined]
            sent = teams.connector.wait_for(1)
            assert "start" in json.dumps(sent[0].activity)
        finally:
            await server.close()
            core.sessions.kw["bind"].dispose()


def test_teams_package_fills_in_the_app_id_and_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MicrosoftAppId", APP_ID)
    monkeypatch.setenv("PREFLIGHT_PUBLIC_URL", "https://preflight.example.com")
    result = CliRunner().invoke(app, ["teams-package", "-o", str(tmp_path / "pkg.zip")])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(BytesIO((tmp_path / "pkg.zip").read_bytes())) as package:
        assert set(package.namelist()) == {"manifest.json", "color.png", "outline.png"}
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == APP_ID
    assert "preflight.example.com" in manifest["validDomains"]


def test_teams_package_without_an_app_id_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    result = CliRunner().invoke(app, ["teams-package"])
    assert result.exit_code == 2 and "MicrosoftAppId" in result.output
    assert not (tmp_path / "preflight-teams.zip").exists()
