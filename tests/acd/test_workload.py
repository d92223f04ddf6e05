"""Busy history (occupancy) and the daily call tally."""

from __future__ import annotations

import pytest

from acd.workload import BusyHistory, CallTally


def test_occupancy_over_a_sliding_window() -> None:
    history = BusyHistory().record(900, 950, horizon=1000).record(960, 980, horizon=1000)
    assert history.busy_seconds(0, 1000) == 70
    assert history.occupancy(now=1000, window=100) == pytest.approx(0.7)
    # The window slides: at 1050 only [950, 1050] counts, which holds 20 busy seconds.
    assert history.occupancy(now=1050, window=100) == pytest.approx(0.2)


def test_overlapping_and_touching_intervals_merge() -> None:
    history = BusyHistory().record(10, 20, 100).record(15, 30, 100).record(30, 40, 100).record(50, 60, 100)
    assert history.intervals == ((10.0, 40.0), (50.0, 60.0))
    assert history.record(0, 100, 1000).intervals == ((0.0, 100.0),)


def test_out_of_order_interval_is_placed() -> None:
    history = BusyHistory().record(50, 60, 100).record(10, 20, 100)
    assert history.intervals == ((10.0, 20.0), (50.0, 60.0))


def test_history_stays_compact() -> None:
    history = BusyHistory()
    for start in range(0, 10_000, 100):
        history = history.record(start, start + 10, horizon=300)
    assert len(history.intervals) <= 4
    assert history.occupancy(now=10_000, window=300) == pytest.approx(30 / 300)


def test_empty_interval_is_ignored() -> None:
    assert BusyHistory().record(5, 5, 100).intervals == ()


def test_call_tally_resets_with_the_day() -> None:
    tally = CallTally().record(day_start=0).record(day_start=0)
    assert tally.count_on(0) == 2
    assert tally.count_on(86_400) == 0  # a new day: yesterday's calls do not count
    assert tally.record(86_400) == CallTally(86_400, 1)
