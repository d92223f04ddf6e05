"""Contact-centre metrics as pure functions of the records (formulas in ``docs/metrics.md``).

Nothing here reads the clock or does I/O: the period, the time zone and the thresholds are
passed in. :func:`build_report` computes every cut; the other functions compute one
family of metrics over a set of records and are usable on their own.
"""

from acd.metrics.agents import (
    AgentMetrics,
    agent_metrics,
    occupancy,
    ring_no_answers,
    state_time,
    utilisation,
)
from acd.metrics.callbacks import CallbackMetrics, callback_metrics, select_callbacks
from acd.metrics.calls import (
    is_counted_abandon,
    is_offered,
    is_queued,
    is_short_abandon,
    reference_time,
    select_calls,
    wait_of,
)
from acd.metrics.config import MetricsConfig
from acd.metrics.cuts import IntervalMetrics, MetricsReport, build_report
from acd.metrics.distribution import Band, abandon_profile
from acd.metrics.estimate import WaitEstimateError, wait_estimate_error
from acd.metrics.ivr import IvrMetrics, StepMetrics, ivr_metrics
from acd.metrics.period import BUCKET_MINUTES, Period, bucket_start, bucket_starts
from acd.metrics.queue import QueueMetrics, ServiceLevel, queue_metrics
from acd.metrics.survey import SurveyMetrics, survey_metrics

__all__ = [
    "BUCKET_MINUTES",
    "AgentMetrics",
    "Band",
    "CallbackMetrics",
    "IntervalMetrics",
    "IvrMetrics",
    "MetricsConfig",
    "MetricsReport",
    "Period",
    "QueueMetrics",
    "ServiceLevel",
    "StepMetrics",
    "SurveyMetrics",
    "WaitEstimateError",
    "abandon_profile",
    "agent_metrics",
    "bucket_start",
    "bucket_starts",
    "build_report",
    "callback_metrics",
    "is_counted_abandon",
    "is_offered",
    "is_queued",
    "is_short_abandon",
    "ivr_metrics",
    "occupancy",
    "queue_metrics",
    "reference_time",
    "ring_no_answers",
    "select_callbacks",
    "select_calls",
    "state_time",
    "survey_metrics",
    "utilisation",
    "wait_estimate_error",
    "wait_of",
]
