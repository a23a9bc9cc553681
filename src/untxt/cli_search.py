"""``untxt search QUERY``: hits from a server (or the data folder); ``untxt search reindex``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from untxt.cli_shared import DataDirOpt, command_settings, fail
from untxt.errors import UntxtError

_out = Console(highlight=False, soft_wrap=True)


def _show(hits: list[dict[str, Any]]) -> None:
    for hit in hits:
        _out.print(
            f"{hit['filename']} page {hit['page']}  job {hit['job_id']}  score {hit['score']:.3g}",
            style="bold",
        )
        snippet = Text(hit["snippet"])
        for start, end in hit["highlights"]:
            snippet.stylize("reverse", start, end)
        _out.print(Text("  ") + snippet)


def _local(q: str, limit: int, data_dir: Any) -> dict[str, Any]:
    """Hits from the data folder's own database: every owner's, as its operator sees them."""
    from untxt.api.routers.search import HitOut
    from untxt.db import Database, upgrade
    from untxt.search import SearchFilters, parse_query, search

    db = Database(command_settings(data_dir=data_dir).database_url)
    try:
        upgrade(db)
        with db.read() as session:
            hits = search(session, parse_query(q), SearchFilters(owner=None), limit=limit)
    finally:
        db.dispose()
    return {"items": [HitOut.of(h).model_dump(mode="json") for h in hits], "next_cursor": None}


def _reindex(data_dir: Any) -> None:
    from untxt.db import Database, upgrade
    from untxt.search import reindex
    from untxt.storage import open_storage

    settings = command_settings(data_dir=data_dir)
    db = Database(settings.database_url)
    try:
        upgrade(db)
        done = reindex(db, open_storage(settings.storage_url, settings))
    finally:
        db.dispose()
    typer.echo(f"indexed {done.pages} pages of {done.jobs} jobs")
    if done.skipped:
        typer.echo(
            f"{len(done.skipped)} completed jobs stored no JSON result and were not indexed: "
            + ", ".join(done.skipped[:10])
            + (" ..." if len(done.skipped) > 10 else "")
        )


def search(
    query: Annotated[
        list[str],
        typer.Argument(
            help='Words, prefix*, "phrases", vendor:aeon total>100 ...; '
            "the single word reindex rebuilds the data folder's index."
        ),
    ],
    server: Annotated[
        str, typer.Option("--server", envvar="UNTXT_SERVER", help="Base URL of an untxt server.")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="UNTXT_API_KEY", help="API key.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 20,
    all: Annotated[bool, typer.Option("--all", help="Every owner's pages (admins).")] = False,
    local: Annotated[
        bool, typer.Option("--local", help="Search the data folder's database, not a server.")
    ] = False,
    data_dir: DataDirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
) -> None:
    """Search every stored result; ``untxt search reindex`` rebuilds the index."""
    if query == ["reindex"]:
        _reindex(data_dir)
        return
    q = " ".join(query)
    try:
        if local or data_dir is not None:
            body = _local(q, limit, data_dir)
        else:
            from untxt.client import Client

            with Client(server, api_key=api_key) as client:
                body = client.search(q, limit=limit, all=all)
    except (UntxtError, OSError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif not body["items"]:
        typer.echo("no hits")
    else:
        _show(body["items"])
