"""Queue metrics on a small fixture whose every figure is worked out by hand below."""

from __future__ import annotations

import pytest

from acd.metrics import MetricsConfig, QueueMetrics, queue_metrics
from acd.records import CallOutcome, CallRecord
from tests.metrics.builders import answered, call, queued

CONFIG = MetricsConfig(short_abandon_threshold=5.0, service_level_thresholds=(20.0, 30.0))


def fixture_calls() -> list[CallRecord]:
    return [
        answered(10.0, 100.0, 20.0, estimated_wait=15.0, survey_score=10),  # handle 120
        answered(20.0, 200.0, None, estimated_wait=10.0, survey_score=9),  # handle 200 (no wrap-up = 0)
        answered(40.0, 60.0, 30.0, survey_score=6),  # handle 90, no estimate
        queued(CallOutcome.ABANDONED, 3.0),  # short
        queued(CallOutcome.ABANDONED, 5.0),  # exactly at the threshold: counted
        queued(CallOutcome.ABANDONED, 25.0, estimated_wait=100.0),  # counted; its estimate is ignored
        queued(CallOutcome.ABANDONED, 4.999),  # short
        queued(CallOutcome.CALLBACK_REQUESTED, 50.0),
        queued(CallOutcome.EXIT_KEY, 12.0, exit_key="0"),
        queued(CallOutcome.OVERFLOWED, 120.0),
        call(CallOutcome.NO_AGENTS, queue="support"),  # turned away: not queued
        call(CallOutcome.QUEUE_FULL, queue="support"),
        call(CallOutcome.IVR_ONLY, survey_score=8),
    ]


@pytest.fixture
def metrics() -> QueueMetrics:
    return queue_metrics(fixture_calls(), config=CONFIG)


def test_volumes(metrics: QueueMetrics) -> None:
    assert metrics.calls == 13
    assert metrics.queued == 10  # the ten with an enqueue time
    assert metrics.short_abandons == 2  # waits 3 and 4.999
    assert metrics.offered == 8  # 10 queued − 2 short
    assert metrics.answered == 3
    assert metrics.abandoned == 2  # waits 5.0 and 25
    assert metrics.callbacks_requested == 1  # offered, and not an abandon
    assert metrics.exited_by_key == 1
    assert metrics.exits_by_key == {"0": 1}
    assert metrics.overflowed == 1
    assert metrics.no_agents == 1
    assert metrics.queue_full == 1
    assert metrics.outcomes == {
        "answered": 3,
        "abandoned": 4,
        "overflowed": 1,
        "exit_key": 1,
        "callback_requested": 1,
        "no_agents": 1,
        "queue_full": 1,
        "ivr_only": 1,
    }


def test_rates(metrics: QueueMetrics) -> None:
    assert metrics.answer_rate == 3 / 8
    assert metrics.abandon_rate == 2 / 8  # the short abandons are in neither count


def test_speed_of_answer_and_abandon_times(metrics: QueueMetrics) -> None:
    assert metrics.asa == pytest.approx((10 + 20 + 40) / 3)  # 23.33
    assert metrics.longest_answer_wait == 40.0
    assert metrics.avg_abandon_time == (5 + 25) / 2  # short abandons left out
    assert metrics.longest_abandon_time == 25.0


def test_handle_times(metrics: QueueMetrics) -> None:
    assert metrics.aht == pytest.approx((120 + 200 + 90) / 3)  # 136.67
    assert metrics.avg_talk == (100 + 200 + 60) / 3  # 120
    assert metrics.avg_wrapup == pytest.approx((20 + 0 + 30) / 3)  # 16.67


def test_service_level_counts_the_threshold_itself_as_met(metrics: QueueMetrics) -> None:
    sl20 = metrics.service_level(20.0)
    assert sl20 is not None
    assert sl20.answered_within == 2  # waits 10 and 20 (≤ 20)
    assert sl20.abandoned_within == 1  # abandon at 5 s (the 25 s one is late; shorts are not offered)
    assert sl20.level == 2 / 8
    assert sl20.level_with_abandons == (2 + 1) / 8
    sl30 = metrics.service_level(30.0)
    assert sl30 is not None
    assert (sl30.answered_within, sl30.abandoned_within) == (2, 2)
    assert sl30.level == 2 / 8
    assert sl30.level_with_abandons == (2 + 2) / 8
    assert metrics.service_level(60.0) is None  # not configured


