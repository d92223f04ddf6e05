"""A scripted caller: plays one test case against the interpreter, as a runner would.

Keys are consumed in order. A playback that accepts keys takes the next key if it is one of its
escape digits (the caller types over the prompt); `WaitDigit` takes the next key, `timeout`
being silence. `hangup`, or running out of keys while the IVR waits for one, hangs up.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from configlang.values import Value
from ivr.interpreter.actions import (
    Action,
    BookCallback,
    CallbackResult,
    CallerHungUp,
    Dial,
    DialResult,
    DigitResult,
    Done,
    Enqueue,
    Finished,
    HttpRequest,
    HttpResult,
    Input,
    PathEvent,
    Play,
    PlayDone,
    QueueResult,
    Record,
    RecordResult,
    SetLanguage,
    SetVariable,
    Start,
    WaitDigit,
)
from ivr.interpreter.machine import Machine
from ivr.interpreter.runtime import InterpreterUsageError
from ivr.model import Dialplan
from ivr.testing.cases import DialplanCase

MAX_ACTIONS = 5000


class ScriptError(Exception):
    """The test case does not script something the call needed (a random draw...)."""


@dataclass
class CaseRun:
    """What happened during one scripted call."""

    path: list[str] = field(default_factory=list)
    events: list[PathEvent] = field(default_factory=list)
    finished: Finished | None = None
    variables: Mapping[str, Value] = field(default_factory=dict)
    enqueued: list[Enqueue] = field(default_factory=list)
    callbacks: list[BookCallback] = field(default_factory=list)
    dialled: list[Dial] = field(default_factory=list)
    recorded: list[Record] = field(default_factory=list)
    unused_keys: tuple[str, ...] = ()
    error: str | None = None


class _Script:
    def __init__(self, case: DialplanCase) -> None:
        self.case = case
        self.keys = list(case.keys)
        self.draws = list(case.draws)

    def draw(self) -> float:
        if not self.draws:
            raise ScriptError("the call reached a split but the case has no draws left (add draws: [0.5])")
        return self.draws.pop(0)

    def reply(self, command: Action, run: CaseRun) -> Input:
        if isinstance(command, Play):
            return self._play(command)
        if isinstance(command, WaitDigit):
            return self._wait()
        if isinstance(command, SetLanguage | SetVariable):
            return Done()
        if isinstance(command, HttpRequest):
            return self._http(command)
        if isinstance(command, Enqueue):
            run.enqueued.append(command)
            scripted = self.case.queues.get(command.queue)
            if scripted is None:
                return QueueResult("answered")
            return QueueResult(scripted.outcome, scripted.next_step)
        if isinstance(command, BookCallback):
            run.callbacks.append(command)
            return CallbackResult(self.case.callbacks.get(command.queue, "booked"))
        if isinstance(command, Dial):
            run.dialled.append(command)
            for pattern, status in self.case.dials.items():
                if fnmatch.fnmatchcase(command.target, pattern):
                    return DialResult(status)
            return DialResult("ANSWER")
        if isinstance(command, Record):
            run.recorded.append(command)
            return RecordResult(self.case.record_ok, self.case.record_seconds)
        raise ScriptError(f"unexpected action {command!r}")

    def _play(self, command: Play) -> Input:
        if self.keys and self.keys[0] == "hangup":
            self.keys.pop(0)
            return CallerHungUp()
        if self.keys and self.keys[0] in command.escape_digits:
            return PlayDone(self.keys.pop(0))
        return PlayDone(None)

    def _wait(self) -> Input:
        if not self.keys:
            return CallerHungUp()
        key = self.keys.pop(0)
        if key == "hangup":
            return CallerHungUp()
        return DigitResult(None if key == "timeout" else key)

    def _http(self, command: HttpRequest) -> Input:
        for reply in self.case.lookups:
            if reply.method is not None and reply.method.upper() != command.method:
                continue
            if fnmatch.fnmatchcase(command.url, reply.url):
                return HttpResult(reply.status, reply.body, reply.error)
        return HttpResult(None, None, "no reply scripted for this URL")


def run_case(dialplans: Mapping[str, Dialplan], case: DialplanCase) -> CaseRun:
    """Drive a fresh machine through `case`; never raises for a dialplan problem."""
    run = CaseRun()
    script = _Script(case)
    start = Start(
        caller_number=case.caller,
        caller_name=case.caller_name,
        dnis=case.dnis,
        uniqueid=case.uniqueid,
        channel=case.channel,
        language=case.language,
        request=case.request,
        variables=case.variables,
    )
    try:
        machine = Machine(dialplans, case.dialplan)
        event: Input = start
        for _ in range(MAX_ACTIONS):
            actions = machine.feed(event, now=case.time, draw=script.draw)
            _record_notices(actions, run, machine.entry_name)
            if machine.finished is not None:
                break
            event = script.reply(actions[-1], run)
        else:
            run.error = f"the call did not end after {MAX_ACTIONS} actions"
        run.variables = machine.variables
    except (ScriptError, InterpreterUsageError) as exc:
        run.error = str(exc)
    run.unused_keys = tuple(script.keys)
    return run


def _record_notices(actions: list[Action], run: CaseRun, entry: str) -> None:
    for action in actions:
        if isinstance(action, PathEvent):
            run.events.append(action)
            if action.kind == "step":
                run.path.append(
                    action.step if action.dialplan == entry else f"{action.dialplan}:{action.step}"
                )
        elif isinstance(action, Finished):
            run.finished = action
