"""How good the wait estimate announced to callers was, measured on answered calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acd.metrics.calls import is_queued, wait_of
from acd.metrics.stats import mean
from acd.records import CallOutcome, CallRecord


@dataclass(frozen=True)
class WaitEstimateError:
    """Announced ``estimated_wait`` against the actual wait of answered calls."""

    samples: int
    mean_absolute_error: float | None
    """mean(|estimated − actual|) in seconds."""
    mean_signed_error: float | None
    """mean(estimated − actual): positive = we announced longer waits than callers had."""


def wait_estimate_error(calls: Iterable[CallRecord]) -> WaitEstimateError:
    """Compare the estimate with the wait, over answered queued calls that have both."""
    errors: list[float] = []
    for call in calls:
        if call.outcome is not CallOutcome.ANSWERED or not is_queued(call) or call.estimated_wait is None:
            continue
        wait = wait_of(call)
        if wait is not None:
            errors.append(call.estimated_wait - wait)
    return WaitEstimateError(
        samples=len(errors),
        mean_absolute_error=mean(abs(e) for e in errors),
        mean_signed_error=mean(errors),
    )
