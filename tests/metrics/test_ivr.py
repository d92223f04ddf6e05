"""IVR containment, drop-out per last step and the step funnel."""

from __future__ import annotations

from acd.metrics import ivr_metrics
from acd.records import CallOutcome, PathEvent
from tests.metrics.builders import call, path

IVR_ONLY = CallOutcome.IVR_ONLY


def test_containment_dropouts_and_funnel() -> None:
    calls = [
        # hung up in main: counted at its ivr_end_step
        call(IVR_ONLY, ivr_path=path("welcome", "main"), ivr_end_step="main", hangup_by="caller"),
        # self-service finished by us: contained, not a drop-out
        call(
            IVR_ONLY, ivr_path=path("welcome", "main", "balance"), ivr_end_step="balance", hangup_by="system"
        ),
        # re-enters main (counted once there), its path ends with a hangup event, no end step
        call(
            IVR_ONLY,
            ivr_path=[*path("welcome", "main", "balance", "main"), PathEvent(9.0, "hangup", "main")],
        ),
        # went on to a queue: not contained
        call(CallOutcome.ANSWERED, ivr_path=path("welcome", "main", "sales"), queue="sales", enqueued_at=5.0),
        # hung up in the welcome prompt: no end step, the last event tells
        call(IVR_ONLY, ivr_path=path("welcome"), hangup_by="caller"),
        # no path at all
        call(IVR_ONLY, hangup_by="caller"),
    ]
    ivr = ivr_metrics(calls)
    assert ivr.calls == 6
    assert ivr.contained == 5
    assert ivr.containment == 5 / 6
    assert ivr.dropped_out == 4
    assert ivr.dropouts_by_step == {"main": 2, "(unknown)": 1, "welcome": 1}
    assert [(s.step, s.entered, s.dropped_out, s.dropout_rate) for s in ivr.steps] == [
        ("welcome", 5, 1, 1 / 5),
        ("main", 4, 2, 2 / 4),
        ("balance", 2, 0, 0.0),
        ("sales", 1, 0, 0.0),
        ("(unknown)", 0, 1, None),  # never "entered": the rate is undefined
    ]


def test_ties_in_the_funnel_follow_the_path_order() -> None:
    # Every call passes zeta then alpha: same counts, zeta comes first in the flow.
    ivr = ivr_metrics([call(ivr_path=path("zeta", "alpha")) for _ in range(3)])
    assert [s.step for s in ivr.steps] == ["zeta", "alpha"]


def test_no_calls() -> None:
    ivr = ivr_metrics([])
    assert (ivr.calls, ivr.contained, ivr.containment, ivr.dropped_out, ivr.steps) == (0, 0, None, 0, ())
