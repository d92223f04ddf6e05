"""Agent metrics from :class:`AgentInterval` rows clipped to the period.

* occupancy = (on_call + wrap_up) / (ready + reserved + ringing + on_call + wrap_up):
  how busy an agent was while available for calls (paused time is left out).
* utilisation = (on_call + wrap_up) / logged-in time, where logged-in time is every state
  but ``logged_out`` (paused included, and any state this version does not know).
* calls handled, AHT, talk, wrap-up, survey: over the answered calls of the cut whose
  ``agent_id`` is the agent.
* ring-no-answer (RNA): a ``ringing`` interval that starts in the period and is not
  followed by the agent's ``on_call`` interval, unless the caller hung up while it rang
  (the call's ``ended_at`` is at most 1 s after the ringing ended): that is the caller's
  abandon, not the agent's miss. A ringing interval with no later interval at all is
  not counted (its fate is unknown).

Intervals are written when a state *ends*, so the state an agent is in right now is not
in the records yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from acd.metrics.period import Period
from acd.metrics.stats import mean, ratio
from acd.metrics.survey import SurveyMetrics, survey_metrics
from acd.records import AgentInterval, AgentStateName, CallOutcome, CallRecord

BUSY_STATES = frozenset({AgentStateName.ON_CALL.value, AgentStateName.WRAP_UP.value})
AVAILABLE_STATES = frozenset(
    {
        AgentStateName.READY.value,
        AgentStateName.RESERVED.value,
        AgentStateName.RINGING.value,
        *BUSY_STATES,
    }
)
CALLER_HANGUP_SLACK = 1.0
"""Seconds between the end of a ringing and the end of its call within which the caller hung up."""


@dataclass(frozen=True)
class AgentMetrics:
    """One agent over the period."""

    agent_id: str
    logged_in: float
    """Seconds in any state but logged_out."""
    occupancy: float | None
    utilisation: float | None
    calls_handled: int
    rna: int
    aht: float | None
    avg_talk: float | None
    avg_wrapup: float | None
    survey: SurveyMetrics
    time_by_state: dict[str, float] = field(default_factory=dict)


def state_time(intervals: Iterable[AgentInterval], period: Period) -> dict[str, float]:
    """Seconds per state of the intervals, each clipped to ``period``."""
    totals: defaultdict[str, float] = defaultdict(float)
    for interval in intervals:
        seconds = period.overlap(interval.started_at, interval.ended_at)
        if seconds > 0:
            totals[interval.state] += seconds
    return dict(sorted(totals.items()))


def busy_time(time_by_state: Mapping[str, float]) -> float:
    """On-call plus wrap-up seconds."""
    return sum(time_by_state.get(s, 0.0) for s in BUSY_STATES)


def available_time(time_by_state: Mapping[str, float]) -> float:
    """Seconds in the states that take calls (the occupancy denominator)."""
    return sum(time_by_state.get(s, 0.0) for s in AVAILABLE_STATES)


def logged_in_time(time_by_state: Mapping[str, float]) -> float:
    """Seconds in every state but logged_out (the utilisation denominator)."""
    return sum(v for s, v in time_by_state.items() if s != AgentStateName.LOGGED_OUT.value)


def occupancy(time_by_state: Mapping[str, float]) -> float | None:
    """(on_call + wrap_up) / (ready + reserved + ringing + on_call + wrap_up)."""
    return ratio(busy_time(time_by_state), available_time(time_by_state))


def utilisation(time_by_state: Mapping[str, float]) -> float | None:
    """(on_call + wrap_up) / logged-in time."""
    return ratio(busy_time(time_by_state), logged_in_time(time_by_state))


def ring_no_answers(
    intervals: Iterable[AgentInterval],
    period: Period,
    calls_by_id: Mapping[str, CallRecord],
    *,
    only_calls: Collection[str] | None = None,
) -> dict[str, int]:
    """RNA count per agent (rule in the module docstring).

    ``calls_by_id`` lets a caller's hang-up during the ringing be told apart from a miss.
    With ``only_calls``, only ringing for those call ids counts (a queue filter).
    """
    by_agent: defaultdict[str, list[AgentInterval]] = defaultdict(list)
    for interval in intervals:
        by_agent[interval.agent_id].append(interval)
    counts: dict[str, int] = {}
    for agent_id, own in by_agent.items():
        own.sort(key=lambda i: (i.started_at, i.ended_at))
        missed = 0
        for ring, following in pairwise(own):
            if ring.state != AgentStateName.RINGING.value or not period.contains(ring.started_at):
                continue
            if only_calls is not None and ring.call_id not in only_calls:
                continue
            if following.state == AgentStateName.ON_CALL.value and (
                ring.call_id is None or following.call_id in (None, ring.call_id)
            ):
                continue
            call = calls_by_id.get(ring.call_id) if ring.call_id is not None else None
            if call is not None and _caller_left_while_ringing(call, ring):
                continue
            missed += 1
        counts[agent_id] = missed
    return counts


def _caller_left_while_ringing(call: CallRecord, ring: AgentInterval) -> bool:
    answered_by_someone = call.outcome is CallOutcome.ANSWERED and call.agent_id is not None
    return not answered_by_someone and call.ended_at <= ring.ended_at + CALLER_HANGUP_SLACK


def agent_metrics(
    intervals: Iterable[AgentInterval],
    calls: Iterable[CallRecord],
    period: Period,
    *,
    agent_ids: Collection[str] | None = None,
    calls_by_id: Mapping[str, CallRecord] | None = None,
    rna_only_for_calls: bool = False,
) -> tuple[AgentMetrics, ...]:
    """Metrics per agent, sorted by agent id.

    ``calls`` is the cut's calls (handled counts and AHT come from its answered ones).
    ``agent_ids`` defaults to every agent with time in the period or a handled call.
    ``calls_by_id`` (default: ``calls``) resolves the calls rung for RNA; with
    ``rna_only_for_calls`` only ringing for a call of ``calls`` counts.
    """
    interval_list = list(intervals)
    handled: defaultdict[str, list[CallRecord]] = defaultdict(list)
    call_list = list(calls)
    for call in call_list:
        if call.outcome is CallOutcome.ANSWERED and call.agent_id is not None:
            handled[call.agent_id].append(call)
    own_intervals: defaultdict[str, list[AgentInterval]] = defaultdict(list)
    for interval in interval_list:
        own_intervals[interval.agent_id].append(interval)
    if agent_ids is None:
        with_time = {i.agent_id for i in interval_list if period.overlap(i.started_at, i.ended_at) > 0}
        agent_ids = with_time | set(handled)
    lookup = calls_by_id if calls_by_id is not None else {c.call_id: c for c in call_list}
    rna = ring_no_answers(
        interval_list,
        period,
        lookup,
        only_calls={c.call_id for c in call_list} if rna_only_for_calls else None,
    )
    result = []
    for agent_id in sorted(agent_ids):
        times = state_time(own_intervals.get(agent_id, []), period)
        answered = [c for c in handled.get(agent_id, []) if c.talk_time is not None]
        result.append(
            AgentMetrics(
                agent_id=agent_id,
                logged_in=logged_in_time(times),
                occupancy=occupancy(times),
                utilisation=utilisation(times),
                calls_handled=len(handled.get(agent_id, [])),
                rna=rna.get(agent_id, 0),
                aht=mean(c.handle_time for c in answered if c.handle_time is not None),
                avg_talk=mean(c.talk_time for c in answered if c.talk_time is not None),
                avg_wrapup=mean(c.wrapup_time or 0.0 for c in answered),
                survey=survey_metrics(handled.get(agent_id, [])),
                time_by_state=times,
            )
        )
    return tuple(result)
