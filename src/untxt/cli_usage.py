"""``untxt usage``: a server's jobs, pages and bytes by owner and day, as a table."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from untxt.cli_shared import fail
from untxt.errors import UntxtError

_out = Console(highlight=False, soft_wrap=True)
_COUNTS = ("jobs", "completed", "failed", "pages", "bytes")


def _day(value: str | None) -> str | None:
    """``value`` if it is a date as YYYY-MM-DD; fails in words otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date as YYYY-MM-DD") from None


def _who(row: dict[str, Any]) -> str:
    return str(row["email"] or row["owner"])


def _table(body: dict[str, Any]) -> Table:
    table = Table(
        title=f"usage {body['since']} to {body['until']} (UTC days)", title_justify="left"
    )
    table.add_column("owner")
    table.add_column("day")
    for name in _COUNTS:
        table.add_column(name, justify="right")
    for row in body["days"]:
        table.add_row(_who(row), row["day"], *(f"{row[name]:,}" for name in _COUNTS))
    table.add_section()
    for total in body["totals"]:
        table.add_row(_who(total), "total", *(f"{total[name]:,}" for name in _COUNTS), style="bold")
    return table


def usage(
    since: Annotated[
        str | None,
        typer.Option("--since", help="First UTC day, YYYY-MM-DD (default: 29 days ago)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Last UTC day, YYYY-MM-DD (default: today).")
    ] = None,
    all: Annotated[bool, typer.Option("--all", help="Every owner's usage (admins).")] = False,
    server: Annotated[
        str, typer.Option("--server", envvar="UNTXT_SERVER", help="Base URL of an untxt server.")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="UNTXT_API_KEY", help="API key.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Jobs submitted, pages read and bytes sent, by owner and UTC day, from a server."""
    from untxt.client import Client

    try:
        with Client(server, api_key=api_key) as client:
            body = client.usage(since=_day(since), until=_day(until), all=all)
    except (UntxtError, OSError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif not body["days"]:
        typer.echo(f"no jobs from {body['since']} to {body['until']}")
    else:
        _out.print(_table(body))
