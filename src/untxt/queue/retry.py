"""Retry policy: how many tries a task gets and how long to wait between them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with equal jitter, capped.

    The wait after the n-th failed attempt is drawn from ``[d/2, d]`` where
    ``d = min(cap, base * 2**(n-1))``: never shorter than half the nominal delay,
    and spread so that tasks failing together do not retry together.
    """

    max_attempts: int = 3
    base: float = 2.0
    cap: float = 300.0

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        nominal = min(self.cap, self.base * 2.0 ** max(attempt - 1, 0))
        draw = random.random() if rand is None else rand
        return nominal / 2 + nominal / 2 * draw

    def next_run_at(self, attempt: int, now: datetime) -> datetime:
        """When a task that just failed attempt ``attempt`` may run again."""
        return now + timedelta(seconds=self.delay(attempt))

    def exhausted(self, attempts: int, max_attempts: int | None = None) -> bool:
        """Whether ``attempts`` tries use up the allowance."""
        return attempts >= (self.max_attempts if max_attempts is None else max_attempts)
