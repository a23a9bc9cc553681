"""Rate limits and the Redis URL as settings write them, checked without loading the API.

Settings check these when they load; importing :mod:`untxt.api.ratelimit` for that
would load the whole API (FastAPI, the accounts) into every command, ``untxt ocr``
included.
"""

from __future__ import annotations

from limits import RateLimitItem, parse

_OFF = ("", "off", "0")


def parse_rate(text: str) -> RateLimitItem | None:
    """Parse a limit in ``limits`` notation (``60/minute``, ``1000 per hour``);
    empty, ``0`` or ``off`` give ``None``. Raises :class:`ValueError` otherwise."""
    value = text.strip()
    if value.lower() in _OFF:
        return None
    try:
        return parse(value)
    except ValueError:
        raise ValueError(
            f"invalid rate limit {text!r}: use a count and a period, e.g. 60/minute, "
            "10/second, 1000 per hour, or off for none"
        ) from None


def limits_redis_uri(redis_url: str) -> str:
    """``redis_url`` in the ``limits`` library's async form; raises :class:`ValueError`
    for anything but a ``redis://``, ``rediss://`` or ``redis+unix://`` URL."""
    scheme, sep, rest = redis_url.partition("://")
    if not sep or scheme not in ("redis", "rediss", "redis+unix"):
        raise ValueError(
            f"invalid Redis URL {redis_url!r}: use redis://host:6379/0, rediss://... "
            "or redis+unix:///path/to/socket"
        )
    return f"async+{scheme}://{rest}"
