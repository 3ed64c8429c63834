"""The Teams surface as the composition root sees it, and `preflight teams-package`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.app import Core
from bot.settings import Settings
from bot.surfaces import ServeOptions, Surface, SurfaceConfigurationError


class TeamsPlugin:
    name = "teams"

    def build(self, core: Core, settings: Settings, options: ServeOptions) -> Surface | None:
        if not (settings.teams_enabled or settings.microsoft_app_id):
            return None  # this deployment does not use Teams
        from handlers.teams.config import bot_config
        from handlers.teams.surface import TeamsSurface

        config = bot_config(settings)
        if not config.local and config.APP_TYPE == "SingleTenant" and not config.APP_TENANTID:
            raise SurfaceConfigurationError(
                "MicrosoftAppTenantId is not set: a single-tenant bot needs the Azure tenant its app is registered "
                "in (Azure portal > the bot's app registration > Overview > Directory (tenant) ID)."
            )
        if not config.local and config.APP_TYPE != "UserAssignedMSI" and not config.APP_PASSWORD:
            raise SurfaceConfigurationError(
                "MicrosoftAppPassword is not set: copy the client secret of the bot's app registration, or use "
                "MicrosoftAppType=UserAssignedMSI with a managed identity."
            )
        return TeamsSurface(core, config, settings.public_url)

    def add_commands(self, cli: typer.Typer) -> None:
        cli.command("teams-package")(teams_package)
        cli.command("teams-demo")(teams_demo)


def teams_package(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the zip.")] = Path(
        "preflight-teams.zip"
    ),
) -> None:
    """Zip the Teams app (manifest and icons, with this bot's app id and host) for sideloading."""
    from urllib.parse import urlparse

    from bot.cli import err, load_settings
    from handlers.teams.package import build_package

    settings = load_settings()
    host = urlparse(settings.public_url).hostname or ""
    try:
        content = build_package(settings.microsoft_app_id, host)
    except ValueError as exc:
        err.print(f"[red]Configuration error:[/red] {exc} Set MicrosoftAppId and PREFLIGHT_PUBLIC_URL.")
        raise typer.Exit(2) from None
    output.write_bytes(content)
    typer.echo(f"Wrote {output} ({len(content)} bytes). Upload it in Teams: Apps > Manage your apps > Upload an app.")


def teams_demo(
    port: Annotated[int, typer.Option(help="Port of /api/messages.")] = 3978,
) -> None:
    """Serve the sandbox company to Microsoft 365 Agents Playground (Teams local mode, this machine only)."""
    import logging
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from aiohttp import web

    from bot.app import build_core
    from bot.cli import load_settings
    from bot.demo import DemoConversation, demo_settings
    from bot.server import create_app
    from bot.settings import with_overrides
    from bot.sources import LiveSources
    from handlers.teams.config import bot_config
    from handlers.teams.surface import TeamsSurface
    from sandbox.generate import demo_company
    from sandbox.runtime import SandboxRuntime

    logging.basicConfig(level=logging.WARNING)
    base = load_settings()
    today = datetime.now(ZoneInfo(base.timezone)).date()
    with SandboxRuntime(demo_company(today)) as runtime:
        local = {"teams_enabled": True, "microsoft_app_id": "", "public_url": f"http://127.0.0.1:{port}"}
        settings = with_overrides(demo_settings(base, runtime), local)
        core = build_core(settings, LiveSources(settings))
        # A new checklist is connected to the sandbox company at once, as in `preflight demo`.
        core.conversation = DemoConversation(core, runtime)
        surface = TeamsSurface(core, bot_config(settings), settings.public_url)
        typer.echo(
            f"Preflight for Teams (local mode) on http://127.0.0.1:{port}/api/messages with the sandbox company "
            f"“{runtime.company.qbo.company_name}”. In another terminal:\n"
            f"  npx @microsoft/m365agentsplayground -e http://127.0.0.1:{port}/api/messages -c msteams"
        )
        web.run_app(create_app(core, [surface]), host="127.0.0.1", port=port, print=None)
