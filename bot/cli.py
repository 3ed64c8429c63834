"""The `preflight` command: check, connect qbo, serve, db upgrade, secret-key (new, rotate), and each surface's
own commands (the console's `demo`, Teams' `teams-package`). `build_app` assembles it from the surfaces the
composition root (`preflight/surfaces.py`) registers."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console

from bot.checklist.connections import FinaleConnectionData, QboConnectionData
from bot.cli_report import as_json, print_text
from bot.settings import Settings, with_overrides
from bot.surfaces import ServeOptions, SurfaceConfigurationError, SurfacePlugin
from checks import registry as registry_module
from checks.answers import Answers
from checks.registry import UnknownCheckError
from checks.results import CheckResult, Status
from checks.sources.errors import ConfigurationError, QboAuthError, SourceError
from checks.sources.loader import FinaleReader, QboReader
from storage.crypto import SecretKeyError

err = Console(stderr=True)


def build_app(plugins: Sequence[SurfacePlugin]) -> typer.Typer:
    app = typer.Typer(
        help="Preflight: everything that must hold before Finale pushes into QuickBooks Online.",
        no_args_is_help=True,
        add_completion=False,
    )
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    db_app.command("upgrade")(db_upgrade)
    secret_key_app = typer.Typer(help="The key that encrypts stored tokens (PREFLIGHT_SECRET_KEY).")
    app.add_typer(secret_key_app, name="secret-key")
    secret_key_app.callback(invoke_without_command=True)(secret_key)
    secret_key_app.command("new")(secret_key_new)
    secret_key_app.command("rotate")(secret_key_rotate)
    app.command()(check)
    connect_app = typer.Typer(help="Connect the command line to QuickBooks Online.", no_args_is_help=True)
    app.add_typer(connect_app, name="connect")
    connect_app.command("qbo")(connect_qbo)
    app.command()(_serve(plugins))
    for plugin in plugins:
        plugin.add_commands(app)
    return app


class Format(StrEnum):
    text = "text"
    json = "json"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]Configuration error:[/red] {problems}")
        raise typer.Exit(2) from None


def _serve(plugins: Sequence[SurfacePlugin]) -> Callable[..., None]:
    def serve(
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
        socket: Annotated[bool, typer.Option("--socket", help="Receive Slack's requests over Socket Mode.")] = False,
    ) -> None:
        """Run the server: every configured chat surface, the QuickBooks callback and /healthz."""
        from bot.logs import configure_logging
        from bot.server import run_server
        from storage.crypto import MissingSecretKeyError

        settings = load_settings()
        configure_logging(settings.log_level)
        try:
            run_server(settings, plugins, host=host, port=port, options=ServeOptions(socket_mode=socket))
        except (SurfaceConfigurationError, MissingSecretKeyError) as exc:
            err.print(f"[red]Configuration error:[/red] {exc}")
            raise typer.Exit(2) from None

    return serve


def db_upgrade() -> None:
    """Apply database migrations (the demo and the server also do this at start)."""
    from storage.db import current_revision, upgrade

    settings = load_settings()
    url = settings.resolved_database_url
    upgrade(url)
    typer.echo(f"Database is at revision {current_revision(url)}.")


def secret_key(ctx: typer.Context) -> None:
    """Print a new key for PREFLIGHT_SECRET_KEY (`secret-key rotate` re-encrypts what is stored)."""
    if ctx.invoked_subcommand is None:
        secret_key_new()


def secret_key_new() -> None:
    """Print a new key for PREFLIGHT_SECRET_KEY."""
    from storage.crypto import generate_key

    typer.echo(generate_key())


def secret_key_rotate() -> None:
    """Re-encrypt every stored secret with the first key of PREFLIGHT_SECRET_KEY.

    QuickBooks, Finale and Slack tokens, in one transaction. Put the new key first (new,old), run this, then
    drop the old key."""
    from bot.app import configure_secrets, open_database
    from storage.crypto import SecretKeyError
    from storage.repositories.secrets import rotate_secrets

    settings = load_settings()
    try:
        configure_secrets(settings)
        sessions = open_database(settings)
        try:
            with sessions.begin() as session:
                count = rotate_secrets(session)
        finally:
            sessions.kw["bind"].dispose()
    except SecretKeyError as exc:
        err.print(f"[red]Secret key error:[/red] {exc} Nothing was changed.")
        raise typer.Exit(2) from None
    typer.echo(
        f"Re-encrypted {count} stored secret value{'' if count == 1 else 's'} with the first key of "
        "PREFLIGHT_SECRET_KEY. The keys after it can now be removed."
    )


def check(
    slugs: Annotated[list[str] | None, typer.Argument(help="Checks to run (default: all).")] = None,
    output: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
    sandbox: Annotated[bool, typer.Option(help="Check the built-in sandbox company instead.")] = False,
    enable_date: Annotated[str | None, typer.Option(help="The planned enable date, YYYY-MM-DD, or 'blank'.")] = None,
    revenue: Annotated[str | None, typer.Option(help="Will Finale push sales revenue? yes or no.")] = None,
    finale_balance: Annotated[
        str | None,
        typer.Option(help="Finale's inventory asset balance on the day before the enable date (its general ledger)."),
    ] = None,
    offset_account: Annotated[
        str | None, typer.Option(help="The QBO account the opening-balance entry posts against.")
    ] = None,
) -> None:
    """Check QuickBooks Online and Finale now and print a report. Exit 1 when a check fails.

    QuickBooks: the connection `preflight connect qbo` stored (renewed as it is used), else QBO_REALM_ID and
    QBO_REFRESH_TOKEN."""
    settings = load_settings()
    try:
        names = registry_module.registry.select(slugs or None)
    except UnknownCheckError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        decided, when = _parse_enable_date(enable_date)
        pushed = _parse_yes_no(revenue)
        typed = _typed_balance(finale_balance, offset_account, decided, when, sandbox)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red] Nothing was checked.", markup=False, highlight=False)
        raise typer.Exit(2) from None

    today = datetime.now(ZoneInfo(settings.timezone)).date()
    try:
        if sandbox:
            results, company = _check_sandbox(settings, [s.slug for s in names], decided, when, pushed, today, typed)
        else:
            results, company = _check_live(settings, [s.slug for s in names], decided, when, pushed, today, typed)
    except (ConfigurationError, SecretKeyError) as exc:
        err.print(f"[red]Configuration error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except QboAuthError as exc:
        err.print(f"[red]{exc}[/red]", markup=False, highlight=False)
        raise typer.Exit(1) from None

    if output is Format.json:
        typer.echo(json.dumps(as_json(results, company, today), indent=2, ensure_ascii=False))
    else:
        print_text(results, company)
    failing = any(r.status in (Status.FAIL, Status.ERROR) for r in results)
    raise typer.Exit(1 if failing else 0)


def _parse_enable_date(raw: str | None) -> tuple[bool, date | None]:
    if raw is None:
        return False, None
    if raw.strip().lower() in ("blank", "none", ""):
        return True, None
    try:
        return True, date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"--enable-date {raw!r} is not a date; use YYYY-MM-DD or 'blank'.") from None


def _typed_balance(
    raw: str | None, offset: str | None, decided: bool, when: date | None, sandbox: bool
) -> tuple[Decimal | None, str | None]:
    """--finale-balance and --offset-account, under the same rules as the chat's form."""
    from bot.checklist import inputs
    from bot.checklist.errors import InputError
    from bot.conversation.forms import parse_amount

    try:
        amount = None if raw is None else inputs.require_balance(parse_amount(raw, "amount"))
        name = inputs.offset_account_name(offset)
    except InputError as exc:
        option = "--offset-account" if exc.field == "offset_account" else "--finale-balance"
        raise ValueError(f"{option}: {exc.message}") from None
    if amount is not None and not sandbox and (not decided or when is None):
        raise ValueError(
            "--finale-balance is Finale's balance on the day before the enable date: give --enable-date YYYY-MM-DD too."
        )
    return amount, name


