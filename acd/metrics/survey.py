"""Post-call survey scores: average and Net Promoter Score (0–10 scale)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from acd.metrics.stats import mean
from acd.records import CallRecord

PROMOTER_MIN = 9
"""Scores 9 and 10 are promoters."""
DETRACTOR_MAX = 6
"""Scores 0 to 6 are detractors; 7 and 8 are passives."""


@dataclass(frozen=True)
class SurveyMetrics:
    """Scores of the calls that have one."""

    responses: int
    average: float | None
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    """(% promoters − % detractors), from −100 to +100; ``None`` without responses."""


def survey_metrics(calls: Iterable[CallRecord]) -> SurveyMetrics:
    """Average score and NPS over the calls with a ``survey_score``."""
    scores = [c.survey_score for c in calls if c.survey_score is not None]
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    nps = None
    if scores:
        nps = 100.0 * (promoters - detractors) / len(scores)
    return SurveyMetrics(
        responses=len(scores),
        average=mean(float(s) for s in scores),
        promoters=promoters,
        passives=len(scores) - promoters - detractors,
        detractors=detractors,
        nps=nps,
    )
