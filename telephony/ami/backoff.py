"""Reconnect delays: capped exponential backoff with full jitter.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads reconnects
out: when Asterisk restarts, every daemon that was connected to it does not come back in
the same millisecond. The generator is passed in, so tests replay a seeded sequence.
"""

from __future__ import annotations

import random

# 2.0 ** 1024 overflows a float; past this the ceiling is the cap anyway.
_MAX_EXPONENT = 64


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """The largest delay of attempt ``attempt`` (0-based): ``min(cap, base * 2**attempt)``."""
    return min(cap, base * 2.0 ** min(max(attempt, 0), _MAX_EXPONENT))


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """A delay drawn uniformly from ``[0, backoff_ceiling(attempt)]``."""
    return rng.uniform(0.0, backoff_ceiling(attempt, base=base, cap=cap))
