"""Submit throughput and latency: N clients upload a ~200 KB scan to POST /v1/ocr.

Three servers: the peer (``submit_peer.py``, a minimal FastAPI app doing the same
durable work: multipart, SHA-256, the blob written and fsynced, one SQLite row)
and ``untxt serve --workers 0`` (an API-only node) measured in alternating rounds,
so that drift on a shared machine hits both; then the embedded default, ``untxt
serve`` with its OCR workers busy on what is submitted. Every upload is a distinct
file. The client is a minimal keep-alive HTTP/1.1 client on asyncio streams, so
that it spends as little as possible of the CPU the servers need.

    python bench/submit.py [--clients 1,16] [--seconds 5] [--rounds 3] [--skip-busy]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from common import free_port, report, running_server, scanned_page, summary

BOUNDARY = "untxt-bench-boundary"


def base_png() -> bytes:
    """A 300 DPI letter page of text, about 200 KB as PNG."""
    page = scanned_page(7)
    buffer = io.BytesIO()
    page.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def unique_png(png: bytes, n: int) -> bytes:
    """``png`` with a tEXt chunk holding ``n``: a distinct file, so no upload is deduplicated."""
    payload = b"untxt-bench\0" + str(n).encode()
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload
    chunk += struct.pack(">I", zlib.crc32(chunk[4:]) & 0xFFFFFFFF)
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + chunk + png[iend:]


def ocr_request(host: str, png: bytes, n: int) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="options"\r\n\r\n'
        '{"languages":["eng"]}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="scan-{n}.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    body = head + unique_png(png, n) + f"\r\n--{BOUNDARY}--\r\n".encode()
    return (
        f"POST /v1/ocr HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def health_request(host: str) -> bytes:
    return f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    await reader.readexactly(length)
    return status


async def load(
    url: str, kind: str, clients: int, seconds: float, png: bytes, counter: list[int]
) -> tuple[list[float], int, float]:
    parsed = urlparse(url)
    host = parsed.netloc
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        try:
            while time.perf_counter() < deadline:
                if kind == "submit":
                    counter[0] += 1
                    request = ocr_request(host, png, counter[0])
                else:
                    request = health_request(host)
                started = time.perf_counter()
                writer.write(request)
                status = await read_response(reader)
                latencies.append(time.perf_counter() - started)
                if status >= 300:
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


@contextmanager
def peer_server(data_parent: Path) -> Iterator[str]:
    """The minimal FastAPI app of ``submit_peer.py`` on a fresh data dir in ``data_parent``
    (left for its owner to remove) and a free port."""
    data_dir = Path(tempfile.mkdtemp(prefix="untxt-peer-", dir=data_parent))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("submit_peer.py")),
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the peer app did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


async def measure(
    urls: dict[str, str], clients: int, seconds: float, rounds: int, png: bytes, counter: list[int]
) -> dict[str, Any]:
    """Submit loads at one concurrency on each server, in alternating rounds."""
    results: dict[str, list[float]] = {name: [] for name in urls}
    elapsed = dict.fromkeys(urls, 0.0)
    errors = dict.fromkeys(urls, 0)
    for url in urls.values():  # warm-up
        await load(url, "submit", clients, 1.0, png, counter)
    for _ in range(rounds):
        for name, url in urls.items():
            latencies, failed, took = await load(url, "submit", clients, seconds, png, counter)
            results[name] += latencies
            elapsed[name] += took
            errors[name] += failed
    return {name: summary(results[name], elapsed[name]) | {"errors": errors[name]} for name in urls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients", default="1,16", help="concurrent clients; a comma list runs each"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--skip-busy", action="store_true", help="leave out the embedded default with OCR workers"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    png = base_png()
    counter = [10**7]
    data: dict[str, Any] = {"upload_bytes": len(png), "by_clients": {}}
    # Every server's data dir lives in one folder, removed only at the end. On an ext4
    # file system without a journal (as on the machine of bench/README.md), creating a
    # file skips every inode of its block group freed in the last minutes: removing the
    # first servers' 20,000 files before the busy node's rounds would charge each of its
    # uploads for them.
    root = Path(tempfile.mkdtemp(prefix="untxt-submit-bench-"))
    try:
        # The API alone against the peer: both idle but for the submits, rounds
        # alternating. The queued-jobs quota (1,000 unfinished jobs per owner) would
        # refuse submits to a node without workers after a few seconds: the bench lifts
        # it (0: none).
        with (
            peer_server(root) as peer,
            running_server(0, data_parent=root, UNTXT_QUOTA_QUEUED_JOBS="0") as api,
        ):
            urls = {"peer (minimal FastAPI app)": peer, "untxt serve --workers 0": api}
            for clients in levels:
                data["by_clients"][clients] = asyncio.run(
                    measure(urls, clients, args.seconds, args.rounds, png, counter)
                )
        if not args.skip_busy:
            # The embedded default: its OCR workers busy with what is submitted. The
            # bench submits more than the default quota of unfinished jobs per owner
            # (1,000) allows, so it raises it; a submit over the quota would fail with 429.
            with running_server(None, data_parent=root, UNTXT_QUOTA_QUEUED_JOBS="0") as default:
                urls = {"untxt serve (workers busy)": default}
                for clients in levels:
                    data["by_clients"][clients] |= asyncio.run(
                        measure(urls, clients, args.seconds, args.rounds, png, counter)
                    )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = []
    for clients, level in data["by_clients"].items():
        for name, s in level.items():
            row = [s["requests"], s["errors"], s["rps"], s["p50_ms"], s["p99_ms"], s["max_ms"]]
            rows.append([clients, name, *row])
        peer_rps = level["peer (minimal FastAPI app)"]["rps"]
        api_rps = level["untxt serve --workers 0"]["rps"]
        rows.append([clients, "untxt API / peer", "", "", api_rps / peer_rps, "", "", ""])
    report(
        "submit",
        f"POST /v1/ocr of a {len(png) // 1024} KB PNG, {args.rounds} x {args.seconds:g} s per "
        "server and concurrency",
        ["clients", "server", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"],
        rows,
        data
        | {
            "targets": {
                "api_over_peer_rps": 0.5,
                "api_p99_ms_at_16": 50,
                "busy_p99_ms_at_16": 150,
                "busy_errors": 0,
            }
        },
    )


if __name__ == "__main__":
    main()
