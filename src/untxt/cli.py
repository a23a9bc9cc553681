"""The ``untxt`` command: serve, worker, submit, status, result, cleanup, db; ocr and compare
are in :mod:`untxt.cli_local`, users and keys in :mod:`untxt.cli_accounts`."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from untxt.cli_accounts import keys_app, users_app
from untxt.cli_ask import ask
from untxt.cli_local import compare, ocr
from untxt.cli_search import search
from untxt.cli_shared import DataDirOpt, command_settings, err, fail
from untxt.cli_usage import usage
from untxt.config import Settings
from untxt.errors import UntxtError

app = typer.Typer(
    help="untxt: asynchronous OCR service and command-line OCR.", no_args_is_help=True
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")

ServerOpt = Annotated[
    str, typer.Option("--server", envvar="UNTXT_SERVER", help="Base URL of an untxt server.")
]
DEFAULT_SERVER = "http://127.0.0.1:8000"
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="UNTXT_API_KEY",
        help="API key, needed once the server has users (untxt keys create).",
    ),
]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDirOpt = None,
    workers: Annotated[
        int | None, typer.Option(help="OCR worker processes (default: CPU count; 0: API only).")
    ] = None,
) -> None:
    """Serve the API and run OCR workers, all on this machine."""
    from untxt.db import Database, upgrade
    from untxt.metrics.registry import enable_multiprocess
    from untxt.server import api_process_count, run_api
    from untxt.worker import WorkerPool

    settings = command_settings(host=host, port=port, data_dir=data_dir, workers=workers)
    db = Database(settings.database_url)
    upgrade(db)
    _check_accounts(db, settings)
    # Before any process starts: GET /metrics then sums every API and worker process.
    enable_multiprocess()
    pool = WorkerPool(settings, settings.workers) if settings.workers else None
    processes = api_process_count(settings)
    err.print(
        f"untxt serving on http://{settings.host}:{settings.port} (data: {settings.data_dir}; "
        f"{processes} API process{'es' if processes > 1 else ''}, {settings.workers} OCR "
        f"worker{'s' if settings.workers != 1 else ''})"
    )
    try:
        run_api(
            settings,
            db,
            pool.notifier if pool else None,
            before_serving=pool.start if pool else lambda: None,
        )
    finally:
        if pool:
            pool.stop()


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-c", help="Worker processes (default: CPUs).")
    ] = None,
    data_dir: DataDirOpt = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Port serving /metrics (the workers' sums) and /healthz; 0: none "
            "(default: UNTXT_WORKER_METRICS_PORT, else 9464, skipped if taken).",
        ),
    ] = None,
) -> None:
    """Run OCR workers only, against the configured database and storage."""
    from untxt.db import Database, upgrade
    from untxt.metrics.registry import enable_multiprocess
    from untxt.worker import WorkerPool

    settings = command_settings(data_dir=data_dir)
    upgrade(Database(settings.database_url))
    enable_multiprocess()  # before the workers start: the metrics port sums them
    count = concurrency or settings.workers or 1
    pool = WorkerPool(settings, count)
    server = _worker_metrics(settings, metrics_port, pool, count)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    pool.start()
    stop.wait()
    err.print("untxt worker: stopping (finishing the pages in hand)")
    pool.stop()
    if server is not None:
        server.close()


def _worker_metrics(settings: Settings, port: int | None, pool: Any, count: int) -> Any:
    """Start the worker's metrics port: the one asked for (a port in use is an error),
    or the default one (a port in use is a warning)."""
    from untxt.metrics.worker_server import DEFAULT_PORT, WorkerMetricsServer

    explicit = port is not None or settings.worker_metrics_port is not None
    if port is None:
        port = settings.worker_metrics_port
    if port is None:
        port = DEFAULT_PORT
    if port == 0:
        return None
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    try:
        server = WorkerMetricsServer(
            settings.worker_metrics_host, port, alive=pool.alive, expected=count, token=token
        )
    except OSError as exc:
        if explicit:
            raise fail(f"metrics port {port}: {exc.strerror or exc}") from None
        err.print(
            f"untxt worker: metrics port {port} unavailable ({exc.strerror or exc}); "
            "no /metrics or /healthz (choose one with --metrics-port)",
            highlight=False,
        )
        return None
    server.start()
    err.print(
        f"untxt worker: metrics on http://{settings.worker_metrics_host}:{server.port}/metrics",
        highlight=False,
    )
    return server


app.command()(ocr)


def _client(server: str, api_key: str | None) -> Any:
    from untxt.client import Client

    return Client(server, api_key=api_key)


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    server: ServerOpt = DEFAULT_SERVER,
    api_key: KeyOpt = None,
    lang: Annotated[list[str] | None, typer.Option("--lang", "-l")] = None,
    priority: Annotated[int | None, typer.Option(min=0, max=10)] = None,
    wait: Annotated[
        bool,
        typer.Option(help="Follow the job to its end and print its result instead of the job."),
    ] = False,
    format: Annotated[
        str,
        typer.Option(
            "--format", "-f", help="With --wait: text, markdown, json, hocr, alto, html or pdf."
        ),
    ] = "text",
    timeout: Annotated[
        float, typer.Option(min=1, help="With --wait: seconds to wait at most.")
    ] = 3600.0,
) -> None:
    """Upload a file to a server for OCR; prints the job as JSON, or with --wait its result.

    With --wait a progress bar follows the job's pages on stderr; a job that fails
    or is cancelled exits with status 1 and its reason on stderr.
    """
    options: dict[str, Any] = {}
    if lang:
        options["languages"] = lang
    if priority is not None:
        options["priority"] = priority
    with _client(server, api_key) as client:
        try:
            job = client.submit(file, options)
            if not wait:
                typer.echo(json.dumps(job, indent=2))
                return
            job = _follow(client, job, file.name, timeout)
            if job["status"] != "completed":
                reason = job.get("error") or job["status"]
                raise fail(f"job {job['id']} {job['status']}: {reason}")
            body = client.result(job["id"], format)
        except (UntxtError, OSError) as exc:
            raise fail(str(exc)) from None
    err.print(f"untxt: job {job['id']} completed", highlight=False)
    from untxt.formats import FORMATS

    known = FORMATS.get(format)
    if known is not None and not known.binary and body and not body.endswith(b"\n"):
        body += b"\n"
    sys.stdout.buffer.write(body)
    sys.stdout.flush()


def _follow(client: Any, job: dict[str, Any], name: str, timeout: float) -> dict[str, Any]:
    """Wait for ``job`` to end, its pages shown on a progress bar; returns the final job."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        bar = progress.add_task(f"{name} queued", total=None)

        def show(event: dict[str, Any]) -> None:
            data = event["data"]
            pages = data.get("progress") or {}
            progress.update(
                bar,
                description=f"{name} {data.get('status', '')}",
                total=pages.get("pages_total") or None,
                completed=pages.get("pages_done", 0),
            )

        final: dict[str, Any] = client.wait(job["id"], timeout=timeout, on_event=show)
        return final


