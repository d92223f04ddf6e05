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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

MIN_LEVEL = 1
MAX_LEVEL = 5

SkillLevels: TypeAlias = Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Need:
    """The agent needs ``skill`` at ``min_level`` or above (before relaxation)."""

    skill: str
    min_level: int
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.skill:
            raise ValueError("a Need must name a skill")
        if not MIN_LEVEL <= self.min_level <= MAX_LEVEL:
            raise ValueError(f"skill level must be {MIN_LEVEL}..{MAX_LEVEL}, got {self.min_level}")
        object.__setattr__(self, "_hash", hash((Need, self.skill, self.min_level)))

    def __hash__(self) -> int:
        # Trees are dict keys on every call arrival and departure (the router's call groups):
        # hashing once at construction beats re-walking the tree each time.
        return self._hash


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part must hold. ``AllOf(())`` is satisfied by any agent (see ``ANYONE``)."""

    parts: tuple[Requirement, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((AllOf, self.parts)))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part must hold."""

    parts: tuple[Requirement, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # An empty alternative can never be satisfied: almost certainly a parser bug, and a call
        # carrying it would wait forever.
        if not self.parts:
            raise ValueError("AnyOf needs at least one alternative")
        object.__setattr__(self, "_hash", hash((AnyOf, self.parts)))

    def __hash__(self) -> int:
        return self._hash


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


def mandatory_skills(requirement: Requirement) -> frozenset[str]:
    """The skills every agent able to take the call (at any cap) has: a Need's skill survives any
    relaxation, since a missing skill counts as level 0."""
    match requirement:
        case Need(skill, _):
            return frozenset((skill,))
        case AllOf(parts):
            return frozenset().union(*(mandatory_skills(part) for part in parts))
        case AnyOf(parts):
            return frozenset.intersection(*(mandatory_skills(part) for part in parts))


SkillSet: TypeAlias = tuple[str, ...]
"""Up to two skill names, sorted: a key the router files waiting calls under."""


def filing_keys(requirement: Requirement) -> frozenset[SkillSet] | None:
    """Skill sets such that every agent able to take the call has all the skills of one of them.

    ``None`` means no restriction (an empty ``AllOf`` is met by anyone). The router files a
    group of waiting calls under these sets, and an agent looks only under the sets made of its
    own skills (each skill, and each pair), so it never meets calls needing a skill it lacks. At
    most two skills per set keep an agent's look-ups quadratic, not exponential, in its skills.
    """
    mandatory = mandatory_skills(requirement)
    if mandatory:
        return frozenset((tuple(sorted(mandatory)[:2]),))
    match requirement:
        case Need():
            raise AssertionError("a Need always has a mandatory skill")
        case AllOf(parts):
            options = [keys for keys in (filing_keys(part) for part in parts) if keys is not None]
            if not options:
                return None
            return min(options, key=lambda keys: (len(keys), sorted(keys)))
        case AnyOf(parts):
            union: set[SkillSet] = set()
            for part in parts:
                keys = filing_keys(part)
                if keys is None:
                    return None
                union |= keys
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


Matcher: TypeAlias = Callable[[SkillLevels, int], bool]


def compile_matcher(requirement: Requirement) -> Matcher:
    """``satisfies`` specialised for one requirement: ``matcher(skills, cap)``.

    Queues mostly ask for one skill or a few (an ``AllOf`` of Needs); those become a dict lookup
    or a short loop instead of a walk over the tree for every agent considered.
    """
    match requirement:
        case Need(skill, min_level):

            def one(skills: SkillLevels, cap: int) -> bool:
                return skills.get(skill, 0) >= (min_level if min_level < cap else cap)

            return one
        case AllOf(parts) if all(isinstance(part, Need) for part in parts):
            needs = tuple((part.skill, part.min_level) for part in parts if isinstance(part, Need))

            def every(skills: SkillLevels, cap: int) -> bool:
                for skill, min_level in needs:
                    if skills.get(skill, 0) < (min_level if min_level < cap else cap):
                        return False
                return True

            return every
        case _:

            def tree(skills: SkillLevels, cap: int) -> bool:
                return satisfies(skills, requirement, cap)

            return tree
