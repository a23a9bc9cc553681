"""The queue itself, with no OCR: enqueue rate, claim+complete rate, pickup latency.

For SQLite and PostgreSQL, with 1, 2 and 4 worker processes, each taking 1 or more
tasks per claim, and PgQueuer (bench/queue_peer.py) on the same PostgreSQL, in one run:

- enqueue: jobs/s that one process submits (a job on an uploaded document, as
  ``POST /v1/jobs`` queues it: on PostgreSQL one statement on a connection without a
  session, on SQLite a write block);
- claim+complete: jobs/s the workers take through the queue's own statements
  (claim the page; record it done and complete the job, as a worker does for
  a one-page job), from a backlog of queued jobs; with a batch of N, a worker
  claims up to N tasks in one transaction and completes them in another, as a
  worker with ``UNTXT_WORKER_BATCH=N`` does;
- pickup: from the commit of a submit to the claim by an idle worker, with
  submissions one at a time. Workers wait as they do in untxt: LISTEN on
  PostgreSQL, the pool's semaphore on SQLite.

Each configuration runs ``--rounds`` times, untxt and PgQueuer taking turns to go
first: a rate is the median of its rounds (on this shared machine one round of either
may run a third slower or faster than the next), a pickup percentile is taken over
the pickups of all rounds. The JSON keeps every round.

    python bench/queue_throughput.py [--jobs 2000] [--pickups 200] [--workers 1,2,4]
        [--batches 1,10,50] [--backends sqlite,postgres] [--rounds 3] [--no-peer]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from typing import Any

from common import database, percentile, report, wait_ready
from queue_peer import run_pgqueuer
from untxt import heap
from untxt.db import Database, upgrade
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue import (
    Finished,
    claim,
    claim_many,
    complete_only_page,
    complete_only_pages,
)
from untxt.queue.jobs import enqueue_now, enqueue_planned, plan_job
from untxt.queue.notify import Notifier, PostgresNotifier, SemaphoreNotifier

TTL = 30.0
CTX = multiprocessing.get_context("spawn")


def make_documents(db: Database, count: int) -> list[DocumentRow]:
    """``count`` uploaded documents of one page, to submit jobs on."""
    with db.write() as session:
        return [
            add_document(
                session,
                owner="bench",
                sha256=uuid.uuid4().hex * 2,
                filename="page.png",
                media_type="image/png",
                size=1,
                pages=1,
                now=utcnow(),
            )[0]
            for _ in range(count)
        ]


def enqueue(db: Database, document: DocumentRow, notifier: Notifier | None = None) -> str:
    """Submit a job on an uploaded document as ``POST /v1/jobs`` queues it (see
    ``untxt.api.submit.submit_now``); returns its id once committed."""
    planned = plan_job(JobOptions(outputs=["json"]))
    job = None
    if db.dialect == "postgresql":
        with db.statements() as connection:
            job = enqueue_now(
                connection, planned, owner="bench", document=document, max_attempts=3, now=utcnow()
            )
    if job is None:
        with db.write(one_statement=True) as session:
            job = enqueue_planned(
                session, planned, owner="bench", document=document, max_attempts=3, now=utcnow()
            )
    if notifier is not None:
        notifier.notify()
    return job.id


def worker_main(
    url: str, batch: int, semaphore: Any, ready: Any, start: Any, stop: Any, claims: Any
) -> None:
    """Claim and complete until stopped; report (job id, claim time) of every job."""
    db = Database(url)
    notifier: Notifier = (
        PostgresNotifier(db.conninfo())
        if db.dialect == "postgresql"
        else SemaphoreNotifier(semaphore)
    )
    owner = f"bench:{os.getpid()}"
    db.ping()  # the pool's connection, which the first claim takes
    heap.settle()  # as an untxt worker process does before its loop
    ready.release()
    start.wait()
    while not stop.is_set():
        with db.write() as session:
            if batch == 1:
                lease = claim(session, owner=owner, ttl=TTL, now=utcnow())
                leases = [] if lease is None else [lease]
            else:
                leases = claim_many(session, owner=owner, ttl=TTL, now=utcnow(), limit=batch)
        if not leases:
            notifier.wait(0.5)
            continue
        claimed_at = time.time()
        # As a worker finishes one-page jobs: the page and the job in one transaction.
        with db.write() as session:
            if batch == 1:
                complete_only_page(session, leases[0], results=[], now=utcnow())
            else:
                finished = [Finished(lease, []) for lease in leases]
                complete_only_pages(session, finished, now=utcnow())
        for lease in leases:
            claims.put((lease.job_id, claimed_at))
    db.dispose()


def run_config(backend: str, workers: int, batch: int, jobs: int, pickups: int) -> dict[str, Any]:
    with database(backend) as url:
        db = Database(url)
        upgrade(db)
        semaphore = CTX.Semaphore(0)
        notifier = None if db.dialect == "postgresql" else SemaphoreNotifier(semaphore)

        documents = make_documents(db, jobs + pickups)
        started = time.perf_counter()
        for document in documents[:jobs]:
            enqueue(db, document)
        enqueue_rate = jobs / (time.perf_counter() - started)

        ready, start, stop, claims = CTX.Semaphore(0), CTX.Event(), CTX.Event(), CTX.Queue()
        processes = [
            CTX.Process(
                target=worker_main, args=(url, batch, semaphore, ready, start, stop, claims)
            )
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        wait_ready(ready, processes)
        began = time.perf_counter()
        start.set()
        for _ in range(jobs):
            claims.get(timeout=120)
        drain_rate = jobs / (time.perf_counter() - began)

        time.sleep(0.6)  # every worker idle and waiting
        latencies = []
        for document in documents[jobs:]:
            job_id = enqueue(db, document, notifier)
            committed = time.time()  # the claim may come first: a latency of about zero
            got, claimed_at = claims.get(timeout=30)
            assert got == job_id
            latencies.append(max(0.0, claimed_at - committed))
            time.sleep(0.02)
        stop.set()
        for process in processes:
            process.join(10)
        db.dispose()
    return {
        "enqueue_per_s": enqueue_rate,
        "claim_complete_per_s": drain_rate,
        "pickup_p50_ms": percentile(latencies, 50) * 1000,
        "pickup_p99_ms": percentile(latencies, 99) * 1000,
        "pickups_ms": [latency * 1000 for latency in latencies],
    }


def run_peer(workers: int, batch: int, jobs: int, pickups: int) -> dict[str, Any]:
    with database("postgres") as url:
        return run_pgqueuer(url, workers, jobs, pickups, batch)


def combine(rounds: list[dict[str, Any]]) -> dict[str, float]:
    """One figure per measure from several rounds: each rate's median, and the pickup
    latency's percentiles over the pickups of all rounds."""
    pickups = [latency for figures in rounds for latency in figures["pickups_ms"]]
    return {
        "enqueue_per_s": statistics.median(f["enqueue_per_s"] for f in rounds),
        "claim_complete_per_s": statistics.median(f["claim_complete_per_s"] for f in rounds),
        "pickup_p50_ms": percentile(pickups, 50),
        "pickup_p99_ms": percentile(pickups, 99),
    }


