"""Classification of call records: queued, wait, short abandon, reference time, selection."""

from __future__ import annotations

import pytest

from acd.metrics import (
    Period,
    is_counted_abandon,
    is_offered,
    is_queued,
    is_short_abandon,
    reference_time,
    select_calls,
    wait_of,
)
from acd.records import CallOutcome
from tests.metrics.builders import call, queued

ABANDONED = CallOutcome.ABANDONED


@pytest.mark.parametrize(
    ("wait", "short"),
    [
        (0.0, True),
        (4.999, True),
        (5.0, False),  # exactly at the threshold: a real abandon ("wait < threshold" is short)
        (5.001, False),
    ],
)
def test_short_abandon_boundary_is_strictly_below_the_threshold(wait: float, short: bool) -> None:
    record = queued(ABANDONED, wait)
    assert is_short_abandon(record, 5.0) is short
    assert is_counted_abandon(record, 5.0) is not short
    assert is_offered(record, 5.0) is not short


def test_only_queued_abandons_can_be_short() -> None:
    not_queued = call(ABANDONED, queue="support", wait=1.0)  # no enqueued_at
    assert not is_queued(not_queued)
    assert not is_short_abandon(not_queued, 5.0)
    assert not is_offered(not_queued, 5.0)


def test_threshold_zero_makes_no_short_abandons() -> None:
    assert not is_short_abandon(queued(ABANDONED, 0.0), 0.0)


def test_wait_falls_back_on_timestamps() -> None:
    # answered: answered_at − enqueued_at = 1030 − 1000
    assert wait_of(queued(CallOutcome.ANSWERED, None, answered_at=1030.0)) == 30.0
    # any other outcome: ended_at − enqueued_at = 1012 − 1000
    assert wait_of(queued(ABANDONED, None, ended_at=1012.0)) == 12.0
    assert wait_of(call(CallOutcome.IVR_ONLY)) is None
    assert wait_of(queued(ABANDONED, 7.0, ended_at=5000.0)) == 7.0  # wait_time wins


def test_reference_time_is_enqueue_time_else_start() -> None:
    assert reference_time(queued(ABANDONED, 3.0, at=1234.0)) == 1234.0
    assert reference_time(call(started_at=99.0)) == 99.0


def test_select_by_period_and_queue() -> None:
    early = queued(ABANDONED, 9.0, at=999.0)
    inside = queued(ABANDONED, 9.0, at=1000.0)  # start is inclusive
    other_queue = queued(ABANDONED, 9.0, at=1500.0, queue="sales")
    at_end = queued(ABANDONED, 9.0, at=2000.0)  # end is exclusive
    ivr = call(started_at=1500.0)
    # started before the period, queued inside it: counts (reference time = enqueue)
    late_queue = queued(ABANDONED, 9.0, at=1001.0, started_at=900.0)
    calls = [early, inside, other_queue, at_end, ivr, late_queue]
    period = Period(1000.0, 2000.0)
    assert select_calls(calls, period) == [inside, other_queue, ivr, late_queue]
    assert select_calls(calls, period, ["support"]) == [inside, late_queue]
    assert select_calls(calls, Period()) == calls


def test_period_rejects_an_end_before_its_start() -> None:
    with pytest.raises(ValueError, match="cannot end before"):
        Period(2.0, 1.0)


def test_period_overlap_clips_both_sides() -> None:
    period = Period(100.0, 200.0)
    assert period.overlap(50.0, 150.0) == 50.0
    assert period.overlap(150.0, 250.0) == 50.0
    assert period.overlap(50.0, 250.0) == 100.0
    assert period.overlap(0.0, 100.0) == 0.0
    assert Period().overlap(5.0, 7.5) == 2.5
