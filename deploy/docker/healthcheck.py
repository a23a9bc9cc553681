"""Container health check: exit 0 when the process's health endpoint answers 200.

The API answers on ``UNTXT_PORT`` (``/healthz``); a worker started with
``--metrics-port`` answers there, so its container sets ``HEALTHCHECK_URL``.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    """Fetch the health URL; any error or non-200 answer is unhealthy."""
    port = os.environ.get("UNTXT_PORT", "8000")
    url = os.environ.get("HEALTHCHECK_URL") or f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:
            return 0 if answer.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
