"""How a call record is classified: queued or not, its wait, short abandon, its time.

These few rules decide every queue metric, so they live in one place:

* A call is **queued** when it has a ``queue`` and an ``enqueued_at``. Calls turned away
  before joining (queue full, no agents with ``enqueued_at`` unset) are *blocked*, not offered.
* Its **wait** is ``wait_time``; when that is missing it is rebuilt from the timestamps
  (``answered_at`` or ``ended_at`` minus ``enqueued_at``).
* A **short abandon** is a queued abandon whose wait is *strictly below* the threshold:
  a wait exactly at the threshold is a real abandon.
* A call's **reference time** is ``enqueued_at`` for queued calls, else ``started_at``:
  it decides the period and the interval bucket the call counts in (the interval in which
  it was offered, as contact-centre reports do), even if it was answered in the next one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from acd.metrics.period import Period
from acd.records import CallOutcome, CallRecord


def is_queued(call: CallRecord) -> bool:
    """Whether the call entered a queue."""
    return call.queue is not None and call.enqueued_at is not None


def reference_time(call: CallRecord) -> float:
    """The instant the call is counted at: when it was queued, else when it started."""
    return call.enqueued_at if call.enqueued_at is not None else call.started_at


def wait_of(call: CallRecord) -> float | None:
    """Seconds from enqueue to answer (answered) or to leaving the queue (any other outcome)."""
    if call.wait_time is not None:
        return call.wait_time
    if call.enqueued_at is None:
        return None
    end = call.ended_at
    if call.outcome is CallOutcome.ANSWERED and call.answered_at is not None:
        end = call.answered_at
    return max(0.0, end - call.enqueued_at)


def is_short_abandon(call: CallRecord, threshold: float) -> bool:
    """A queued abandon with a wait strictly below ``threshold``."""
    if call.outcome is not CallOutcome.ABANDONED or not is_queued(call):
        return False
    wait = wait_of(call)
    return wait is not None and wait < threshold


def is_counted_abandon(call: CallRecord, threshold: float) -> bool:
    """A queued abandon that counts as one (its wait is at least ``threshold``)."""
    return call.outcome is CallOutcome.ABANDONED and is_queued(call) and not is_short_abandon(call, threshold)


def is_offered(call: CallRecord, threshold: float) -> bool:
    """Queued and not a short abandon: the denominator of the rates."""
    return is_queued(call) and not is_short_abandon(call, threshold)


def select_calls(
    calls: Iterable[CallRecord], period: Period, queues: Collection[str] | None = None
) -> list[CallRecord]:
    """The calls whose reference time is in ``period`` and, if given, whose queue is in ``queues``."""
    return [
        c
        for c in calls
        if period.contains(reference_time(c))
        and (queues is None or (c.queue is not None and c.queue in queues))
    ]