def _parse_yes_no(raw: str | None) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("yes", "y", "true"):
        return True
    if value in ("no", "n", "false"):
        return False
    raise ValueError(f"--revenue {raw!r} must be yes or no.")


def _answers(
    today: date,
    decided: bool,
    when: date | None,
    pushed: bool | None,
    settings: Settings,
    typed: tuple[Decimal | None, str | None] = (None, None),
) -> Answers:
    return Answers(
        today=today,
        enable_date=when,
        enable_date_decided=decided,
        revenue_pushed=pushed,
        finale_balance=typed[0],
        offset_account=typed[1],
        backup_max_age_days=settings.backup_max_age_days,
        invoice_volume_warn_per_month=settings.invoice_volume_warn_per_month,
    )


async def _run(
    slugs: list[str], answers: Answers, qbo: QboReader | None, finale: FinaleReader | None
) -> tuple[list[CheckResult], str]:
    from checks.runner import run_checks
    from checks.sources.loader import LoadPlan

    reg = registry_module.registry
    specs = reg.select(slugs)
    plan = LoadPlan(reg.needs(specs, answers), answers.today, answers.enable_date, answers.enable_date_decided)
    with err.status("Reading QuickBooks Online and Finale…"):
        # The readers are Protocols (not runtime-checkable): pass them as they are.
        outcome = await run_checks(
            specs, answers, plan, qbo=qbo, finale=finale, now=datetime.now(UTC), views=reg.views_for(specs)
        )
    company = outcome.company.name if outcome.company else ""
    return list(outcome.results), company


