"""The console surface: no server routes, only the `preflight demo` command."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from bot.app import Core
from bot.settings import Settings
from bot.surfaces import ServeOptions, Surface


class ConsolePlugin:
    name = "console"

    def build(self, core: Core, settings: Settings, options: ServeOptions) -> Surface | None:
        return None  # the terminal chat runs in `preflight demo`, not in the server

    def add_commands(self, cli: typer.Typer) -> None:
        cli.command()(demo)


def demo(
    script: Annotated[str | None, typer.Option(help="Run the lines of this file instead of asking a person.")] = None,
) -> None:
    """Start the sandbox company and chat with Preflight in the terminal."""
    from bot.cli import load_settings
    from bot.logs import configure_logging
    from handlers.console.chat import script_lines
    from handlers.console.demo import run_demo

    configure_logging(logging.WARNING)
    run_demo(load_settings(), script_lines(script))
