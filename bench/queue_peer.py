"""PgQueuer, the peer of bench/queue_throughput.py: the same three figures on the same
PostgreSQL, through its own client on asyncpg, the driver it recommends (enqueue one job
at a time, workers that dequeue a batch at a time and wait on LISTEN)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from common import percentile, wait_ready

CTX = multiprocessing.get_context("spawn")


async def _connect(url: str) -> Any:
    """An asyncpg connection to the schema that ``url`` (a libpq URL with a search path
    in its options) names."""
    import asyncpg

    parts = urlsplit(url)
    options = parse_qs(parts.query).get("options", [""])[0]
    schema = options.removeprefix("-csearch_path=")
    return await asyncpg.connect(
        parts._replace(query="").geturl(), server_settings={"search_path": schema}
    )


def _consumer(url: str, batch: int, ready: Any, start: Any, stop: Any, claims: Any) -> None:
    """Run PgQueuer's worker until stopped; report (payload, start time) of every job."""
    from pgqueuer import PgQueuer
    from pgqueuer.models import Job

    async def main() -> None:
        connection = await _connect(url)
        queuer = PgQueuer.from_asyncpg_connection(connection)

        @queuer.entrypoint("noop")
        async def noop(job: Job) -> None:
            claims.put(((job.payload or b"").decode(), time.time()))

        async def stopper() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.05)
            queuer.shutdown.set()

        ready.release()
        await asyncio.to_thread(start.wait)
        watcher = asyncio.create_task(stopper())
        await queuer.run(batch_size=batch)
        await watcher
        await connection.close()

    asyncio.run(main())


async def _queries(url: str) -> Any:
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.queries import Queries

    return Queries(AsyncpgDriver(await _connect(url)))


def run_pgqueuer(url: str, workers: int, jobs: int, pickups: int, batch: int) -> dict[str, Any]:
    """Enqueue rate, drain rate and pickup latency of PgQueuer in the schema of ``url``."""

    async def install_and_enqueue() -> float:
        queries = await _queries(url)
        await queries.install()
        started = time.perf_counter()
        for i in range(jobs):
            await queries.enqueue("noop", f"backlog-{i}".encode(), 0)
        return jobs / (time.perf_counter() - started)

    enqueue_rate = asyncio.run(install_and_enqueue())
    ready, start, stop, claims = CTX.Semaphore(0), CTX.Event(), CTX.Event(), CTX.Queue()
    processes = [
        CTX.Process(target=_consumer, args=(url, batch, ready, start, stop, claims))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    wait_ready(ready, processes)
    began = time.perf_counter()
    start.set()
    for _ in range(jobs):
        claims.get(timeout=120)

    async def completed() -> None:
        # A job has run when its function returns; it is complete once PgQueuer has
        # recorded so (it buffers those writes), as untxt's are when counted.
        connection = await _connect(url)
        while await connection.fetchval("SELECT count(*) FROM pgqueuer"):
            await asyncio.sleep(0.005)
        await connection.close()

    asyncio.run(completed())
    drain_rate = jobs / (time.perf_counter() - began)

    async def pickup_latencies() -> list[float]:
        queries = await _queries(url)
        await asyncio.sleep(0.6)  # every worker idle and waiting
        latencies = []
        for i in range(pickups):
            payload = f"pickup-{i}"
            await queries.enqueue("noop", payload.encode(), 0)
            committed = time.time()
            got, claimed_at = await asyncio.to_thread(claims.get, True, 30)
            assert got == payload
            latencies.append(max(0.0, claimed_at - committed))
            await asyncio.sleep(0.02)
        return latencies

    latencies = asyncio.run(pickup_latencies())
    stop.set()
    for process in processes:
        process.join(10)
        if process.is_alive():
            process.kill()
    return {
        "enqueue_per_s": enqueue_rate,
        "claim_complete_per_s": drain_rate,
        "pickup_p50_ms": percentile(latencies, 50) * 1000,
        "pickup_p99_ms": percentile(latencies, 99) * 1000,
        "pickups_ms": [latency * 1000 for latency in latencies],
    }
