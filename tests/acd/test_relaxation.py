"""Relaxation schedules: the cap in force around each boundary, and validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.errors import RoutingConfigError
from acd.relaxation import ALWAYS, NEVER, Relaxation
from acd.requirement import MAX_LEVEL, Need, satisfies

# The brief's example: needs level 4; after 30 s cap 2; after 90 s cap 1 ("anyone with the skill").
SCHEDULE = Relaxation.from_pairs([(30, 2), (90, 1)])
ENQUEUED = 1000.0


@pytest.mark.parametrize(
    ("waited", "cap"),
    [(0.0, MAX_LEVEL), (29.999, MAX_LEVEL), (30.0, 2), (30.001, 2), (89.999, 2), (90.0, 1), (5000.0, 1)],
)
def test_cap_before_and_after_each_boundary(waited: float, cap: int) -> None:
    assert SCHEDULE.cap_at(ENQUEUED, ENQUEUED + waited) == cap


@pytest.mark.parametrize(
    ("level", "eligible_from"),
    [(4, 0.0), (5, 0.0), (3, 30.0), (2, 30.0), (1, 90.0)],
)
def test_who_qualifies_when(level: int, eligible_from: float) -> None:
    need = Need("english", 4)
    for waited in (0.0, 29.0, 30.0, 89.0, 90.0, 200.0):
        cap = SCHEDULE.cap_at(ENQUEUED, ENQUEUED + waited)
        assert satisfies({"english": level}, need, cap) == (waited >= eligible_from)


def test_no_schedule_never_relaxes() -> None:
    assert Relaxation().cap_at(0.0, 1e9) == MAX_LEVEL
    assert Relaxation().wait_needed(3) == NEVER
    assert Relaxation().wait_needed(MAX_LEVEL) == ALWAYS


def test_wait_needed_worked_examples() -> None:
    assert SCHEDULE.wait_needed(MAX_LEVEL) == ALWAYS
    assert SCHEDULE.wait_needed(3) == 30.0
    assert SCHEDULE.wait_needed(2) == 30.0
    assert SCHEDULE.wait_needed(1) == 90.0
    assert SCHEDULE.wait_needed(0) == NEVER


def test_due_time_is_enqueue_plus_after() -> None:
    assert SCHEDULE.due_time(ENQUEUED, 0) == 1030.0
    assert SCHEDULE.due_time(ENQUEUED, 1) == 1090.0


@pytest.mark.parametrize(
    "pairs",
    [
        [(30, 2), (30, 1)],  # not later
        [(30, 2), (20, 1)],  # earlier
        [(30, 2), (90, 2)],  # not looser
        [(30, 2), (90, 3)],  # tighter
        [(-1, 2)],
        [(10, 0)],
        [(10, 6)],
        [(math.inf, 2)],
    ],
)
def test_schedules_that_do_not_relax_are_config_errors(pairs: list[tuple[float, int]]) -> None:
    with pytest.raises(RoutingConfigError):
        Relaxation.from_pairs(pairs)


schedules = st.sampled_from(
    [Relaxation(), SCHEDULE, Relaxation.from_pairs([(0, 3), (10, 2)]), Relaxation.from_pairs([(5, 4)])]
)


@given(schedules, st.integers(0, MAX_LEVEL), st.floats(-100, 1e6), st.floats(0, 1e6))
def test_wait_needed_agrees_with_cap_at(
    schedule: Relaxation, threshold: int, enqueued: float, waited: float
) -> None:
    now = enqueued + waited
    assert (now >= enqueued + schedule.wait_needed(threshold)) == (
        schedule.cap_at(enqueued, now) <= threshold
    )


@given(schedules, st.floats(0, 1e6), st.floats(0, 1e4), st.floats(0, 1e4))
def test_caps_only_go_down(schedule: Relaxation, enqueued: float, a: float, b: float) -> None:
    early, late = sorted((a, b))
    assert schedule.cap_at(enqueued, enqueued + late) <= schedule.cap_at(enqueued, enqueued + early)
