"""Submit latency: N clients upload a ~200 KB scan to POST /v1/ocr, against GET /healthz.

Both loads run against the same `untxt serve` (with its OCR workers busy on what
is submitted), alternating in rounds so that drift on a shared machine hits both.
The client is a minimal keep-alive HTTP/1.1 client on asyncio streams, so that it
spends as little as possible of the CPU the server needs.

    python bench/submit.py [--clients 16] [--seconds 5] [--rounds 3] [--server URL]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import struct
import time
import zlib
from typing import Any
from urllib.parse import urlparse

from common import report, running_server, scanned_page, summary

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


async def measure(url: str, clients: int, seconds: float, rounds: int) -> dict[str, Any]:
    """Alternate healthz and submit loads at one concurrency; latency statistics of each."""
    png = base_png()
    counter = [clients * 10**7]  # distinct files across concurrency levels
    results: dict[str, list[float]] = {"submit": [], "healthz": []}
    elapsed = {"submit": 0.0, "healthz": 0.0}
    errors = {"submit": 0, "healthz": 0}
    await load(url, "healthz", clients, 1.0, png, counter)  # warm-up
    await load(url, "submit", clients, 1.0, png, counter)
    for _ in range(rounds):
        for kind in ("healthz", "submit"):
            latencies, failed, took = await load(url, kind, clients, seconds, png, counter)
            results[kind] += latencies
            elapsed[kind] += took
            errors[kind] += failed
    stats = {
        kind: summary(results[kind], elapsed[kind]) | {"errors": errors[kind]} for kind in results
    }
    submit, health = stats["submit"], stats["healthz"]
    ratios = {
        "p50": submit["p50_ms"] / health["p50_ms"],
        "p99": submit["p99_ms"] / health["p99_ms"],
        "rps": submit["rps"] / health["rps"],
    }
    return {"upload_bytes": len(png), "stats": stats, "ratios": ratios}


async def run(url: str, levels: list[int], seconds: float, rounds: int) -> dict[int, Any]:
    return {clients: await measure(url, clients, seconds, rounds) for clients in levels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients", default="16", help="concurrent clients; a comma list runs each (1,4,16)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="OCR workers (default: CPUs)")
    parser.add_argument("--server", help="use this running server instead of starting one")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]

    if args.server:
        data = asyncio.run(run(args.server, levels, args.seconds, args.rounds))
    else:
        with running_server(args.workers) as url:
            data = asyncio.run(run(url, levels, args.seconds, args.rounds))
    rows = []
    for clients, level in data.items():
        stats, ratios = level["stats"], level["ratios"]
        for kind, name in (("submit", "POST /v1/ocr"), ("healthz", "GET /healthz")):
            s = stats[kind]
            row = [s["requests"], s["errors"], s["rps"], s["p50_ms"], s["p99_ms"], s["max_ms"]]
            rows.append([clients, name, *row])
        rows.append(
            [clients, "submit / healthz", "", "", ratios["rps"], ratios["p50"], ratios["p99"], ""]
        )
    upload = next(iter(data.values()))["upload_bytes"]
    report(
        "submit",
        f"{upload // 1024} KB PNG, {args.rounds} x {args.seconds:g} s per load and concurrency",
        ["clients", "load", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"],
        rows,
        {
            "workers": args.workers,
            "upload_bytes": upload,
            "by_clients": data,
            "target": {"clients": 16, "submit_p99_ms": 50},
        },
    )


if __name__ == "__main__":
    main()