def test_wait_estimate_error_over_answered_calls(metrics: QueueMetrics) -> None:
    # estimated − actual: 15 − 10 = +5, 10 − 20 = −10 (the third has no estimate;
    # the abandoned call's estimate is not compared)
    estimate = metrics.wait_estimate
    assert estimate.samples == 2
    assert estimate.mean_absolute_error == (5 + 10) / 2
    assert estimate.mean_signed_error == (5 - 10) / 2


def test_survey_average_and_nps(metrics: QueueMetrics) -> None:
    # scores 10, 9, 6, 8: promoters 10 and 9, passive 8, detractor 6
    survey = metrics.survey
    assert survey.responses == 4
    assert survey.average == (10 + 9 + 6 + 8) / 4
    assert (survey.promoters, survey.passives, survey.detractors) == (2, 1, 1)
    assert survey.nps == 100 * (2 - 1) / 4  # +25


@pytest.mark.parametrize(
    ("score", "kind"),
    [(9, "promoters"), (8, "passives"), (7, "passives"), (6, "detractors"), (0, "detractors")],
)
def test_nps_class_boundaries(score: int, kind: str) -> None:
    survey = queue_metrics([call(survey_score=score)]).survey
    assert getattr(survey, kind) == 1
    assert survey.nps == {"promoters": 100.0, "passives": 0.0, "detractors": -100.0}[kind]


def test_no_calls_gives_zero_counts_and_undefined_rates() -> None:
    empty = queue_metrics([], config=CONFIG)
    assert (empty.calls, empty.offered, empty.answered, empty.abandoned, empty.short_abandons) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert empty.answer_rate is None
    assert empty.abandon_rate is None
    assert empty.asa is None
    assert empty.longest_answer_wait is None
    assert empty.avg_abandon_time is None
    assert empty.longest_abandon_time is None
    assert empty.aht is None
    assert empty.avg_talk is None
    assert empty.avg_wrapup is None
    assert [(s.threshold, s.level, s.level_with_abandons) for s in empty.service_levels] == [
        (20.0, None, None),
        (30.0, None, None),
    ]
    assert empty.survey.nps is None
    assert empty.survey.average is None
    assert empty.wait_estimate.mean_absolute_error is None
    assert empty.callbacks.connect_rate is None
    assert empty.exits_by_key == {}
    assert empty.outcomes == {}


def test_only_short_abandons_means_nothing_offered() -> None:
    m = queue_metrics([queued(CallOutcome.ABANDONED, 1.0), queued(CallOutcome.ABANDONED, 2.0)])
    assert (m.offered, m.abandoned, m.short_abandons) == (0, 0, 2)
    assert m.abandon_rate is None  # 0 / 0 stays undefined, never a division error


def test_short_abandon_threshold_is_configurable() -> None:
    calls = [queued(CallOutcome.ABANDONED, 8.0), answered(5.0, 60.0)]
    default = queue_metrics(calls)  # 8 s ≥ 5 s: counted
    strict = queue_metrics(calls, config=MetricsConfig(short_abandon_threshold=10.0))  # 8 s < 10 s: short
    assert (default.offered, default.abandoned, default.abandon_rate) == (2, 1, 0.5)
    assert (strict.offered, strict.abandoned, strict.short_abandons, strict.abandon_rate) == (1, 0, 1, 0.0)


def test_answered_call_without_talk_time_is_left_out_of_handle_times() -> None:
    m = queue_metrics([answered(10.0, 100.0, 10.0), queued(CallOutcome.ANSWERED, 30.0)])
    assert m.answered == 2
    assert m.asa == 20.0  # both waits count
    assert m.aht == 110.0  # only the one with a talk time


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="at least one"):
        MetricsConfig(service_level_thresholds=())
    with pytest.raises(ValueError, match="fraction"):
        MetricsConfig(service_level_target=80.0)
    with pytest.raises(ValueError, match=">= 0"):
        MetricsConfig(short_abandon_threshold=-1.0)
    with pytest.raises(ValueError, match="increasing"):
        MetricsConfig(abandon_bands=(10.0, 5.0))