async def _check_with(
    settings: Settings,
    slugs: list[str],
    answers: Answers,
    qbo: QboConnectionData,
    finale: FinaleConnectionData,
    on_tokens: Callable[[str | None, str, datetime | None], None],
) -> tuple[list[CheckResult], str]:
    """The same readers the chat uses (LiveSources), built from connection data instead of stored rows."""
    from bot.sources import LiveSources
    from checks.sources.qbo import QboSource

    sources = LiveSources(settings)
    qbo_reader = sources.qbo(qbo, on_tokens)
    async with sources.finale(finale) as finale_reader:
        outcome = await _run(slugs, answers, qbo_reader, finale_reader)
    refused = qbo_reader.auth_failure if isinstance(qbo_reader, QboSource) else None
    if refused is not None:
        # invalid_grant is final: every QBO read would fail the same way, so say it once and stop.
        raise QboAuthError(
            "QuickBooks Online refused Preflight's connection: it was revoked or has expired. Run "
            "`preflight connect qbo` to connect again (or set a new QBO_REFRESH_TOKEN). Nothing else was reported."
        )
    return outcome


def _check_live(
    settings: Settings,
    slugs: list[str],
    decided: bool,
    when: date | None,
    pushed: bool | None,
    today: date,
    typed: tuple[Decimal | None, str | None],
) -> tuple[list[CheckResult], str]:
    from bot.app import configure_secrets, open_database
    from bot.cli_connection import StoredQbo, TokenKeeper, stored_qbo, storing
    from bot.sources import AVERAGE_COST_REPORT, INVENTORY_VALUE_REPORT

    stored: StoredQbo | None = None
    sessions = None
    if settings.secret_key is not None:  # the key opens the connection `preflight connect qbo` stored
        configure_secrets(settings)
        sessions = open_database(settings)
        stored = stored_qbo(sessions, settings.qbo_realm_id)
    try:
        missing = [
            name
            for name, value in (
                ("QBO_CLIENT_ID", settings.qbo_client_id),
                ("QBO_CLIENT_SECRET", settings.qbo_client_secret),
                ("QBO_REALM_ID", settings.qbo_realm_id or (stored and stored.data.realm_id)),
                ("QBO_REFRESH_TOKEN", settings.qbo_refresh_token or stored),
                ("FINALE_ACCOUNT", settings.finale_account),
                ("FINALE_API_KEY", settings.finale_api_key),
                ("FINALE_API_SECRET", settings.finale_api_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                f"{', '.join(missing)} not set. Put them in the environment or .env (`preflight connect qbo` stores "
                "a QuickBooks connection instead of QBO_REALM_ID and QBO_REFRESH_TOKEN), or try "
                "`preflight check --sandbox`."
            )
        assert settings.finale_account and settings.finale_api_key and settings.finale_api_secret
        if stored is not None and sessions is not None:
            qbo = stored.data

            def stored_rotated() -> None:
                err.print("[yellow]QuickBooks issued a new refresh token; Preflight stored it, encrypted.[/yellow]")

            on_tokens = TokenKeeper(qbo.refresh_token, stored_rotated, storing(sessions, stored))
        else:
            assert settings.qbo_realm_id and settings.qbo_refresh_token
            qbo = QboConnectionData(settings.qbo_realm_id, None, settings.qbo_refresh_token.get_secret_value(), None)

            def env_rotated() -> None:
                # Never print the token itself: say where it must be updated.
                err.print(
                    "[yellow]QuickBooks issued a new refresh token. Update QBO_REFRESH_TOKEN from your Intuit app "
                    "(the old one stops working within 24 hours), or run `preflight connect qbo`, which stores "
                    "and renews the tokens itself.[/yellow]"
                )

            on_tokens = TokenKeeper(qbo.refresh_token, env_rotated)
        reports = {
            AVERAGE_COST_REPORT: settings.finale_average_cost_report_url,
            INVENTORY_VALUE_REPORT: settings.finale_inventory_value_report_url,
        }
        finale = FinaleConnectionData(
            account=settings.finale_account,
            base_url=settings.finale_base_url,
            api_key=settings.finale_api_key.get_secret_value(),
            api_secret=settings.finale_api_secret.get_secret_value(),
            report_urls={name: url for name, url in reports.items() if url},
        )
        answers = _answers(today, decided, when, pushed, settings, typed)
        return asyncio.run(_check_with(settings, slugs, answers, qbo, finale, on_tokens))
    finally:
        if sessions is not None:
            sessions.kw["bind"].dispose()


def _check_sandbox(
    settings: Settings,
    slugs: list[str],
    decided: bool,
    when: date | None,
    pushed: bool | None,
    today: date,
    typed: tuple[Decimal | None, str | None] = (None, None),
) -> tuple[list[CheckResult], str]:
    from sandbox.generate import demo_company
    from sandbox.runtime import SandboxRuntime

    company = demo_company(today)
    planted = company.planted.get("enable_date")
    if not decided and isinstance(planted, date):
        decided, when = True, planted  # the sandbox company's planned go-live
    if pushed is None:
        pushed = True
    with SandboxRuntime(company) as runtime:
        sandbox_settings = with_overrides(settings, runtime.settings_overrides())
        qbo = QboConnectionData(runtime.realm_id, *runtime.qbo_tokens())
        access = runtime.finale_access()
        finale = FinaleConnectionData(
            access.account, access.base_url, access.api_key, access.api_secret, access.report_urls
        )
        answers = _answers(today, decided, when, pushed, settings, typed)
        return asyncio.run(_check_with(sandbox_settings, slugs, answers, qbo, finale, lambda *_: None))


def connect_qbo(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 for Intuit's redirect (0: any free port).")] = 8765,
    browser: Annotated[bool, typer.Option(help="Open the sign-in page in a browser.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser.")] = 300.0,
) -> None:
    """Connect QuickBooks Online in a browser, as `gh auth login` does; `preflight check` then uses it.

    Add http://127.0.0.1:PORT/callback to your Intuit app's redirect URIs. The tokens are stored encrypted in
    Preflight's database (PREFLIGHT_SECRET_KEY, DATABASE_URL) and renewed there by each check."""
    from bot.app import configure_secrets, open_database
    from bot.cli_connection import ConnectError, connect_qbo, open_browser
    from storage.crypto import MissingSecretKeyError

    settings = load_settings()
    try:
        configure_secrets(settings)
    except MissingSecretKeyError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
    sessions = open_database(settings)
    try:
        connected = connect_qbo(
            settings,
            sessions,
            port=port,
            show=typer.echo,
            browse=open_browser if browser else (lambda _url: False),
            timeout=timeout,
        )
    except ConfigurationError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except (ConnectError, SourceError) as exc:
        err.print(f"[red]{exc}[/red] Nothing was stored.", markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        sessions.kw["bind"].dispose()
    typer.echo(
        f"Connected QuickBooks Online company “{connected.company}” (realm {connected.realm_id}). "
        "`preflight check` uses this connection now; its tokens are stored encrypted and renewed as they are used."
    )


def run(app: typer.Typer) -> None:
    try:
        app()
    except SourceError as exc:  # a source problem outside a check (e.g. the sandbox failed to start)
        err.print(f"[red]{exc}[/red]")
        sys.exit(1)
