"""Helpers the test modules share: waiting on a real event, statistical bounds."""

from __future__ import annotations

import math
import time

__all__ = ["wait_for", "binomial_bounds"]


def wait_for(condition, timeout: float = 30.0, what: str = "condition", every: float = 0.02):
    """Poll `condition()` until it returns something truthy (and return it); fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def binomial_bounds(n: int, p: float, alpha: float = 1e-6) -> tuple[int, int]:
    """[lo, hi] holding a Binomial(n, p) count except with probability < alpha."""
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    lo, tail = 0, 0.0
    while tail + pmf[lo] < alpha / 2:
        tail += pmf[lo]
        lo += 1
    hi, tail = n, 0.0
    while tail + pmf[hi] < alpha / 2:
        tail += pmf[hi]
        hi -= 1
    return lo, hi
