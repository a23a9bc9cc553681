"""Shared pieces of the benchmarks: test pages, a server to run, statistics, reports."""

from __future__ import annotations

import io
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from PIL import Image, ImageDraw, ImageFont
from rich.console import Console
from rich.table import Table

from untxt.client import Client
from untxt.db import Database
from untxt.db.documents import add_document
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue.jobs import enqueue_job

RESULTS = Path(__file__).parent / "results"
PG_URL = os.environ.get("UNTXT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
UNTXT = str(Path(sys.executable).with_name("untxt"))
WORDS = (
    "invoice total amount paid receipt number customer order service date account balance",
    "the of and to in for on with by from at as is was be are this that payment due tax net",
    "shipping address phone street city delivery quantity price unit description item",
)
VOCABULARY = " ".join(WORDS).split()


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def _page_lines(rng: random.Random, height: int) -> list[tuple[int, str, int]]:
    """The lines of a generated page: top, text, grey level."""
    lines = []
    y = 250
    while y < height - 300:
        line = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(8, 11)))
        lines.append((y, line.capitalize(), rng.randint(0, 40)))
        y += rng.choice((58, 58, 58, 120))
    return lines


def scanned_page(
    seed: int, *, width: int = 2550, height: int = 3300, skew: float = 0.0
) -> Image.Image:
    """A US-letter page at 300 DPI of prose in a book-sized font, with a little scan noise.

    ``skew`` turns the printed page that many degrees counter-clockwise, as a
    sheet laid askew on the scanner glass.
    """
    rng = random.Random(seed)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    face = font(38)
    for y, line, grey in _page_lines(rng, height):
        draw.text((220, y), line, font=face, fill=grey)
    if skew:
        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
        draw = ImageDraw.Draw(image)
    for _ in range(1500):  # specks, as on a real scan
        x, yy = rng.randrange(width), rng.randrange(height)
        draw.point((x, yy), fill=rng.randint(100, 200))
    return image


def scanned_text(seed: int, *, height: int = 3300) -> str:
    """The text printed on ``scanned_page(seed)``, one line per line."""
    return "\n".join(line for _, line, _ in _page_lines(random.Random(seed), height))


def page_skew(index: int, skew: float) -> float:
    """Skew of page ``index`` of ``scanned_pdf(..., skew=skew)``.

    Pages lean alternately either way, by a half, three quarters or all of ``skew``.
    """
    return skew * (-1) ** index * (2 + index % 3) / 4


def scanned_pdf(pages: int, dpi: int = 300, *, skew: float = 0.0) -> bytes:
    """An image-only PDF, as a scanner makes, of ``pages`` pages.

    With ``skew``, pages lean by up to that many degrees, alternately either way.
    """
    images = [scanned_page(i, skew=page_skew(i, skew)) for i in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buffer.getvalue()


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(latencies: Sequence[float], seconds: float) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def report(
    name: str, title: str, columns: list[str], rows: list[list[Any]], data: dict[str, Any]
) -> Path:
    """Print a table and write ``bench/results/NAME.json``."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column != columns[0] else "left")
    for row in rows:
        table.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    Console(width=max(100, Console().width)).print(table)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "machine": machine(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    Console(stderr=True).print(f"wrote {path}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh database of ``backend``: a SQLite file, or a PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="untxt-bench-db-") as folder:
            yield f"sqlite:///{folder}/untxt.db"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def descendants_cpu() -> float:
    """CPU seconds of this process's living descendants (a server and its workers):
    RUSAGE_CHILDREN counts only children that were waited for, which a server's
    workers killed at shutdown are not."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: fields are counted after its closing ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    me = os.getpid()
    total = 0.0
    for pid in cpu:
        ancestor = parents.get(pid)
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor == me:
            total += cpu[pid]
    return total


def wait_ready(ready: Any, processes: list[Any]) -> None:
    """Wait until each worker process has said it is ready (imported, connected): the
    clock starts then, whatever the machine's speed, for untxt's workers and the peer's."""
    for _ in processes:
        if not ready.acquire(timeout=120):
            raise RuntimeError("a worker process did not get ready")


@contextmanager
def running_server(
    workers: int | None = None, *, data_parent: Path | None = None, **env: str
) -> Iterator[str]:
    """Start ``untxt serve`` on a fresh data dir and a free port; yield its base URL.

    The data dir is removed when the server stops, unless it was made in ``data_parent``,
    which its caller removes.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="untxt-bench-", dir=data_parent))
    port = free_port()
    args = [UNTXT, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    if workers is not None:
        args += ["--workers", str(workers)]
    # Benchmarks measure the service flat out: one client here stands for many.
    environment = {
        **os.environ,
        "UNTXT_LOG_LEVEL": "warning",
        "UNTXT_RATE_LIMIT_SUBMIT": "off",
        "UNTXT_RATE_LIMIT_READ": "off",
        **env,
    }
    process = subprocess.Popen(args, env=environment, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("untxt serve did not become ready")
            time.sleep(0.2)
        time.sleep(1.0)  # let the worker processes finish importing
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        if data_parent is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run_job(
    client: httpx.Client, body: bytes, options: dict[str, Any], filename: str = "scan.pdf"
) -> tuple[float, dict[str, Any]]:
    """POST ``body`` to /v1/ocr and follow the job until it ends: seconds taken, and the job.

    The job is followed on its event stream, as ``untxt submit --wait`` and the Python
    client do: the end is seen as soon as it commits, and waiting costs the server
    next to nothing (polling every 50 ms took about 4% of a core on the server alone).
    Raises when the job did not complete.
    """
    started = time.perf_counter()
    response = client.post(
        "/v1/ocr", files={"file": (filename, body)}, data={"options": json.dumps(options)}
    )
    response.raise_for_status()
    with Client(str(client.base_url), timeout=client.timeout.read or 60.0) as api:
        job = api.wait(response.json()["id"], timeout=3600)
    elapsed = time.perf_counter() - started
    if job["status"] != "completed":
        raise RuntimeError(f"job ended {job['status']}: {job['error']}")
    return elapsed, job


def new_job(
    db: Database,
    *,
    owner: str,
    pages: int,
    options: JobOptions,
    filename: str = "bench.pdf",
    media_type: str = "application/pdf",
) -> str:
    """A fresh document (a made-up digest: never one seen before) and a queued job on it."""
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=owner,
            sha256=uuid.uuid4().hex * 2,
            filename=filename,
            media_type=media_type,
            size=1,
            pages=pages,
            now=utcnow(),
        )
        job = enqueue_job(
            session, owner=owner, document=document, options=options, max_attempts=3, now=utcnow()
        )
        return job.id
