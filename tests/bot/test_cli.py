"""`preflight` on the command line: check (sandbox, JSON and text, exit codes), db upgrade, secret-key, demo."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from checks.registry import registry
from preflight.main import app
from sandbox.generate import demo_company
from storage.crypto import SecretBox
from storage.db import head_revision
from tests.bot.harness import today_for

LIVE_SETTINGS = (
    "QBO_CLIENT_ID",
    "QBO_CLIENT_SECRET",
    "QBO_REALM_ID",
    "QBO_REFRESH_TOKEN",
    "FINALE_ACCOUNT",
    "FINALE_API_KEY",
    "FINALE_API_SECRET",
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty directory with no .env and none of the live settings in the environment."""
    path = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(path)
        for name in (*LIVE_SETTINGS, "DATABASE_URL", "PREFLIGHT_SECRET_KEY", "QBO_API_BASE", "QBO_ENVIRONMENT"):
            mp.delenv(name, raising=False)
        mp.setenv("PREFLIGHT_DATA_DIR", str(path / "data"))
        yield path


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def json_report(workdir: Path) -> tuple[Result, dict[str, Any]]:
    result = run("check", "--sandbox", "--format", "json")
    return result, json.loads(result.stdout)


def test_check_sandbox_json_shape_and_figures(json_report: tuple[Result, dict[str, Any]]) -> None:
    result, report = json_report
    assert result.exit_code == 1  # something fails
    today = today_for()
    planted = demo_company(today).planted
    assert set(report) == {"company", "date", "checks"}
    assert report["company"] == "Acme Outdoor Goods" and report["date"] == today.isoformat()
    assert [c["slug"] for c in report["checks"]] == registry.slugs()
    keys = {"slug", "id", "title", "status", "summary", "hint", "pending", "findings", "amounts"}
    for check in report["checks"]:
        assert set(check) == keys
        assert check["title"] == registry.get(check["slug"]).title
        assert check["id"] in registry.get(check["slug"]).all_outcomes()
        for value in check["amounts"].values():
            assert isinstance(value, str) and Decimal(value) == Decimal(value).quantize(Decimal("0.01"))
        for finding in check["findings"]:
            assert finding["amount"] is None or isinstance(finding["amount"], str)
    checks = {c["slug"]: c for c in report["checks"]}
    assert checks["deactivation"]["amounts"] == {"total_to_expense": f"{planted['total_to_expense']:f}"}
    assert [f["id"] for f in checks["deactivation"]["findings"]] == [r["id"] for r in planted["items_to_deactivate"]]
    assert checks["opening-balance"]["amounts"] == {
        "qbo_balance": f"{planted['qbo_inventory_balance_d1']:f}",
        "finale_balance": f"{planted['finale_inventory_value_d1']:f}",
        "difference": f"{planted['opening_balance_difference']:f}",
    }
    negative = {(f["id"], f["quantity"]) for f in checks["negative-qoh"]["findings"]}
    assert negative == {(r["product_id"], f"{r['qty']}") for r in planted["negative_stock"]}
    orders = [f["id"] for f in checks["revenue-invoices"]["findings"] if f["kind"] == "sales_order"]
    assert sorted(orders) == sorted(i for ids in planted["orders_without_invoice"].values() for i in ids)
    assert checks["admin-access"]["pending"] == "confirm" and checks["backup"]["pending"] == "backup"
    assert (checks["admin-access"]["id"], checks["deactivation"]["id"], checks["backup"]["id"]) == (
        "admin-access.N001",
        "deactivation.F001",
        "backup.N001",
    )


def test_check_sandbox_text(workdir: Path) -> None:
    result = run("check", "--sandbox", "deactivation", "backup")
    assert result.exit_code == 1
    planted = demo_company(today_for()).planted
    total = planted["total_to_expense"]
    assert "Preflight report · Acme Outdoor Goods" in result.stdout
    assert f"{total:,.2f} USD" in result.stdout and "1. Deactivate QBO inventory items" in result.stdout
    assert "2. Fresh QBO backup" in result.stdout and "(needs_input)" in result.stdout
    assert "What to do:" in result.stdout


