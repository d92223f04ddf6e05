"""Helpers shared by the ivr tests: compile inline YAML, drive a machine."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from ivr.compiler import CompileResult, compile_sources
from ivr.interpreter.actions import Action, Input, PathEvent, Start
from ivr.interpreter.machine import Machine
from ivr.model import Dialplan

ActionT = TypeVar("ActionT")
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # a Monday


def compile_text(text: str, name: str = "d.yaml", **others: str) -> CompileResult:
    """Compile one dialplan (plus `others`: file name → text) from inline YAML."""
    sources = {name: textwrap.dedent(text)}
    sources.update({key.replace("_", "-") + ".yaml": textwrap.dedent(value) for key, value in others.items()})
    return compile_sources(sources)


def lines(result: CompileResult) -> list[str]:
    return [d.format() for d in result.diagnostics]


def dialplans(text: str, **others: str) -> dict[str, Dialplan]:
    """Compile and insist that there is no error."""
    result = compile_text(text, **others)
    assert [line for line in lines(result) if " error: " in line] == []
    return dict(result.dialplans)


class Call:
    """A machine plus the last actions it returned, for terse tests."""

    def __init__(
        self,
        text: str,
        entry: str = "d",
        start: Start | None = None,
        now: datetime = NOW,
        draw: Callable[[], float] | None = None,
        **others: str,
    ) -> None:
        self.machine = Machine(dialplans(text, **others), entry)
        self.now = now
        self.draw = draw
        self.actions = self.machine.feed(start or Start(caller_number="+33612345678"), now=now, draw=draw)

    def send(self, event: Input) -> list[Action]:
        self.actions = self.machine.feed(event, now=self.now, draw=self.draw)
        return self.actions

    def last(self) -> Action:
        """The last action returned (a method, so that type narrowing never goes stale)."""
        return self.actions[-1]

    def last_as(self, kind: type[ActionT]) -> ActionT:
        """The last action, which must be a `kind`."""
        action = self.actions[-1]
        assert isinstance(action, kind), action
        return action

    def steps(self) -> list[str]:
        return [event.step for event in self.machine.path if event.kind == "step"]

    def events(self, kind: str) -> list[str]:
        return [event.detail for event in self.machine.path if event.kind == kind]


def only_path_events(actions: list[Action]) -> list[PathEvent]:
    return [action for action in actions if isinstance(action, PathEvent)]
