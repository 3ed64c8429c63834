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
