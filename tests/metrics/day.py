"""A small day of traffic (2026-05-11, UTC) shared by the cut tests and the report tests.

Every figure derived from it is worked out by hand in ``test_cuts.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from acd.metrics import MetricsConfig, Period
from acd.records import AgentInterval, CallbackRecord, CallbackStatus, CallOutcome, CallRecord
from tests.metrics.builders import call, callback, interval, path


def t(hour: int, minute: int, second: int = 0) -> float:
    return datetime(2026, 5, 11, hour, minute, second, tzinfo=UTC).timestamp()


PERIOD = Period(t(9, 0), t(11, 0))
CONFIG = MetricsConfig(service_level_thresholds=(20.0,))


def calls() -> list[CallRecord]:
    def q(cid: str, queue: str, enq: float, outcome: CallOutcome, wait: float, **extra: Any) -> CallRecord:
        return call(outcome, queue=queue, enqueued_at=enq, wait=wait, call_id=cid, **extra)

    answered = CallOutcome.ANSWERED
    return [
        # queued 10 s before 09:15, answered after it: counts in the 09:00 bucket
        q("q1", "support", t(9, 14, 50), answered, 30.0, agent_id="a1", talk_time=100.0, wrapup_time=10.0),
        q("q2", "support", t(9, 15), answered, 10.0, agent_id="a1", talk_time=50.0),  # on the edge: 09:15
        q("q3", "sales", t(9, 40), CallOutcome.ABANDONED, 60.0),
        # started in the IVR at 09:10, queued at 09:31: counts at 09:30 (enqueue time)
        q(
            "q4",
            "sales",
            t(9, 31),
            answered,
            5.0,
            started_at=t(9, 10),
            agent_id="b1",
            talk_time=200.0,
            wrapup_time=20.0,
        ),
        q("q5", "support", t(10, 5), CallOutcome.ABANDONED, 2.0),  # short abandon
        call(
            CallOutcome.IVR_ONLY,
            started_at=t(9, 20),
            ivr_path=path("welcome"),
            hangup_by="caller",
            call_id="i1",
        ),
        q("before", "support", t(8, 59, 59), answered, 1.0, agent_id="a1", talk_time=1.0),
        q("after", "support", t(11, 0), answered, 1.0, agent_id="a1", talk_time=1.0),
    ]


def intervals() -> list[AgentInterval]:
    return [
        interval("a1", "on_call", t(9, 10), t(9, 20), "q1"),
        interval("a1", "ready", t(9, 20), t(9, 40)),
        interval("a1", "logged_out", t(9, 40), t(12, 0)),
        interval("b1", "ready", t(8, 30), t(9, 31)),  # crosses the period start
        interval("b1", "on_call", t(9, 31), t(9, 34, 40), "q4"),  # 220 s
        interval("b1", "wrap_up", t(9, 34, 40), t(9, 35), "q4"),  # 20 s
        interval("b1", "paused", t(9, 35), t(11, 30)),  # crosses the period end
    ]


def callbacks() -> list[CallbackRecord]:
    return [
        callback(CallbackStatus.CONNECTED, requested_at=t(9, 50), connected_at=t(9, 55)),
        callback(CallbackStatus.PENDING, requested_at=t(10, 20), queue="sales"),
        callback(CallbackStatus.FAILED, requested_at=t(8, 0)),  # before the period
    ]
