"""`preflight connect qbo` (browser consent with a loopback callback) and `preflight check` on the stored
connection, against the QBO simulator rotating refresh tokens about once a day, as Intuit does."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from preflight.main import app
from sandbox.generate import demo_company
from sandbox.runtime import SandboxRuntime
from storage.crypto import generate_key
from tests.bot.harness import today_for

DAY = 86400.0
BROWSER = Path(__file__).with_name("browser.py")
ROTATED = "QuickBooks issued a new refresh token"


@pytest.fixture
def runtime() -> Iterator[SandboxRuntime]:
    with SandboxRuntime(demo_company(today_for())) as rt:
        rt.qbo_state.rotate_after = DAY  # a refresh hands back the same token until it is a day old
        yield rt


@pytest.fixture
def env(runtime: SandboxRuntime, tmp_path: Path) -> Iterator[Path]:
    """The live settings, pointing at the simulators; QBO_REALM_ID and QBO_REFRESH_TOKEN deliberately unset."""
    finale = runtime.finale_access()
    values = {
        "QBO_CLIENT_ID": runtime.settings_overrides()["qbo_client_id"],
        "QBO_CLIENT_SECRET": runtime.settings_overrides()["qbo_client_secret"],
        "QBO_ENVIRONMENT": runtime.qbo_discovery_url,
        "QBO_API_BASE": runtime.qbo_api_base,
        "FINALE_ACCOUNT": finale.account,
        "FINALE_API_KEY": finale.api_key,
        "FINALE_API_SECRET": finale.api_secret,
        "FINALE_BASE_URL": finale.base_url,
        "FINALE_AVERAGE_COST_REPORT_URL": finale.report_urls["average_cost"],
        "FINALE_INVENTORY_VALUE_REPORT_URL": finale.report_urls["inventory_value"],
        "PREFLIGHT_SECRET_KEY": generate_key(),
        "PREFLIGHT_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'preflight.sqlite3'}",
        "BROWSER": f"{sys.executable} {BROWSER} %s",
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        for name in ("QBO_REALM_ID", "QBO_REFRESH_TOKEN", "QBO_REDIRECT_URI"):
            mp.delenv(name, raising=False)
        for name, value in values.items():
            mp.setenv(name, str(value))
        yield tmp_path / "preflight.sqlite3"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def check(runtime: SandboxRuntime, *extra: str) -> tuple[Result, dict[str, Any]]:
    enable = runtime.enable_date
    assert enable is not None
    finale_d1 = runtime.company.planted["finale_inventory_value_d1"]
    args = ("check", "--format", "json", "--enable-date", enable.isoformat(), "--finale-balance", f"{finale_d1:f}")
    result = run(*args, *extra, "admin-access", "opening-balance")
    return result, (json.loads(result.stdout) if result.stdout.strip() else {})


def test_connect_then_check_across_refresh_token_rotations(runtime: SandboxRuntime, env: Path) -> None:
    state, realm = runtime.qbo_state, runtime.realm_id
    planted = runtime.company.planted
    connected = run("connect", "qbo", "--port", "0")
    assert connected.exit_code == 0, connected.output
    assert f"{runtime.qbo_server.url}/authorize?" in connected.stdout  # the consent address, for any browser
    assert f"Connected QuickBooks Online company “{runtime.company.qbo.company_name}” (realm {realm})" in (
        connected.stdout
    )
    refresh = state.current_refresh_token(realm)
    assert refresh is not None
    raw = Path(env).read_bytes()
    assert refresh.encode() not in raw  # stored encrypted

    # 1. The stored access token still works: no token request, nothing said about tokens.
    requests_before = state.token_requests
    result, report = check(runtime)
    assert result.exit_code in (0, 1), result.output
    checks = {c["slug"]: c for c in report["checks"]}
    assert checks["opening-balance"]["amounts"] == {
        "qbo_balance": f"{planted['qbo_inventory_balance_d1']:f}",
        "finale_balance": f"{planted['finale_inventory_value_d1']:f}",
        "difference": f"{planted['opening_balance_difference']:f}",
    }
    assert checks["admin-access"]["status"] != "error"
    assert state.token_requests == requests_before and ROTATED not in result.stderr

    # 2. The access token expired; Intuit renews it with the same refresh token: nothing to announce.
    state.expire_access_tokens()
    result, report = check(runtime)
    assert {c["status"] for c in report["checks"]} != {"error"}
    assert state.token_requests == requests_before + 1 and ROTATED not in result.stderr
    assert state.current_refresh_token(realm) == refresh

    # 3. A day later Intuit rotates it: stored at once and announced once.
    state.advance_clock(2 * DAY)
    result, report = check(runtime)
    rotated = state.current_refresh_token(realm)
    assert rotated != refresh and " ".join(result.stderr.split()).count(ROTATED) == 1
    assert all(c["status"] != "error" for c in report["checks"]), report

    # 4. Two days on, the old refresh token is dead; the stored rotated one keeps the connection.
    state.advance_clock(2 * DAY)
    state.expire_access_tokens()
    result, report = check(runtime)
    assert all(c["status"] != "error" for c in report["checks"]), report
    with sqlite3.connect(env) as db:
        assert db.execute("SELECT count(*) FROM connections WHERE kind = 'qbo'").fetchone() == (1,)

    # 5. Revoked in QBO: one token request, then a clear message and no report.
    current = state.current_refresh_token(realm)
    assert current is not None
    state.revoke_refresh_token(current)
    state.expire_access_tokens()
    before = state.token_requests
    result, report = check(runtime)
    assert result.exit_code == 1 and report == {}
    assert "refused Preflight's connection" in result.stderr and "preflight connect qbo" in result.stderr
    assert state.token_requests == before + 1


def test_connect_refuses_a_foreign_answer_and_stores_nothing(runtime: SandboxRuntime, env: Path) -> None:
    """A browser that comes back without the sign-in's state (another tab, a forged link) connects nothing."""
    Path(env).parent.joinpath("forged.py").write_text(
        "import sys, requests\n"
        "from urllib.parse import parse_qsl, urlsplit, urlencode\n"
        "q = dict(parse_qsl(urlsplit(sys.argv[1]).query))\n"
        "requests.get(q['redirect_uri'] + '?' + urlencode({'code': 'x', 'state': 'forged', 'realmId': '1'}))\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BROWSER", f"{sys.executable} {Path(env).parent / 'forged.py'} %s")
        result = run("connect", "qbo", "--port", "0")
    assert result.exit_code == 1 and "does not belong to this sign-in" in result.stderr
    assert "Nothing was stored" in result.stderr
    with sqlite3.connect(env) as db:
        assert db.execute("SELECT count(*) FROM connections").fetchone() == (0,)


def test_connect_without_a_secret_key_says_what_to_set(runtime: SandboxRuntime, env: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PREFLIGHT_SECRET_KEY")
        result = run("connect", "qbo", "--port", "0", "--timeout", "1")
    assert result.exit_code == 2 and "PREFLIGHT_SECRET_KEY" in " ".join(result.stderr.split())


def test_the_rotation_note_for_an_environment_token_only_when_it_changed(runtime: SandboxRuntime, env: Path) -> None:
    state, realm = runtime.qbo_state, runtime.realm_id
    _access, refresh, _ = runtime.qbo_tokens()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PREFLIGHT_SECRET_KEY")  # no stored connection: QBO_REFRESH_TOKEN is used
        mp.setenv("QBO_REALM_ID", realm)
        mp.setenv("QBO_REFRESH_TOKEN", refresh)
        result, report = check(runtime)
        assert report and ROTATED not in result.stderr  # renewed, same refresh token
        state.advance_clock(2 * DAY)
        result, report = check(runtime)
        assert report and " ".join(result.stderr.split()).count(ROTATED) == 1
        assert "Update QBO_REFRESH_TOKEN" in " ".join(result.stderr.split())
    assert state.current_refresh_token(realm) != refresh
