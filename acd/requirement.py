"""What a call needs from an agent: a tree of skill requirements, and its evaluation.

A requirement is ``Need(skill, min_level)``, ``AllOf(parts)`` or ``AnyOf(parts)``. Agents hold
skills with levels ``MIN_LEVEL``..``MAX_LEVEL``; a skill an agent lacks counts as level 0, so no
relaxation ever lets an agent without the skill take the call.

Relaxation is expressed as a *cap*: under cap ``c`` every Need's level becomes
``min(min_level, c)``. ``MAX_LEVEL`` is therefore "no relaxation". Because lowering the cap can
only make a requirement easier, each (skills, requirement) pair has a single threshold, the
loosest cap it needs (``loosest_cap``): the skills satisfy the requirement under cap ``c`` exactly
when ``c <= loosest_cap(skills, requirement)``. The router caches that number instead of walking
the tree for every agent it considers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

MIN_LEVEL = 1
MAX_LEVEL = 5

SkillLevels: TypeAlias = Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Need:
    """The agent needs ``skill`` at ``min_level`` or above (before relaxation)."""

    skill: str
    min_level: int

    def __post_init__(self) -> None:
        if not self.skill:
            raise ValueError("a Need must name a skill")
        if not MIN_LEVEL <= self.min_level <= MAX_LEVEL:
            raise ValueError(f"skill level must be {MIN_LEVEL}..{MAX_LEVEL}, got {self.min_level}")


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part must hold. ``AllOf(())`` is satisfied by any agent (see ``ANYONE``)."""

    parts: tuple[Requirement, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part must hold."""

    parts: tuple[Requirement, ...]

    def __post_init__(self) -> None:
        # An empty alternative can never be satisfied: almost certainly a parser bug, and a call
        # carrying it would wait forever.
        if not self.parts:
            raise ValueError("AnyOf needs at least one alternative")


Requirement: TypeAlias = Need | AllOf | AnyOf

ANYONE = AllOf(())


def requirement_from_levels(levels: SkillLevels) -> Requirement:
    """Compile a queue's ``skills: {english: 2, billing: 1}`` mapping into an ``AllOf`` of Needs.

    Parts are sorted by skill name so equal mappings give equal (and equally hashed) trees,
    which is what lets the router group their calls together.
    """
    return AllOf(tuple(Need(skill, level) for skill, level in sorted(levels.items())))


def validate_levels(skills: SkillLevels) -> None:
    """Raise ``ValueError`` unless every level is an int in ``MIN_LEVEL``..``MAX_LEVEL``."""
    for skill, level in skills.items():
        if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"skill {skill!r}: level must be {MIN_LEVEL}..{MAX_LEVEL}, got {level!r}")


def satisfies(skills: SkillLevels, requirement: Requirement, cap: int = MAX_LEVEL) -> bool:
    """Whether an agent with ``skills`` meets ``requirement`` with every level capped at ``cap``.

    This is the definition; ``loosest_cap`` is the fast equivalent the router uses.
    """
    match requirement:
        case Need(skill, min_level):
            return skills.get(skill, 0) >= min(min_level, cap)
        case AllOf(parts):
            return all(satisfies(skills, part, cap) for part in parts)
        case AnyOf(parts):
            return any(satisfies(skills, part, cap) for part in parts)


def loosest_cap(skills: SkillLevels, requirement: Requirement) -> int:
    """The highest cap under which ``skills`` satisfy ``requirement``: 0 (never) to ``MAX_LEVEL``.

    ``satisfies(skills, r, cap) == (cap <= loosest_cap(skills, r))`` for every cap 1..MAX_LEVEL.
    """
    match requirement:
        case Need(skill, min_level):
            level = skills.get(skill, 0)
            # Met as written: no relaxation needed. Otherwise the cap must come down to the
            # agent's own level (0 for a missing skill: never).
            return MAX_LEVEL if level >= min_level else level
        case AllOf(parts):
            return min((loosest_cap(skills, part) for part in parts), default=MAX_LEVEL)
        case AnyOf(parts):
            return max(loosest_cap(skills, part) for part in parts)


def skills_in(requirement: Requirement) -> frozenset[str]:
    """Every skill name the requirement mentions."""
    match requirement:
        case Need(skill, _):
            return frozenset((skill,))
        case AllOf(parts) | AnyOf(parts):
            return frozenset().union(*(skills_in(part) for part in parts))


def necessary_skills(requirement: Requirement) -> frozenset[str] | None:
    """A set of skills of which every agent able to take the call (at any cap) has at least one.

    ``None`` means no such restriction (an empty ``AllOf`` is met by anyone). The router files a
    group of waiting calls under these skills, so an agent only looks at groups filed under a
    skill it has. For ``AllOf`` one part is enough (all parts are necessary); the smallest set is
    chosen, ties broken by name so the choice is deterministic.
    """
    match requirement:
        case Need(skill, _):
            return frozenset((skill,))
        case AllOf(parts):
            options = [s for s in (necessary_skills(part) for part in parts) if s is not None]
            if not options:
                return None
            return min(options, key=lambda s: (len(s), sorted(s)))
        case AnyOf(parts):
            union: set[str] = set()
            for part in parts:
                found = necessary_skills(part)
                if found is None:
                    return None
                union |= found
            return frozenset(union)


SkillBucket: TypeAlias = tuple[str, int]


def candidate_buckets(requirement: Requirement, cap: int) -> tuple[SkillBucket, ...] | None:
    """(skill, exact level) pairs of which every agent meeting ``requirement`` under ``cap`` holds one.

    ``None`` means no restriction. The router keeps available agents filed by (skill, level), so
    a call only visits agents that already meet one of its Needs; for a single Need every agent
    found is eligible. For ``AllOf`` the part with the fewest pairs (the most selective) is used.
    """
    match requirement:
        case Need(skill, min_level):
            return tuple((skill, level) for level in range(min(min_level, cap), MAX_LEVEL + 1))
        case AllOf(parts):
            options = [b for b in (candidate_buckets(part, cap) for part in parts) if b is not None]
            if not options:
                return None
            return min(options, key=lambda b: (len(b), b))
        case AnyOf(parts):
            found: dict[SkillBucket, None] = {}
            for part in parts:
                buckets = candidate_buckets(part, cap)
                if buckets is None:
                    return None
                found.update(dict.fromkeys(buckets))
            return tuple(found)
