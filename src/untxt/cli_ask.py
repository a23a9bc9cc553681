"""``untxt ask QUESTION``: a server's answer from your documents, and what it cites."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from untxt.cli_shared import fail
from untxt.errors import UntxtError

_out = Console(highlight=False, soft_wrap=True)


def _show(body: dict[str, Any]) -> None:
    if body["answer"]:
        _out.print(body["answer"], style="bold")
    if body.get("note"):
        _out.print(body["note"], style="dim")
    computed = body.get("computed")
    if computed and computed["operation"] in ("sum", "count"):
        for row in computed["rows"]:
            total = "" if row["total"] is None else f"  {row['total']:,.2f} {row['currency'] or ''}"
            _out.print(f"  {row['date'] or '?'}  {row['vendor'] or '?'}  {row['filename']}{total}")
    for source in body["citations"]:
        where = (
            "computed by the database"
            if source["kind"] == "computed"
            else f"{source['filename']} page {source['page']}  job {source['job_id']}"
        )
        _out.print(f"[{source['ref']}] {where}", style="bold", markup=False)
        for line in source["lines"][:6]:
            _out.print(f"    {line['text']}", markup=False)


def ask(
    question: Annotated[list[str], typer.Argument(help="The question, in English or Vietnamese.")],
    server: Annotated[
        str, typer.Option("--server", envvar="UNTXT_SERVER", help="Base URL of an untxt server.")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None, typer.Option("--api-key", envvar="UNTXT_API_KEY", help="API key.")
    ] = None,
    document: Annotated[
        list[str] | None,
        typer.Option("--document", "-d", help="Only this document (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Ask a question about your documents; the answer cites the pages it came from."""
    from untxt.client import Client

    try:
        # A language model may take its time: as long as the server lets it.
        with Client(server, api_key=api_key, timeout=660.0) as client:
            body = client.ask(" ".join(question), document_ids=document)
    except (UntxtError, OSError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        _show(body)
