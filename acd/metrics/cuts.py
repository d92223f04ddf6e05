"""The whole picture for a period: overall, by queue, by interval, by agent, and the IVR.

:func:`build_report` is a pure function of the records and the period it is given: it
never reads the clock. The records may cover more than the period (they are filtered
here too), so the storage reader only has to narrow the read, not to be exact.

Cut rules:

* calls count where their reference time falls (enqueue time, else start time; see
  :mod:`acd.metrics.calls`), in the period and in the interval bucket;
* callback requests count where ``requested_at`` falls, in their own ``queue``;
* agent time is clipped to the period (and to each bucket for the interval cut);
* with a queue filter, every call and callback figure covers those queues only, the IVR
  figures cover the calls of those queues, and the agent cut lists the agents who
  answered one of those calls. Occupancy stays agent-wide: an agent's time is not split
  by queue.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo

from acd.metrics.agents import AgentMetrics, agent_metrics, available_time, busy_time, logged_in_time
from acd.metrics.callbacks import select_callbacks
from acd.metrics.calls import reference_time, select_calls
from acd.metrics.config import MetricsConfig
from acd.metrics.distribution import Band, abandon_profile
from acd.metrics.ivr import IvrMetrics, ivr_metrics
from acd.metrics.period import Period, bucket_start, bucket_starts
from acd.metrics.queue import QueueMetrics, queue_metrics
from acd.metrics.stats import ratio
from acd.records import AgentInterval, CallbackRecord, CallOutcome, CallRecord


@dataclass(frozen=True)
class IntervalMetrics:
    """One clock-aligned bucket ``[start, end)``."""

    start: float
    end: float
    queue: QueueMetrics
    occupancy: float | None
    """Pooled over the agents of the report: Σ busy / Σ available time in the bucket."""
    agents_staffed: float | None
    """Average number of agents logged in: Σ logged-in seconds / bucket seconds."""


@dataclass(frozen=True)
class MetricsReport:
    """Every cut of one period."""

    period: Period
    queues: tuple[str, ...] | None
    """The queue filter, if any."""
    interval_minutes: int
    config: MetricsConfig
    overall: QueueMetrics
    occupancy: float | None
    """Pooled over the report's agents for the whole period."""
    ivr: IvrMetrics
    abandon_profile: tuple[Band, ...]
    by_queue: dict[str, QueueMetrics] = field(default_factory=dict)
    intervals: tuple[IntervalMetrics, ...] = ()
    agents: tuple[AgentMetrics, ...] = ()


def build_report(
    calls: Iterable[CallRecord],
    intervals: Iterable[AgentInterval] = (),
    callbacks: Iterable[CallbackRecord] = (),
    *,
    period: Period | None = None,
    queues: Collection[str] | None = None,
    config: MetricsConfig | None = None,
    interval_minutes: int = 30,
    tz: tzinfo | None = None,
) -> MetricsReport:
    """Compute every cut of ``period`` (default: everything) for ``queues`` (default: all).

    ``tz`` is the time zone the interval buckets are aligned in (``None`` = system local).
    """
    period = period or Period()
    config = config or MetricsConfig()
    all_calls = list(calls)
    queue_filter = None if queues is None else frozenset(queues)
    selected = sorted(select_calls(all_calls, period, queue_filter), key=reference_time)
    requests = select_callbacks(callbacks, period, queue_filter)
    interval_list = list(intervals)

    agents = agent_metrics(
        interval_list,
        selected,
        period,
        agent_ids=None if queue_filter is None else _answering_agents(selected),
        calls_by_id={c.call_id: c for c in all_calls},
        rna_only_for_calls=queue_filter is not None,
    )
    staffed_ids = {a.agent_id for a in agents}
    staffed_intervals = [i for i in interval_list if i.agent_id in staffed_ids]
    pooled = _pooled_time(staffed_intervals, period)

    calls_by_queue: defaultdict[str, list[CallRecord]] = defaultdict(list)
    for c in selected:
        if c.queue is not None:
            calls_by_queue[c.queue].append(c)
    requests_by_queue: defaultdict[str, list[CallbackRecord]] = defaultdict(list)
    for cb in requests:
        requests_by_queue[cb.queue].append(cb)
    return MetricsReport(
        period=period,
        queues=None if queue_filter is None else tuple(sorted(queue_filter)),
        interval_minutes=interval_minutes,
        config=config,
        overall=queue_metrics(selected, requests, config),
        occupancy=ratio(busy_time(pooled), available_time(pooled)),
        ivr=ivr_metrics(selected),
        abandon_profile=abandon_profile(selected, config),
        by_queue={
            name: queue_metrics(calls_by_queue[name], requests_by_queue[name], config)
            for name in sorted(set(calls_by_queue) | set(requests_by_queue))
        },
        intervals=_interval_cut(selected, requests, staffed_intervals, period, config, interval_minutes, tz),
        agents=agents,
    )


def _answering_agents(calls: Iterable[CallRecord]) -> set[str]:
    return {c.agent_id for c in calls if c.outcome is CallOutcome.ANSWERED and c.agent_id is not None}


def _pooled_time(intervals: Iterable[AgentInterval], period: Period) -> dict[str, float]:
    totals: defaultdict[str, float] = defaultdict(float)
    for interval in intervals:
        totals[interval.state] += period.overlap(interval.started_at, interval.ended_at)
    return dict(totals)


def _interval_cut(
    calls: list[CallRecord],
    requests: list[CallbackRecord],
    intervals: list[AgentInterval],
    period: Period,
    config: MetricsConfig,
    minutes: int,
    tz: tzinfo | None,
) -> tuple[IntervalMetrics, ...]:
    times = [reference_time(c) for c in calls] + [cb.requested_at for cb in requests]
    if not times:
        return ()
    starts = bucket_starts(min(times), max(times), minutes, tz)
    ends = [*starts[1:], bucket_start(starts[-1] + minutes * 60.0, minutes, tz)]
    if ends[-1] <= starts[-1]:
        ends[-1] = starts[-1] + minutes * 60.0
    calls_in: defaultdict[int, list[CallRecord]] = defaultdict(list)
    for call in calls:
        calls_in[bisect_right(starts, reference_time(call)) - 1].append(call)
    requests_in: defaultdict[int, list[CallbackRecord]] = defaultdict(list)
    for request in requests:
        requests_in[bisect_right(starts, request.requested_at) - 1].append(request)
    # Sweep each agent interval over the buckets it overlaps, instead of every bucket
    # over every interval: a month of 15-minute buckets stays fast.
    state_seconds: list[defaultdict[str, float]] = [defaultdict(float) for _ in starts]
    for interval in intervals:
        first = max(0, bisect_right(starts, interval.started_at) - 1)
        for index in range(first, len(starts)):
            if starts[index] >= interval.ended_at:
                break
            # Clip to the bucket, then to the period (a bucket can stick out of it).
            seconds = period.overlap(
                max(interval.started_at, starts[index]), min(interval.ended_at, ends[index])
            )
            if seconds > 0:
                state_seconds[index][interval.state] += seconds
    result = []
    for index, (start, end) in enumerate(zip(starts, ends)):
        in_bucket = state_seconds[index]
        result.append(
            IntervalMetrics(
                start=start,
                end=end,
                queue=queue_metrics(calls_in.get(index, []), requests_in.get(index, []), config),
                occupancy=ratio(busy_time(in_bucket), available_time(in_bucket)),
                agents_staffed=ratio(logged_in_time(in_bucket), end - start) if intervals else None,
            )
        )
    return tuple(result)