def measure(
    backend: str, workers: int, batch: int, args: argparse.Namespace
) -> dict[str, list[dict[str, Any]]]:
    """The rounds of one configuration, by system: untxt and, on PostgreSQL, PgQueuer,
    taking turns to go first so that neither always meets the machine as the other
    left it."""
    systems = ["untxt"] + (["PgQueuer"] if backend == "postgres" and not args.no_peer else [])
    rounds: dict[str, list[dict[str, Any]]] = {system: [] for system in systems}
    for number in range(args.rounds):
        for system in systems if number % 2 == 0 else systems[::-1]:
            if system == "untxt":
                figures = run_config(backend, workers, batch, args.jobs, args.pickups)
            else:
                figures = run_peer(workers, batch, args.jobs, args.pickups)
            shown = {key: value for key, value in figures.items() if key != "pickups_ms"}
            print(system, backend, workers, batch, f"round {number + 1}", shown, file=sys.stderr)
            rounds[system].append(figures)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--pickups", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--batches", default="1,10,50")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each configuration")
    parser.add_argument("--no-peer", action="store_true", help="leave PgQueuer out")
    args = parser.parse_args()

    results: list[dict[str, Any]] = []
    rows = []
    for backend in args.backends.split(","):
        for workers in (int(n) for n in args.workers.split(",")):
            for batch in (int(n) for n in args.batches.split(",")):
                rounds = measure(backend, workers, batch, args)
                combined = {system: combine(figures) for system, figures in rounds.items()}
                peer = combined.get("PgQueuer")
                for system, figures in combined.items():
                    ratio = (
                        figures["claim_complete_per_s"] / peer["claim_complete_per_s"]
                        if peer is not None and system != "PgQueuer"
                        else None
                    )
                    results.append(
                        {
                            "system": system,
                            "database": backend,
                            "workers": workers,
                            "batch": batch,
                            **figures,
                            "claim_complete_vs_pgqueuer": ratio,
                            "rounds": [
                                {k: v for k, v in f.items() if k != "pickups_ms"}
                                for f in rounds[system]
                            ],
                        }
                    )
                    rows.append(
                        [
                            system,
                            backend,
                            workers,
                            batch,
                            *figures.values(),
                            "" if ratio is None else f"{ratio:.2f}",
                        ]
                    )
    report(
        "queue",
        f"no-op jobs: {args.jobs} for the rates, {args.pickups} pickups one at a time;"
        f" rates the median of {args.rounds} rounds, pickups over all rounds",
        [
            "system",
            "database",
            "workers",
            "batch",
            "enqueue/s",
            "claim+complete/s",
            "pickup p50 ms",
            "pickup p99 ms",
            "vs PgQueuer",
        ],
        rows,
        {
            "jobs": args.jobs,
            "pickups": args.pickups,
            "rounds": args.rounds,
            "results": results,
            "targets": {
                "pickup_p50_ms": 5,
                "pickup_p99_ms": 25,
                "postgres_enqueue_per_s": 1000,
                "postgres_claim_complete_per_s": 2000,
                "postgres_claim_complete_vs_pgqueuer": 0.5,
            },
        },
    )


if __name__ == "__main__":
    main()
