"""Agent occupancy, utilisation, handled calls and ring-no-answer, with intervals crossing the period edges."""

from __future__ import annotations

import pytest

from acd.metrics import AgentMetrics, Period, agent_metrics, occupancy, state_time, utilisation
from acd.records import AgentInterval, CallOutcome, CallRecord
from tests.metrics.builders import answered, call, interval

PERIOD = Period(1000.0, 2000.0)


def intervals() -> list[AgentInterval]:
    return [
        # a1: logged in for the whole period, with states sticking out of both ends
        interval("a1", "logged_out", 0.0, 900.0),  # before the period: nothing
        interval("a1", "ready", 900.0, 1100.0),  # clipped to [1000, 1100): 100
        interval("a1", "ringing", 1100.0, 1110.0, "X"),  # 10, answered (on_call follows)
        interval("a1", "on_call", 1110.0, 1410.0, "X"),  # 300
        interval("a1", "wrap_up", 1410.0, 1470.0, "X"),  # 60
        interval("a1", "paused", 1470.0, 1600.0),  # 130
        interval("a1", "ready", 1600.0, 1800.0),  # 200
        interval("a1", "ringing", 1800.0, 1815.0, "Y"),  # 15, not answered: RNA (b1 took Y)
        interval("a1", "ready", 1815.0, 1900.0),  # 85
        interval("a1", "on_call", 1900.0, 2300.0, "Z"),  # clipped to [1900, 2000): 100
        # b1
        interval("b1", "ready", 1000.0, 1500.0),  # 500
        interval("b1", "ringing", 1500.0, 1520.0, "W"),  # 20; the caller hung up at 1520.5: no RNA
        interval("b1", "ready", 1520.0, 1600.0),  # 80
        interval("b1", "ringing", 1810.0, 1820.0, "Y"),  # 10, answered
        interval("b1", "on_call", 1820.0, 1900.0, "Y"),  # 80
        interval("b1", "wrap_up", 1900.0, 1950.0, "Y"),  # 50
        interval("b1", "logged_out", 1950.0, 3000.0),  # 50 in the period, not logged in
        # c1: a ring that started before the period does not count; one at its very end does
        interval("c1", "ringing", 950.0, 1005.0, "U"),  # 5 in the period, started before: no RNA
        interval("c1", "ready", 1005.0, 1990.0),  # 985
        interval("c1", "ringing", 1990.0, 2005.0, "V"),  # 10 in the period; RNA
        interval("c1", "ready", 2005.0, 2100.0),  # after the period: tells the ring was missed
    ]


def calls() -> list[CallRecord]:
    return [
        answered(5.0, 300.0, 60.0, agent="a1", call_id="X", at=1090.0),  # handle 360
        answered(5.0, 400.0, None, agent="a1", call_id="Z", at=1890.0),  # handle 400
        answered(7.0, 80.0, 50.0, agent="b1", call_id="Y", at=1795.0),  # handle 130
        call(
            CallOutcome.ABANDONED,
            queue="support",
            enqueued_at=1490.0,
            wait=30.5,
            call_id="W",
            ended_at=1520.5,
        ),
    ]


@pytest.fixture
def by_agent() -> dict[str, AgentMetrics]:
    return {a.agent_id: a for a in agent_metrics(intervals(), calls(), PERIOD)}


def test_time_by_state_is_clipped_to_the_period(by_agent: dict[str, AgentMetrics]) -> None:
    assert by_agent["a1"].time_by_state == {
        "on_call": 300.0 + 100.0,
        "paused": 130.0,
        "ready": 100.0 + 200.0 + 85.0,
        "ringing": 10.0 + 15.0,
        "wrap_up": 60.0,
    }
    assert by_agent["b1"].time_by_state["logged_out"] == 50.0
    assert by_agent["c1"].time_by_state == {"ready": 985.0, "ringing": 5.0 + 10.0}


def test_occupancy_and_utilisation(by_agent: dict[str, AgentMetrics]) -> None:
    a1 = by_agent["a1"]
    # busy = on_call 400 + wrap 60 = 460; available = ready 385 + ringing 25 + 460 = 870;
    # logged in = 870 + paused 130 = 1000 (the whole period)
    assert a1.logged_in == 1000.0
    assert a1.occupancy == pytest.approx(460 / 870)
    assert a1.utilisation == pytest.approx(460 / 1000)
    b1 = by_agent["b1"]
    # busy = 80 + 50 = 130; available = ready 580 + ringing 30 + 130 = 740; no pause, so
    # utilisation = occupancy; logged_out time is in neither
    assert b1.logged_in == 740.0
    assert b1.occupancy == pytest.approx(130 / 740)
    assert b1.utilisation == pytest.approx(130 / 740)
    assert by_agent["c1"].occupancy == 0.0


def test_calls_handled_and_handle_times(by_agent: dict[str, AgentMetrics]) -> None:
    a1 = by_agent["a1"]
    assert a1.calls_handled == 2
    assert a1.aht == (360 + 400) / 2
    assert a1.avg_talk == (300 + 400) / 2
    assert a1.avg_wrapup == (60 + 0) / 2
    assert by_agent["b1"].calls_handled == 1
    assert by_agent["c1"].calls_handled == 0
    assert by_agent["c1"].aht is None


def test_ring_no_answer(by_agent: dict[str, AgentMetrics]) -> None:
    assert by_agent["a1"].rna == 1  # Y rang at a1 and went to ready
    assert by_agent["b1"].rna == 0  # W: the caller hung up while it rang
    assert by_agent["c1"].rna == 1  # V at 1990; U started before the period


def test_rna_restricted_to_the_cut_calls() -> None:
    # With a queue filter only rings for the selected calls count: Y is not selected.
    only_x = [c for c in calls() if c.call_id == "X"]
    by_agent = {
        a.agent_id: a
        for a in agent_metrics(
            intervals(), only_x, PERIOD, calls_by_id={c.call_id: c for c in calls()}, rna_only_for_calls=True
        )
    }
    assert by_agent["a1"].rna == 0


def test_last_ringing_without_a_following_interval_is_not_counted() -> None:
    result = agent_metrics([interval("a1", "ringing", 1500.0, 1510.0, "Q")], [], PERIOD)
    assert result[0].rna == 0


def test_agent_with_only_a_handled_call_and_no_time() -> None:
    result = agent_metrics([], [answered(3.0, 50.0, agent="z9", at=1500.0)], PERIOD)
    assert [(a.agent_id, a.calls_handled, a.logged_in, a.occupancy, a.utilisation) for a in result] == [
        ("z9", 1, 0.0, None, None)  # no time: undefined, not 0 %
    ]


def test_agents_outside_the_period_are_not_listed() -> None:
    assert agent_metrics([interval("x", "ready", 0.0, 999.0)], [], PERIOD) == ()


def test_open_period_takes_every_interval_whole() -> None:
    times = state_time(intervals(), Period())
    assert times["logged_out"] == 900.0 + 1050.0


def test_unknown_states_count_as_logged_in_only() -> None:
    times = {"ready": 60.0, "on_call": 30.0, "training": 10.0}
    assert occupancy(times) == 30 / 90
    assert utilisation(times) == 30 / 100
    assert occupancy({}) is None
    assert utilisation({"logged_out": 50.0}) is None