def test_check_with_the_finale_balance_gives_the_opening_figures_and_the_drafted_entry(workdir: Path) -> None:
    planted = demo_company(today_for()).planted
    typed = Decimal("12345.67")
    qbo_d1 = planted["qbo_inventory_balance_d1"]
    difference = typed - qbo_d1
    args = ("check", "--sandbox", "--finale-balance", "12,345.67", "--offset-account", "Opening Balance Equity")
    result = run(*args, "--format", "json", "opening-balance")
    assert result.exit_code == 1, result.output  # the balances differ: the entry is still to be posted
    (opening,) = json.loads(result.stdout)["checks"]
    assert opening["amounts"] == {
        "qbo_balance": f"{qbo_d1:f}",
        "finale_balance": f"{typed:f}",
        "difference": f"{difference:f}",
    }
    (entry,) = [f for f in opening["findings"] if f["kind"] == "journal_entry"]
    assert Decimal(entry["amount"]) == abs(difference)
    accounts = {entry["extra"]["debit_account"], entry["extra"]["credit_account"]}
    assert "Opening Balance Equity" in accounts and len(accounts) == 2
    assert "as entered by an owner" in opening["summary"]
    text = run(*args, "opening-balance")
    assert f"{abs(difference):,.2f}" in text.stdout and "Journal entry" in text.stdout
    assert "Opening Balance Equity" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "--sandbox", "--finale-balance", "-5.00"), "cannot be negative"),
        (("check", "--sandbox", "--finale-balance", "(5.00)"), "cannot be negative"),
        (("check", "--sandbox", "--finale-balance", "12.345"), "more than two decimals"),
        (("check", "--sandbox", "--finale-balance", "5", "--offset-account", "E" * 3000), "at most 100"),
        (("check", "--finale-balance", "5"), "give --enable-date"),
    ],
)
def test_bad_balances_exit_2_and_check_nothing(workdir: Path, args: tuple[str, ...], message: str) -> None:
    before = sorted(workdir.rglob("*"))
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in " ".join(result.stderr.split())
    assert sorted(workdir.rglob("*")) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "--sandbox", "--enable-date", "2026-02-30"), "is not a date"),
        (("check", "--enable-date", "next month"), "is not a date"),
        (("check", "--sandbox", "--revenue", "maybe"), "must be yes or no"),
        (("check", "--sandbox", "no-such-check"), "There is no check called 'no-such-check'"),
    ],
)
def test_bad_arguments_exit_2_and_check_nothing(workdir: Path, args: tuple[str, ...], message: str) -> None:
    before = sorted(workdir.rglob("*"))
    result = run(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert sorted(workdir.rglob("*")) == before


def test_missing_live_configuration_exits_2_naming_what_is_missing(workdir: Path) -> None:
    before = sorted(workdir.rglob("*"))
    result = run("check", "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""
    text = " ".join(result.stderr.split())
    assert "Configuration error" in text and "try `preflight check --sandbox`" in text
    assert ", ".join(LIVE_SETTINGS) + " not set" in text
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QBO_CLIENT_ID", "abc")
        mp.setenv("QBO_CLIENT_SECRET", "shh-do-not-print")
        result = run("check")
    text = " ".join(result.stderr.split())
    assert result.exit_code == 2 and "QBO_REALM_ID, QBO_REFRESH_TOKEN" in text and "QBO_CLIENT_ID" not in text
    assert "shh-do-not-print" not in text
    assert sorted(workdir.rglob("*")) == before


def test_secret_key_prints_a_usable_key(workdir: Path) -> None:
    result = run("secret-key")
    assert result.exit_code == 0
    box = SecretBox(result.stdout.strip())
    assert box.decrypt(box.encrypt("x")) == "x"
    assert run("secret-key").stdout != result.stdout


def test_secret_key_new_prints_a_usable_key(workdir: Path) -> None:
    result = run("secret-key", "new")
    assert result.exit_code == 0
    box = SecretBox(result.stdout.strip())
    assert box.decrypt(box.encrypt("x")) == "x"


def test_secret_key_rotate_without_a_key_says_what_to_set(workdir: Path) -> None:
    before = sorted(workdir.rglob("*"))
    result = run("secret-key", "rotate")
    text = " ".join(result.stderr.split())
    assert result.exit_code == 2
    assert "PREFLIGHT_SECRET_KEY is not set" in text and "Nothing was changed" in text
    assert sorted(workdir.rglob("*")) == before  # no database was opened


def test_db_upgrade(workdir: Path) -> None:
    target = workdir / "upgrade" / "preflight.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite:///{target}")
        result = run("db", "upgrade")
        again = run("db", "upgrade")
    assert result.exit_code == 0 and again.exit_code == 0
    assert result.stdout.strip() == f"Database is at revision {head_revision()}."
    assert target.exists()


def test_demo_script_with_sandbox_and_as_commands(workdir: Path) -> None:
    script = workdir / "demo.txt"
    script.write_text(
        "# no checklist yet\nstatus\nsandbox\nsandbox nonsense\nas\nas Raj Patel\nhelp\nquit\n", encoding="utf-8"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFLIGHT_DEMO_USER", "Dana")
        result = run("demo", "--script", str(script))
    assert result.exit_code == 0, result.stdout
    out = result.stdout
    assert "Preflight demo · sandbox company “Acme Outdoor Goods”" in out and "you are Dana" in out
    assert "This channel has no Preflight checklist yet. Type `start` to create one." in out
    assert "`sandbox deactivate`, `sandbox unknown-items`" in out
    assert "Unknown fix “nonsense”." in out
    assert "You are Dana. Type `as <name>` to act as someone else." in out and "You are now Raj Patel." in out
    assert "I don't know" not in out and "`start [company name]`" in out
    key = workdir / "data" / "demo-secret.key"
    assert (workdir / "data" / "demo.sqlite3").exists() and key.exists()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
