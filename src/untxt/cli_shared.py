"""What every ``untxt`` subcommand shares: stderr, failing with a message, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from untxt.config import Settings, load_settings

# Messages are not wrapped: a terminal wraps them itself, and a wrapped path cannot be copied.
err = Console(stderr=True, soft_wrap=True)

DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: ./untxt-data).")
]


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; the returned exit (status 1) is for raising."""
    err.print(f"[red]untxt: error:[/red] {message}", highlight=False)
    return typer.Exit(1)


def command_settings(**overrides: Any) -> Settings:
    """The settings (environment, ``.env``, then ``overrides``), with logging set up."""
    settings = load_settings(**overrides)
    from untxt.logs import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)
    return settings
