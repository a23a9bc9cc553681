"""Identifiers: a readable prefix and a time-ordered hex body, so ids sort by creation."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """Return ``prefix_`` + 12 hex digits of milliseconds + 16 random hex digits."""
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"
