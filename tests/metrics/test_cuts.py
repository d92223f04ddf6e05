"""build_report: overall, by queue, by interval (15 min, UTC), by agent, with period and queue filters."""

from __future__ import annotations

from datetime import UTC

import pytest

from acd.metrics import MetricsReport, build_report
from tests.metrics.day import CONFIG, PERIOD, callbacks, calls, intervals, t


@pytest.fixture
def report() -> MetricsReport:
    return build_report(
        calls(), intervals(), callbacks(), period=PERIOD, config=CONFIG, interval_minutes=15, tz=UTC
    )


def test_overall(report: MetricsReport) -> None:
    m = report.overall
    # q1..q5 and i1; "before" and "after" are outside the period
    assert (m.calls, m.offered, m.answered, m.abandoned, m.short_abandons) == (6, 4, 3, 1, 1)
    assert m.asa == (30 + 10 + 5) / 3
    sl = m.service_level(20.0)
    assert sl is not None
    assert sl.level == 2 / 4  # waits 10 and 5 are within 20 s; 30 is not
    assert (m.callbacks.requested, m.callbacks.connected) == (2, 1)


def test_by_queue(report: MetricsReport) -> None:
    assert list(report.by_queue) == ["sales", "support"]
    sales, support = report.by_queue["sales"], report.by_queue["support"]
    assert (sales.offered, sales.answered, sales.abandoned, sales.abandon_rate) == (2, 1, 1, 0.5)
    assert (support.offered, support.answered, support.short_abandons, support.abandon_rate) == (2, 2, 1, 0.0)
    assert (sales.callbacks.requested, support.callbacks.requested) == (1, 1)


def test_intervals_are_contiguous_and_calls_count_where_they_were_queued(report: MetricsReport) -> None:
    starts = [i.start for i in report.intervals]
    # 09:00 (q1) … 10:15 (the 10:20 callback request), empty 09:45 included
    assert starts == [t(9, 0), t(9, 15), t(9, 30), t(9, 45), t(10, 0), t(10, 15)]
    assert [i.end - i.start for i in report.intervals] == [900.0] * 6
    rows = [
        (
            i.queue.calls,
            i.queue.offered,
            i.queue.answered,
            i.queue.abandoned,
            i.queue.short_abandons,
            i.queue.asa,
        )
        for i in report.intervals
    ]
    assert rows == [
        (1, 1, 1, 0, 0, 30.0),  # q1, answered at 09:15:20 but offered at 09:14:50
        (2, 1, 1, 0, 0, 10.0),  # q2 (09:15:00 exactly) and the IVR call i1
        (2, 2, 1, 1, 0, 5.0),  # q3 and q4 (queued 09:31, started 09:10)
        (0, 0, 0, 0, 0, None),  # nothing: undefined ASA, not 0
        (1, 0, 0, 0, 1, None),  # q5 short abandon: not offered
        (0, 0, 0, 0, 0, None),
    ]
    levels = [sl.level for i in report.intervals for sl in i.queue.service_levels]
    assert levels == [0.0, 1.0, 0.5, None, None, None]
    assert [i.queue.callbacks.requested for i in report.intervals] == [0, 0, 0, 1, 0, 1]


def test_interval_occupancy_splits_agent_time_at_bucket_edges(report: MetricsReport) -> None:
    # 09:00–09:15: a1 on_call 300; b1 ready 900 → 300 / 1200; 1200 s logged in / 900 s
    # 09:15–09:30: a1 on_call 300 + ready 600; b1 ready 900 → 300 / 1800; 1800 / 900
    # 09:30–09:45: a1 ready 600 (+ logged_out); b1 ready 60, on_call 220, wrap 20, paused 600
    #              → 240 / 900; logged in 900 + 600 = 1500
    # 09:45– : a1 logged out, b1 paused → no available time: undefined; 900 s logged in
    occupancy = [i.occupancy for i in report.intervals]
    assert occupancy == pytest.approx([300 / 1200, 300 / 1800, 240 / 900, None, None, None])
    staffed = [i.agents_staffed for i in report.intervals]
    assert staffed == pytest.approx([1200 / 900, 1800 / 900, 1500 / 900, 1.0, 1.0, 1.0])


def test_agents_and_pooled_occupancy(report: MetricsReport) -> None:
    by_agent = {a.agent_id: a for a in report.agents}
    assert list(by_agent) == ["a1", "b1"]
    a1, b1 = by_agent["a1"], by_agent["b1"]
    assert (a1.calls_handled, b1.calls_handled) == (2, 1)  # "before"/"after" are outside
    assert a1.occupancy == pytest.approx(600 / 1800)
    # b1 in [09:00, 11:00): ready 09:00–09:31 = 1860, on_call 220, wrap 20, paused 5100
    assert b1.occupancy == pytest.approx(240 / (1860 + 240))
    assert b1.logged_in == 1860 + 240 + 5100  # = 7200, the whole period
    # pooled: busy 600 + 240; available a1 1800 + b1 2100
    assert report.occupancy == pytest.approx(840 / 3900)


def test_ivr_and_profile(report: MetricsReport) -> None:
    assert (report.ivr.calls, report.ivr.contained, report.ivr.dropped_out) == (6, 1, 1)
    assert [(b.count, b.short) for b in report.abandon_profile[:1]] == [(1, True)]  # q5
    assert sum(b.count for b in report.abandon_profile) == 2  # q5 and q3


def test_queue_filter() -> None:
    report = build_report(
        calls(),
        intervals(),
        callbacks(),
        period=PERIOD,
        queues=["sales"],
        config=CONFIG,
        interval_minutes=15,
        tz=UTC,
    )
    assert report.queues == ("sales",)
    assert list(report.by_queue) == ["sales"]
    assert (report.overall.calls, report.overall.offered, report.overall.answered) == (2, 2, 1)
    assert [a.agent_id for a in report.agents] == ["b1"]  # only who answered a sales call
    assert (report.ivr.calls, report.ivr.contained) == (2, 0)
    assert report.overall.callbacks.requested == 1
    # buckets 09:30 (q3, q4) to 10:15 (the sales callback); occupancy pooled over b1 only
    assert [i.start for i in report.intervals] == [t(9, 30), t(9, 45), t(10, 0), t(10, 15)]
    assert report.intervals[0].occupancy == pytest.approx(240 / (60 + 240))


def test_no_records_at_all() -> None:
    report = build_report([], period=PERIOD)
    assert report.overall.offered == 0
    assert report.overall.abandon_rate is None
    assert report.intervals == ()
    assert report.agents == ()
    assert report.by_queue == {}
    assert report.occupancy is None
    assert report.ivr.containment is None
    assert all(b.count == 0 for b in report.abandon_profile)


def test_agents_without_calls_still_get_occupancy() -> None:
    report = build_report([], intervals(), period=PERIOD, tz=UTC)
    assert [a.agent_id for a in report.agents] == ["a1", "b1"]
    assert report.occupancy == pytest.approx(840 / 3900)
    assert report.intervals == ()  # buckets follow calls and callback requests


def test_unbounded_period_takes_every_record() -> None:
    report = build_report(calls(), config=CONFIG, interval_minutes=60, tz=UTC)
    assert report.overall.calls == 8
    assert [i.start for i in report.intervals] == [t(8, 0), t(9, 0), t(10, 0), t(11, 0)]