@app.command()
def status(job_id: str, server: ServerOpt = DEFAULT_SERVER, api_key: KeyOpt = None) -> None:
    """Print a job's status as JSON."""
    with _client(server, api_key) as client:
        try:
            typer.echo(json.dumps(client.job(job_id), indent=2))
        except (UntxtError, OSError) as exc:
            raise fail(str(exc)) from None


@app.command()
def result(
    job_id: str,
    format: Annotated[str, typer.Option("--format", "-f")] = "text",
    server: ServerOpt = DEFAULT_SERVER,
    api_key: KeyOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Fetch a completed job's result."""
    with _client(server, api_key) as client:
        try:
            body = client.result(job_id, format)
        except (UntxtError, OSError) as exc:
            raise fail(str(exc)) from None
    if output:
        output.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)


@app.command()
def cleanup(
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Age past which finished jobs and unused documents go: 90m, 12h, 30d "
            "(default: UNTXT_RETENTION).",
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete finished jobs, unused documents and the blobs nothing refers to any more."""
    from untxt.config import parse_duration
    from untxt.db import Database, upgrade
    from untxt.retention import cleanup as run_cleanup
    from untxt.storage import open_storage

    settings = command_settings(data_dir=data_dir)
    if older_than is None:
        age = settings.retention_period
        if age is None:
            raise fail("retention is off (UNTXT_RETENTION); say how old with --older-than 30d")
    else:
        try:
            age = parse_duration(older_than)
        except ValueError as exc:
            raise fail(f"--older-than: {exc}") from None
        if age is None:
            raise fail("--older-than needs a duration above zero, e.g. 30d")
    db = Database(settings.database_url)
    try:
        upgrade(db)
        storage = open_storage(settings.storage_url, settings)
        report = run_cleanup(
            db,
            storage,
            older_than=age,
            dry_run=dry_run,
            idempotency_ttl=timedelta(seconds=settings.idempotency_ttl),
        )
    finally:
        db.dispose()
    typer.echo(report.summary())


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDirOpt = None) -> None:
    """Apply database migrations."""
    from untxt.db import Database, upgrade
    from untxt.db.migrate import current_revision

    db = Database(command_settings(data_dir=data_dir).database_url)
    upgrade(db)
    typer.echo(f"database at revision {current_revision(db)}")


app.command()(compare)
app.command()(search)
app.command()(ask)
app.command()(usage)


def _check_accounts(db: Any, settings: Settings) -> None:
    """Refuse to serve everyone without a login; say how single-user mode ends."""
    from untxt.auth.accounts import is_loopback
    from untxt.auth.users import any_users

    with db.read() as session:
        if any_users(session):
            return
    first_admin = (
        "create the first admin and a key for it with\n"
        "  untxt users create you@example.com --admin\n"
        "  untxt keys create you@example.com\n"
        "(with the same --data-dir / UNTXT_DATA_DIR / UNTXT_DATABASE_URL as serve)"
    )
    if not is_loopback(settings.host):
        raise fail(
            f"no user exists, so every request would be let in without a login, and "
            f"{settings.host} is reachable from other machines; {first_admin}, "
            "or listen on 127.0.0.1"
        )
    err.print(
        "untxt: single-user mode: no accounts exist, so requests from this machine need "
        f"no login. To require API keys, {first_admin}",
        highlight=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
