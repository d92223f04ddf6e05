"""Requirement trees: the definition (`satisfies`) and the shortcuts the router relies on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.requirement import (
    ANYONE,
    MAX_LEVEL,
    AllOf,
    AnyOf,
    Need,
    Requirement,
    candidate_buckets,
    filing_keys,
    loosest_cap,
    mandatory_skills,
    requirement_from_levels,
    satisfies,
    skills_in,
)
from tests.acd.generators import caps, requirement_trees, skill_levels

ENGLISH_BILLING = AllOf((Need("english", 4), Need("billing", 2)))


def test_need_compares_levels() -> None:
    assert satisfies({"english": 4}, Need("english", 4))
    assert satisfies({"english": 5}, Need("english", 4))
    assert not satisfies({"english": 3}, Need("english", 4))


def test_cap_lowers_every_need() -> None:
    agent = {"english": 2, "billing": 2}
    assert not satisfies(agent, ENGLISH_BILLING)
    assert not satisfies(agent, ENGLISH_BILLING, cap=3)
    assert satisfies(agent, ENGLISH_BILLING, cap=2)


def test_a_missing_skill_is_never_relaxed_away() -> None:
    assert not satisfies({"billing": 5}, Need("english", 4), cap=1)


def test_any_of_needs_one_alternative() -> None:
    either = AnyOf((Need("spanish", 3), Need("english", 3)))
    assert satisfies({"english": 3}, either)
    assert not satisfies({"french": 5}, either)


def test_anyone_is_met_by_an_agent_without_skills() -> None:
    assert satisfies({}, ANYONE)
    assert loosest_cap({}, ANYONE) == MAX_LEVEL
    assert filing_keys(ANYONE) is None
    assert candidate_buckets(ANYONE, 3) is None


def test_queue_skills_compile_to_a_canonical_all_of() -> None:
    assert requirement_from_levels({"english": 2, "billing": 1}) == AllOf(
        (Need("billing", 1), Need("english", 2))
    )
    assert requirement_from_levels({"b": 1, "a": 2}) == requirement_from_levels({"a": 2, "b": 1})


def test_loosest_cap_worked_examples() -> None:
    assert loosest_cap({"english": 5, "billing": 2}, ENGLISH_BILLING) == MAX_LEVEL
    assert loosest_cap({"english": 3, "billing": 2}, ENGLISH_BILLING) == 3
    assert loosest_cap({"english": 3, "billing": 1}, ENGLISH_BILLING) == 1
    assert loosest_cap({"english": 3}, ENGLISH_BILLING) == 0


def test_skills_in_mandatory_skills_and_filing_keys() -> None:
    tree = AnyOf((ENGLISH_BILLING, Need("spanish", 1)))
    assert skills_in(tree) == frozenset({"english", "billing", "spanish"})
    assert mandatory_skills(tree) == frozenset()
    assert mandatory_skills(ENGLISH_BILLING) == frozenset({"english", "billing"})
    # Each alternative's mandatory skills (at most two, sorted) make a key.
    assert filing_keys(tree) == frozenset({("billing", "english"), ("spanish",)})
    three = AllOf((Need("c", 1), Need("a", 1), Need("b", 1)))
    assert filing_keys(three) == frozenset({("a", "b")})
    common = AnyOf((AllOf((Need("a", 1), Need("b", 1))), AllOf((Need("a", 2), Need("c", 1)))))
    assert filing_keys(common) == frozenset({("a",)})


def test_candidate_buckets_for_a_single_need() -> None:
    assert candidate_buckets(Need("english", 4), MAX_LEVEL) == (("english", 4), ("english", 5))
    assert candidate_buckets(Need("english", 4), 2) == tuple(("english", lv) for lv in range(2, 6))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Need("english", 0), "level"),
        (lambda: Need("english", 6), "level"),
        (lambda: Need("", 2), "skill"),
        (lambda: AnyOf(()), "alternative"),
    ],
)
def test_invalid_trees_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@given(skill_levels, requirement_trees, caps)
def test_loosest_cap_is_the_threshold_of_satisfies(
    skills: dict[str, int], tree: Requirement, cap: int
) -> None:
    assert satisfies(skills, tree, cap) == (cap <= loosest_cap(skills, tree))


@given(skill_levels, requirement_trees, caps)
def test_an_eligible_agent_has_every_skill_of_a_filing_key(
    skills: dict[str, int], tree: Requirement, cap: int
) -> None:
    keys = filing_keys(tree)
    if satisfies(skills, tree, cap):
        assert mandatory_skills(tree) <= skills.keys()
        assert keys is None or any(set(key) <= skills.keys() for key in keys)
    assert keys is None or all(0 < len(key) <= 2 and list(key) == sorted(key) for key in keys)


@given(skill_levels, requirement_trees, caps)
def test_an_eligible_agent_is_in_a_candidate_bucket(
    skills: dict[str, int], tree: Requirement, cap: int
) -> None:
    buckets = candidate_buckets(tree, cap)
    if satisfies(skills, tree, cap) and buckets is not None:
        assert set(buckets) & set(skills.items())


@given(st.dictionaries(st.sampled_from(("x", "y")), st.integers(1, 5), min_size=1))
def test_single_need_buckets_hold_only_eligible_agents(levels: dict[str, int]) -> None:
    # The router relies on this to stop at the first agent of a bucket for a single Need.
    for skill, level in levels.items():
        for need in range(1, 6):
            for cap in range(1, 6):
                if (skill, level) in (candidate_buckets(Need(skill, need), cap) or ()):
                    assert satisfies(levels, Need(skill, need), cap)
