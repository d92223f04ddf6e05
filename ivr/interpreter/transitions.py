"""What a step runner returns: where the call goes next."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar

from ivr.interpreter.actions import Command, Outcome, Reply

T = TypeVar("T")

# A step runner is a generator: it yields commands, receives their replies, returns a transition.
Script = Generator[Command, Reply, T]


@dataclass(frozen=True, slots=True)
class GoTo:
    """Continue at `target` in the same dialplan (None: past the last step)."""

    target: str | None


@dataclass(frozen=True, slots=True)
class CallDialplan:
    """Run dialplan `name`, then continue at `then`."""

    name: str
    then: str | None


@dataclass(frozen=True, slots=True)
class ReturnFromCall:
    """Back to the calling dialplan."""


@dataclass(frozen=True, slots=True)
class EndCall:
    """The run is over."""

    outcome: Outcome


Transition = GoTo | CallDialplan | ReturnFromCall | EndCall
