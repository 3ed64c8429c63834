"""The `preflight` command: check, serve, db upgrade, secret-key (new, rotate), and each surface's own commands
(the console's `demo`, Teams' `teams-package`). `build_app` assembles it from the surfaces the composition root
(`preflight/surfaces.py`) registers."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console

from bot.checklist.connections import FinaleConnectionData, QboConnectionData
from bot.settings import Settings, with_overrides
from bot.surfaces import ServeOptions, SurfaceConfigurationError, SurfacePlugin
from checks import registry as registry_module
from checks.answers import Answers
from checks.registry import UnknownCheckError
from checks.results import CheckResult, Status
from checks.sources.errors import ConfigurationError, SourceError
from checks.sources.loader import FinaleReader, QboReader

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
        from bot.server import run_server
        from storage.crypto import MissingSecretKeyError

        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
) -> None:
    """Check QuickBooks Online and Finale now and print a report. Exit 1 when a check fails."""
    settings = load_settings()
    try:
        names = registry_module.registry.select(slugs or None)
    except UnknownCheckError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        decided, when = _parse_enable_date(enable_date)
        pushed = _parse_yes_no(revenue)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red] Nothing was checked.")
        raise typer.Exit(2) from None

    today = datetime.now(ZoneInfo(settings.timezone)).date()
    try:
        if sandbox:
            results, company = _check_sandbox(settings, [s.slug for s in names], decided, when, pushed, today)
        else:
            results, company = asyncio.run(_check_live(settings, [s.slug for s in names], decided, when, pushed, today))
    except ConfigurationError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None

    if output is Format.json:
        typer.echo(json.dumps(_as_json(results, company, today), indent=2, ensure_ascii=False))
    else:
        _print_text(results, company)
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


def _parse_yes_no(raw: str | None) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("yes", "y", "true"):
        return True
    if value in ("no", "n", "false"):
        return False
    raise ValueError(f"--revenue {raw!r} must be yes or no.")


def _answers(today: date, decided: bool, when: date | None, pushed: bool | None, settings: Settings) -> Answers:
    return Answers(
        today=today,
        enable_date=when,
        enable_date_decided=decided,
        revenue_pushed=pushed,
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

    sources = LiveSources(settings)
    async with sources.finale(finale) as finale_reader:
        return await _run(slugs, answers, sources.qbo(qbo, on_tokens), finale_reader)


async def _check_live(
    settings: Settings, slugs: list[str], decided: bool, when: date | None, pushed: bool | None, today: date
) -> tuple[list[CheckResult], str]:
    from bot.sources import AVERAGE_COST_REPORT, INVENTORY_VALUE_REPORT

    missing = [
        name
        for name, value in (
            ("QBO_CLIENT_ID", settings.qbo_client_id),
            ("QBO_CLIENT_SECRET", settings.qbo_client_secret),
            ("QBO_REALM_ID", settings.qbo_realm_id),
            ("QBO_REFRESH_TOKEN", settings.qbo_refresh_token),
            ("FINALE_ACCOUNT", settings.finale_account),
            ("FINALE_API_KEY", settings.finale_api_key),
            ("FINALE_API_SECRET", settings.finale_api_secret),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"{', '.join(missing)} not set. Put them in the environment or .env, or try `preflight check --sandbox`."
        )
    assert settings.qbo_realm_id and settings.qbo_refresh_token and settings.finale_account
    assert settings.finale_api_key and settings.finale_api_secret

    def rotated(_access: str | None, _refresh: str, _expires: datetime | None) -> None:
        # Never print the token itself: say where it must be updated.
        err.print(
            "[yellow]QuickBooks issued a new refresh token. Update QBO_REFRESH_TOKEN from your Intuit app "
            "(the old one stops working within 24 hours), or connect through the chat app, which stores "
            "rotated tokens itself.[/yellow]"
        )

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
    qbo = QboConnectionData(settings.qbo_realm_id, None, settings.qbo_refresh_token.get_secret_value(), None)
    answers = _answers(today, decided, when, pushed, settings)
    return await _check_with(settings, slugs, answers, qbo, finale, rotated)


def _check_sandbox(
    settings: Settings, slugs: list[str], decided: bool, when: date | None, pushed: bool | None, today: date
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
        answers = _answers(today, decided, when, pushed, settings)
        return asyncio.run(_check_with(sandbox_settings, slugs, answers, qbo, finale, lambda *_: None))


def _as_json(results: list[CheckResult], company: str, today: date) -> dict[str, object]:
    reg = registry_module.registry
    checks = []
    for result in results:
        spec = reg.get(result.slug)
        checks.append(
            {
                "slug": result.slug,
                "id": result.id,
                "title": spec.title,
                "status": result.status.value,
                "summary": result.summary,
                "hint": result.hint,
                "pending": None if result.pending is None else result.pending.value,
                "findings": [f.as_dict() for f in result.findings],
                "amounts": {k: str(v) for k, v in result.amounts.items()},
            }
        )
    return {"company": company, "date": today.isoformat(), "checks": checks}


ICON = {
    "pass": "[green]✔[/green]",
    "fail": "[red]✘[/red]",
    "warn": "[yellow]![/yellow]",
    "needs_input": "[cyan]?[/cyan]",
    "not_applicable": "[dim]–[/dim]",
    "error": "[red]⚠[/red]",
}


def _print_text(results: list[CheckResult], company: str) -> None:
    out = Console()
    reg = registry_module.registry
    out.print(f"[bold]Preflight report[/bold]{' · ' + company if company else ''}")
    for position, result in enumerate(results, start=1):
        spec = reg.get(result.slug)
        out.print(f"\n{ICON[result.status.value]} [bold]{position}. {spec.title}[/bold] ({result.status.value})")
        out.print(f"   {result.summary}", highlight=False, markup=False)
        for finding in result.findings[:12]:
            qty = f" qty {finding.quantity:,}" if finding.quantity is not None else ""
            amount = f" {finding.amount:,.2f}" if finding.amount is not None else ""
            # A drafted journal entry is shown in full unless the hint already shows it.
            entry_in_hint = finding.kind == "journal_entry" and finding.detail in (result.hint or "")
            detail = f" — {finding.detail}" if finding.detail and not entry_in_hint else ""
            out.print(f"   • {finding.name} [{finding.id}]{qty}{amount}{detail}", highlight=False, markup=False)
        if len(result.findings) > 12:
            out.print(f"   … and {len(result.findings) - 12:,} more (use --format json for all)")
        if result.hint and result.status is not Status.PASS:
            out.print(f"   What to do: {result.hint}", highlight=False, markup=False)


def run(app: typer.Typer) -> None:
    try:
        app()
    except SourceError as exc:  # a source problem outside a check (e.g. the sandbox failed to start)
        err.print(f"[red]{exc}[/red]")
        sys.exit(1)
