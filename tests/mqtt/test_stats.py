"""Which queues' statistics are due: changed ones, or all of them when the period is up."""

from __future__ import annotations

from dataclasses import replace

from ivr_acd.mqtt.stats import StatsTracker
from tests.mqtt.helpers import T0, center_snapshot, queue


def names(tracker: StatsTracker, everything: bool, **changes: int) -> list[str]:
    snapshot = center_snapshot(T0 + 5)
    if changes:
        snapshot = replace(snapshot, queues=(queue("sales", **changes), snapshot.queues[1]))
    return [q.name for q in tracker.select(snapshot, everything=everything)]


def test_first_sight_publishes_every_queue() -> None:
    assert names(StatsTracker(), everything=False) == ["sales", "support/eu"]


def test_only_changed_queues_unless_everything_is_due() -> None:
    tracker = StatsTracker()
    names(tracker, everything=False, waiting=1)
    assert names(tracker, everything=False, waiting=1) == []
    assert names(tracker, everything=False, waiting=2) == ["sales"]
    assert names(tracker, everything=True, waiting=2) == ["sales", "support/eu"]


def test_the_snapshot_time_alone_is_not_a_change() -> None:
    tracker = StatsTracker()
    tracker.select(center_snapshot(T0), everything=False)
    assert tracker.select(center_snapshot(T0 + 60), everything=False) == []
