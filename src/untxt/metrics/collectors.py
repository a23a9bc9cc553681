"""Metrics computed at scrape time rather than counted as things happen: the build's version
(the queue's depth, read from the database at scrape time too, is in :mod:`untxt.api.metrics`)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from untxt.version import __version__


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
