"""RetryPolicy on its own: exponential, capped, jittered backoff and the try allowance."""

from __future__ import annotations

import pytest

from untxt.db.types import utcnow
from untxt.queue import RetryPolicy


def test_nominal_delay_doubles_per_attempt() -> None:
    """With the draw at 1 the delay is the nominal one: base, 2*base, 4*base, ..."""
    policy = RetryPolicy(base=2.0, cap=1000.0)
    assert [policy.delay(n, rand=1.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 32.0]


def test_delay_is_capped() -> None:
    """Past the cap every attempt waits at most ``cap`` seconds."""
    policy = RetryPolicy(base=2.0, cap=10.0)
    assert policy.delay(3, rand=1.0) == 8.0
    assert policy.delay(4, rand=1.0) == 10.0
    assert policy.delay(40, rand=1.0) == 10.0


def test_lowest_draw_waits_half_the_nominal_delay() -> None:
    """Equal jitter: the shortest wait is half the nominal delay, never zero."""
    policy = RetryPolicy(base=2.0, cap=10.0)
    assert policy.delay(1, rand=0.0) == 1.0
    assert policy.delay(3, rand=0.0) == 4.0
    assert policy.delay(9, rand=0.0) == 5.0


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 12])
def test_random_jitter_stays_within_half_and_full_delay(attempt: int) -> None:
    """Random draws land in ``[d/2, d]`` and are actually spread out."""
    policy = RetryPolicy(base=2.0, cap=20.0)
    nominal = min(20.0, 2.0 * 2 ** (attempt - 1))
    delays = [policy.delay(attempt) for _ in range(500)]
    assert all(nominal / 2 <= d <= nominal for d in delays)
    assert len(set(delays)) > 1


def test_next_run_at_is_in_the_future_within_the_delay() -> None:
    """``next_run_at`` adds a delay in ``[d/2, d]`` to ``now``."""
    policy = RetryPolicy(base=4.0, cap=100.0)
    now = utcnow()
    for _ in range(50):
        waited = (policy.next_run_at(2, now) - now).total_seconds()
        assert 4.0 <= waited <= 8.0


def test_exhausted_uses_the_policy_allowance_by_default() -> None:
    """Attempts below ``max_attempts`` leave tries; reaching it uses them up."""
    policy = RetryPolicy(max_attempts=3)
    assert not policy.exhausted(0)
    assert not policy.exhausted(2)
    assert policy.exhausted(3)
    assert policy.exhausted(4)


def test_exhausted_prefers_an_explicit_allowance() -> None:
    """A task's own ``max_attempts`` overrides the policy's."""
    policy = RetryPolicy(max_attempts=3)
    assert not policy.exhausted(3, max_attempts=5)
    assert policy.exhausted(5, max_attempts=5)
    assert policy.exhausted(1, max_attempts=1)
