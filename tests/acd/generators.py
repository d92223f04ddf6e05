"""Hypothesis generators shared by the ACD property tests: small universes that shrink well."""

from __future__ import annotations

from hypothesis import strategies as st

from acd.requirement import ANYONE, MAX_LEVEL, MIN_LEVEL, AllOf, AnyOf, Need, Requirement

SKILLS = ("x", "y")
QUEUES = ("q1", "q2")
AGENT_IDS = ("a0", "a1", "a2", "a3")

levels = st.integers(MIN_LEVEL, MAX_LEVEL)
skill_levels = st.dictionaries(st.sampled_from(SKILLS), levels, min_size=1, max_size=len(SKILLS))
# Agents mostly below what calls ask for, so that many pairs only form once a call relaxes.
agent_skill_levels = st.dictionaries(
    st.sampled_from(SKILLS), st.sampled_from((1, 2, 2, 3, 5)), min_size=1, max_size=len(SKILLS)
)
caps = st.integers(MIN_LEVEL, MAX_LEVEL)

# Low levels dominate so that pairs actually form; high ones still appear (and then relax).
needs = st.builds(Need, st.sampled_from(SKILLS), st.sampled_from((1, 2, 3, 4, 5)))


def _combine(children: st.SearchStrategy[Requirement]) -> st.SearchStrategy[Requirement]:
    parts = st.lists(children, min_size=1, max_size=2).map(tuple)
    return st.one_of(parts.map(AllOf), parts.map(AnyOf))


# Any tree, for the evaluation tests.
requirement_trees: st.SearchStrategy[Requirement] = st.recursive(
    st.builds(Need, st.sampled_from((*SKILLS, "z")), levels), _combine, max_leaves=4
)

# What calls carry in the router tests: mostly a single Need, as queues mostly configure.
requirements: st.SearchStrategy[Requirement] = st.one_of(
    needs,
    st.just(ANYONE),
    st.lists(needs, min_size=2, max_size=2, unique_by=lambda n: n.skill).map(lambda ns: AllOf(tuple(ns))),
    st.lists(needs, min_size=2, max_size=2).map(lambda ns: AnyOf(tuple(ns))),
)
