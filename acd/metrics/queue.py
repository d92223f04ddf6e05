"""Queue metrics of a set of calls: volumes, speed of answer, abandons, service level, AHT.

Definitions (also in ``docs/metrics.md``), with *wait* and *offered* as in
:mod:`acd.metrics.calls` and T a service-level threshold:

* offered = queued calls − short abandons; answered, abandoned (short ones excluded),
  callbacks requested (offered, never abandoned), exits by key, overflows: by outcome.
* no agents / queue full: every call with that outcome, queued or turned away.
* ASA = mean wait of answered calls; avg / longest abandon time over counted abandons.
* AHT = mean(talk + wrap-up) over answered calls with a talk time (missing wrap-up = 0).
* service level(T) = answered with wait ≤ T / offered;
  with abandons = (answered with wait ≤ T + counted abandons with wait ≤ T) / offered.
* abandon rate = abandoned / offered; answer rate = answered / offered.

Rates and averages are ``None`` when their denominator is zero; counts are 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from acd.metrics.callbacks import CallbackMetrics, callback_metrics
from acd.metrics.calls import is_counted_abandon, is_offered, is_queued, is_short_abandon, wait_of
from acd.metrics.config import MetricsConfig
from acd.metrics.estimate import WaitEstimateError, wait_estimate_error
from acd.metrics.stats import maximum, mean, ratio
from acd.metrics.survey import SurveyMetrics, survey_metrics
from acd.records import CallbackRecord, CallOutcome, CallRecord


@dataclass(frozen=True)
class ServiceLevel:
    """Service level for one threshold."""

    threshold: float
    answered_within: int
    abandoned_within: int
    """Counted (not short) abandons with a wait ≤ threshold."""
    level: float | None
    """answered_within / offered."""
    level_with_abandons: float | None
    """(answered_within + abandoned_within) / offered, like app_queue's ServicelevelPerf2."""


@dataclass(frozen=True)
class QueueMetrics:
    """Everything measured on a set of calls (a queue, an interval, the whole period)."""

    calls: int
    """Every call of the set, queued or not."""
    queued: int
    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    callbacks_requested: int
    exited_by_key: int
    overflowed: int
    no_agents: int
    queue_full: int
    answer_rate: float | None
    abandon_rate: float | None
    asa: float | None
    longest_answer_wait: float | None
    avg_abandon_time: float | None
    longest_abandon_time: float | None
    aht: float | None
    avg_talk: float | None
    avg_wrapup: float | None
    service_levels: tuple[ServiceLevel, ...]
    wait_estimate: WaitEstimateError
    survey: SurveyMetrics
    callbacks: CallbackMetrics
    exits_by_key: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    """Every call of the set by outcome."""

    def service_level(self, threshold: float) -> ServiceLevel | None:
        """The service level computed for ``threshold``, if it was configured."""
        return next((sl for sl in self.service_levels if sl.threshold == threshold), None)


def queue_metrics(
    calls: Iterable[CallRecord],
    callbacks: Iterable[CallbackRecord] = (),
    config: MetricsConfig | None = None,
) -> QueueMetrics:
    """Measure a set of calls (and the callback requests of the same cut)."""
    config = config or MetricsConfig()
    items = list(calls)
    short = config.short_abandon_threshold
    queued = [c for c in items if is_queued(c)]
    offered = [c for c in queued if is_offered(c, short)]
    answered = [c for c in queued if c.outcome is CallOutcome.ANSWERED]
    abandoned = [c for c in queued if is_counted_abandon(c, short)]
    answer_waits = _waits(answered)
    abandon_waits = _waits(abandoned)
    handled = [c for c in answered if c.talk_time is not None]

    def queued_with(outcome: CallOutcome) -> int:
        return sum(1 for c in queued if c.outcome is outcome)

    return QueueMetrics(
        calls=len(items),
        queued=len(queued),
        offered=len(offered),
        answered=len(answered),
        abandoned=len(abandoned),
        short_abandons=sum(1 for c in queued if is_short_abandon(c, short)),
        callbacks_requested=queued_with(CallOutcome.CALLBACK_REQUESTED),
        exited_by_key=queued_with(CallOutcome.EXIT_KEY),
        overflowed=queued_with(CallOutcome.OVERFLOWED),
        no_agents=sum(1 for c in items if c.outcome is CallOutcome.NO_AGENTS),
        queue_full=sum(1 for c in items if c.outcome is CallOutcome.QUEUE_FULL),
        answer_rate=ratio(len(answered), len(offered)),
        abandon_rate=ratio(len(abandoned), len(offered)),
        asa=mean(answer_waits),
        longest_answer_wait=maximum(answer_waits),
        avg_abandon_time=mean(abandon_waits),
        longest_abandon_time=maximum(abandon_waits),
        aht=mean(c.handle_time for c in handled if c.handle_time is not None),
        avg_talk=mean(c.talk_time for c in handled if c.talk_time is not None),
        avg_wrapup=mean(c.wrapup_time or 0.0 for c in handled),
        service_levels=tuple(
            _service_level(t, answer_waits, abandon_waits, len(offered))
            for t in config.service_level_thresholds
        ),
        wait_estimate=wait_estimate_error(queued),
        survey=survey_metrics(items),
        callbacks=callback_metrics(callbacks),
        exits_by_key=dict(
            sorted(Counter(c.exit_key or "?" for c in queued if c.outcome is CallOutcome.EXIT_KEY).items())
        ),
        outcomes={o.value: n for o in CallOutcome if (n := sum(1 for c in items if c.outcome is o))},
    )


def _waits(calls: list[CallRecord]) -> list[float]:
    return [w for c in calls if (w := wait_of(c)) is not None]


def _service_level(
    threshold: float, answer_waits: list[float], abandon_waits: list[float], offered: int
) -> ServiceLevel:
    answered_within = sum(1 for w in answer_waits if w <= threshold)
    abandoned_within = sum(1 for w in abandon_waits if w <= threshold)
    return ServiceLevel(
        threshold=threshold,
        answered_within=answered_within,
        abandoned_within=abandoned_within,
        level=ratio(answered_within, offered),
        level_with_abandons=ratio(answered_within + abandoned_within, offered),
    )
