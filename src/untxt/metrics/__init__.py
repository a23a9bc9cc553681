"""Prometheus metrics: what untxt counts, and where a scrape reads it.

- :mod:`untxt.metrics.definitions`: the metrics, made on first use
- :mod:`untxt.metrics.hooks`: the calls made where events happen (submit, page read,
  job started or ended, retry, webhook attempt)
- :mod:`untxt.metrics.registry`: multiprocess mode, so that a scrape sums every
  process of a node; the bearer token
- :mod:`untxt.metrics.collectors`: what is computed at scrape time (the build's version)
- :mod:`untxt.metrics.worker_server`: a worker node's ``/metrics`` and ``/healthz``

The API's side, ``GET /metrics`` with the queue's depth and request durations by route,
is :mod:`untxt.api.metrics`: this package stands below the queue, whose statements count
what happens through :mod:`untxt.metrics.hooks`.

See docs/metrics.md for the list of metrics, the dashboard and the alert rules.
"""
