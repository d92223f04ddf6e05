"""Callback request counts, and the abandon-time profile bands."""

from __future__ import annotations

from acd.metrics import MetricsConfig, Period, abandon_profile, callback_metrics, select_callbacks
from acd.records import CallbackStatus, CallOutcome
from tests.metrics.builders import answered, callback, queued


def test_callback_counts_connect_rate_and_time_to_connect() -> None:
    requests = [
        callback(CallbackStatus.CONNECTED, requested_at=100.0, connected_at=400.0),  # 300 s
        callback(CallbackStatus.CONNECTED, requested_at=200.0, connected_at=300.0),  # 100 s
        callback(CallbackStatus.FAILED),
        callback(CallbackStatus.EXPIRED),
        callback(CallbackStatus.CANCELLED),
        callback(CallbackStatus.PENDING),
        callback(CallbackStatus.RETRY_WAIT),
    ]
    m = callback_metrics(requests)
    assert (m.requested, m.connected, m.failed, m.expired, m.cancelled, m.in_progress) == (7, 2, 1, 1, 1, 2)
    assert m.connect_rate == 2 / (7 - 2)  # open requests are not settled yet
    assert m.avg_time_to_connect == (300 + 100) / 2


def test_no_callbacks() -> None:
    m = callback_metrics([])
    assert (m.requested, m.connect_rate, m.avg_time_to_connect) == (0, None, None)


def test_callbacks_are_selected_by_request_time_and_queue() -> None:
    inside = callback(CallbackStatus.PENDING, requested_at=1000.0)
    before = callback(CallbackStatus.PENDING, requested_at=999.0)
    sales = callback(CallbackStatus.PENDING, requested_at=1000.0, queue="sales")
    assert select_callbacks([inside, before, sales], Period(1000.0, 2000.0), ["support"]) == [inside]


def test_abandon_profile_bands() -> None:
    waits = [0.0, 4.99, 5.0, 9.9, 10.0, 299.0, 300.0, 1000.0]
    calls = [queued(CallOutcome.ABANDONED, w) for w in waits] + [answered(3.0, 10.0)]
    bands = abandon_profile(calls, MetricsConfig(abandon_bands=(10.0, 300.0)))
    # [0, 5) short: 0, 4.99 · [5, 10): 5, 9.9 · [10, 300): 10, 299 · 300+: 300, 1000
    assert [(b.lower, b.upper, b.count, b.short) for b in bands] == [
        (0.0, 5.0, 2, True),
        (5.0, 10.0, 2, False),
        (10.0, 300.0, 2, False),
        (300.0, None, 2, False),
    ]


def test_abandon_profile_without_short_abandons() -> None:
    bands = abandon_profile(
        [queued(CallOutcome.ABANDONED, 2.0)],
        MetricsConfig(short_abandon_threshold=0.0, abandon_bands=(10.0,)),
    )
    assert [(b.lower, b.upper, b.count, b.short) for b in bands] == [
        (0.0, 10.0, 1, False),
        (10.0, None, 0, False),
    ]


def test_band_edges_below_the_short_threshold_are_dropped() -> None:
    bands = abandon_profile([], MetricsConfig(short_abandon_threshold=15.0, abandon_bands=(10.0, 20.0)))
    assert [(b.lower, b.upper) for b in bands] == [(0.0, 15.0), (15.0, 20.0), (20.0, None)]
