"""Metrics computed at scrape time rather than counted as things happen."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from untxt.db.session import Database
from untxt.db.types import utcnow
from untxt.logs import get_logger
from untxt.queue.depth import queue_depth
from untxt.version import __version__

log = get_logger(__name__)


class QueueCollector:
    """The queue's depth and the age of its oldest waiting job, read from the database
    by one query per scrape: right whichever process or node answers, and whatever
    happened while nobody was counting (a crash, a restore, a manual fix)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def describe(self) -> Iterator[Metric]:
        return iter(())  # samples differ per scrape: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        try:
            with self._db.read() as session:
                depth = queue_depth(session)
        except Exception as exc:  # the database is away: say so, and answer the rest
            log.warning("queue metrics unavailable", error=str(exc))
            up = GaugeMetricFamily(
                "untxt_queue_metrics_up", "Whether the last scrape could read the queue."
            )
            up.add_metric([], 0)
            yield up
            return
        now = utcnow()
        jobs = GaugeMetricFamily(
            "untxt_queue_depth",
            "Unfinished jobs by status (queued, processing) and priority (0-10), as the "
            "database holds them at scrape time.",
            labels=["status", "priority"],
        )
        for (status, priority), count in sorted(depth.jobs.items()):
            jobs.add_metric([status, str(priority)], count)
        yield jobs
        oldest = GaugeMetricFamily(
            "untxt_queue_oldest_age_seconds",
            "Seconds the oldest queued job has waited since its submit; 0 when none waits.",
        )
        oldest.add_metric([], depth.oldest_age(now))
        yield oldest
        up = GaugeMetricFamily(
            "untxt_queue_metrics_up", "Whether the last scrape could read the queue."
        )
        up.add_metric([], 1)
        yield up


class BuildInfo:
    """``untxt_build_info{version}``: always 1."""

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "untxt_build_info", "The untxt version this process runs.", labels=["version"]
        )
        info.add_metric([__version__], 1)
        yield info
