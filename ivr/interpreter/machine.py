"""The dialplan interpreter: a pure step machine driven by the runner's inputs.

    machine = Machine(result.dialplans, "main")
    actions = machine.feed(Start(caller_number="+33612345678", ...), now=now)
    # carry out the last action if it is a command, then:
    actions = machine.feed(PlayDone(None), now=now, draw=rng.random)

No I/O, no clock, no randomness: `now` and `draw` come with every input. The machine keeps a
reference to the compiled set it was created with, so a reload never changes a call in progress.

Rules:
- The first input is `Start`; afterwards each input must be the reply to the pending command
  (see `actions.REPLY_FOR`), or `CallerHungUp`, which ends the run at once.
- Each `feed` returns notices (`PathEvent`...) then either one command awaiting its reply, or
  `Hangup` (unless the caller already hung up or an agent answered) and `Finished`.
- Sub-dialplans run on a frame stack: `call` pushes a frame, `return` (or running past the
  last step) pops it and continues at the call step's `next`.
- An expression that fails at run time records an `error` event and continues at the
  dialplan's `on_error` step, or ends the call with outcome `error`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from typing import Any

from configlang.expressions import ExpressionError, Value
from ivr.interpreter import flow_runners, input_runners, service_runners
from ivr.interpreter.actions import (
    REPLY_FOR,
    Action,
    CallbackResult,
    CallerHungUp,
    Command,
    DialResult,
    DigitResult,
    Done,
    Finished,
    Hangup,
    Input,
    Outcome,
    PathEvent,
    PlayDone,
    QueueResult,
    RecordResult,
    Reply,
    SetLanguage,
    Start,
)
from ivr.interpreter.runtime import Draw, Frame, InterpreterUsageError, Runtime
from ivr.interpreter.transitions import CallDialplan, EndCall, GoTo, ReturnFromCall, Script, Transition
from ivr.model import (
    BranchStep,
    CallbackStep,
    CallStep,
    CollectStep,
    Dialplan,
    GotoStep,
    HangupStep,
    HoursStep,
    LanguageStep,
    LookupStep,
    MenuStep,
    PlayStep,
    QueueStep,
    RecordStep,
    ReturnStep,
    SetStep,
    SplitStep,
    Step,
    SurveyStep,
    TransferStep,
)

# A runaway dialplan (goto loops without any caller input) is stopped after this many steps.
MAX_STEPS_WITHOUT_INPUT = 500

_SCRIPTS: dict[type[Any], Callable[[Runtime, Any], Script[Transition]]] = {
    PlayStep: input_runners.run_play,
    MenuStep: input_runners.run_menu,
    CollectStep: input_runners.run_collect,
    SurveyStep: input_runners.run_survey,
    SetStep: flow_runners.run_set,
    LanguageStep: flow_runners.run_language,
    LookupStep: service_runners.run_lookup,
    QueueStep: service_runners.run_queue,
    CallbackStep: service_runners.run_callback,
    TransferStep: service_runners.run_transfer,
    RecordStep: service_runners.run_record,
}
_INSTANT: dict[type[Any], Callable[[Runtime, Any], Transition]] = {
    BranchStep: flow_runners.run_branch,
    HoursStep: flow_runners.run_hours,
    SplitStep: flow_runners.run_split,
    GotoStep: flow_runners.run_goto,
    HangupStep: flow_runners.run_hangup,
    CallStep: flow_runners.run_call,
    ReturnStep: flow_runners.run_return,
}
# Replies that mean the caller (or the world) did something: they reset the runaway counter.
_PROGRESS = (PlayDone, DigitResult, QueueResult, CallbackResult, DialResult, RecordResult)
# Steps that may use a key typed ahead during a barge-in play.
_TAKES_TYPED_AHEAD = (MenuStep, CollectStep, SurveyStep)


class Machine:
    """One call's run through a dialplan (and the dialplans it calls)."""

    def __init__(self, dialplans: Mapping[str, Dialplan], entry: str) -> None:
        if entry not in dialplans:
            raise InterpreterUsageError(f'no dialplan named "{entry}"')
        self._dialplans = dialplans
        self._entry = dialplans[entry]
        self._rt: Runtime | None = None
        self._script: Generator[Command, Reply, EndCall] | None = None
        self._pending: Command | None = None
        self._finished: Finished | None = None

    # ------------------------------------------------------------ public API

    @property
    def entry_name(self) -> str:
        """The dialplan the run started in."""
        return self._entry.name

    @property
    def finished(self) -> Finished | None:
        """The final result once the run is over, else None."""
        return self._finished

    @property
    def pending(self) -> Command | None:
        """The command awaiting its reply."""
        return self._pending

    @property
    def path(self) -> tuple[PathEvent, ...]:
        """Every path event so far (sensitive values masked)."""
        return tuple(self._rt.path) if self._rt is not None else ()

    @property
    def variables(self) -> Mapping[str, Value]:
        """The live variables, unmasked (for tests and the screen pop; never log them)."""
        return dict(self._rt.variables) if self._rt is not None else {}

    def redact(self, text: str) -> str:
        """`text` with sensitive values masked: use it before logging a command."""
        return self._rt.redact(text) if self._rt is not None else text

    def feed(self, event: Input, *, now: datetime, draw: Draw | None = None) -> list[Action]:
        """Advance the run with one input; returns the actions for the runner."""
        if self._finished is not None:
            if isinstance(event, CallerHungUp):
                return []  # the channel's hang-up often arrives after the run ended itself
            raise InterpreterUsageError("the run is finished")
        if now.tzinfo is None:
            raise InterpreterUsageError("now must be an aware datetime")
        if self._rt is None:
            if not isinstance(event, Start):
                raise InterpreterUsageError(f"the first input must be Start, got {type(event).__name__}")
            return self._start(event, now, draw)
        rt = self._rt
        rt.now = now
        if draw is not None:
            rt.draw = draw
        rt.refresh_time()
        if isinstance(event, CallerHungUp):
            return self._caller_hung_up()
        expected = REPLY_FOR[type(self._pending)] if self._pending is not None else None
        if expected is None or not isinstance(event, expected):
            wanted = expected.__name__ if expected is not None else "nothing"
            raise InterpreterUsageError(f"expected {wanted} (or CallerHungUp), got {type(event).__name__}")
        if isinstance(event, _PROGRESS):
            rt.steps_since_input = 0
        assert self._script is not None
        return self._advance(lambda script: script.send(event))

    # ------------------------------------------------------------ internals

    def _start(self, start: Start, now: datetime, draw: Draw | None) -> list[Action]:
        rt = Runtime(self._dialplans, self._entry, now)
        if draw is not None:
            rt.draw = draw
        rt.start(start)
        self._rt = rt
        self._script = self._run(rt, start)
        return self._advance(next)

    def _advance(self, step: Callable[[Generator[Command, Reply, EndCall]], Command]) -> list[Action]:
        rt = self._rt
        script = self._script
        assert rt is not None
        assert script is not None
        try:
            self._pending = step(script)
        except StopIteration as stop:
            end: EndCall = stop.value
            return self._finish(end.outcome)
        return [*rt.take_outbox(), self._pending]

    def _caller_hung_up(self) -> list[Action]:
        assert self._rt is not None
        if self._script is not None:
            self._script.close()
        self._rt.event("hangup", "caller")
        return self._finish("hangup_by_caller")

    def _finish(self, outcome: Outcome) -> list[Action]:
        rt = self._rt
        assert rt is not None
        if outcome == "ivr_only" and rt.callback_requested:
            outcome = "queued"
        self._pending = None
        self._finished = Finished(outcome, rt.qualified(rt.frame.step), rt.masked_variables())
        tail: list[Action] = [] if outcome in ("hangup_by_caller", "answered") else [Hangup()]
        return [*rt.take_outbox(), *tail, self._finished]

    def _run(self, rt: Runtime, start: Start) -> Generator[Command, Reply, EndCall]:
        language = self._entry.language
        if language and language != start.language:
            reply = yield SetLanguage(language)
            assert isinstance(reply, Done)
            rt.set("call.language", language)  # the channel's language now, as after a language step
        while True:
            frame = rt.frame
            if frame.step is None:
                rt.event("end", "past the last step")
                if len(rt.frames) == 1:
                    return EndCall("ivr_only")
                self._pop(rt)
                continue
            step = frame.dialplan.steps[frame.step]
            rt.steps_since_input += 1
            if rt.steps_since_input > MAX_STEPS_WITHOUT_INPUT:
                rt.event("error", f"more than {MAX_STEPS_WITHOUT_INPUT} steps without caller input: a loop?")
                return EndCall("error")
            rt.event("step")
            if not isinstance(step, _TAKES_TYPED_AHEAD) and rt.pending_digit is not None:
                rt.event("key", f"{rt.take_pending_digit()} (typed ahead, unused)")
            try:
                transition = yield from self._run_step(rt, step)
            except ExpressionError as exc:
                rt.event("error", str(exc))
                on_error = frame.dialplan.on_error
                if on_error is None or on_error == frame.step:
                    return EndCall("error")
                transition = GoTo(on_error)
            if isinstance(transition, EndCall):
                return transition
            if isinstance(transition, ReturnFromCall) and len(rt.frames) == 1:
                return EndCall("ivr_only")  # `return` in the entry dialplan ends the IVR
            self._apply(rt, frame, transition)

    @staticmethod
    def _run_step(rt: Runtime, step: Step) -> Script[Transition]:
        instant = _INSTANT.get(type(step))
        if instant is not None:
            return instant(rt, step)
        return (yield from _SCRIPTS[type(step)](rt, step))

    def _apply(self, rt: Runtime, frame: Frame, transition: Transition) -> None:
        if isinstance(transition, GoTo):
            frame.step = transition.target
        elif isinstance(transition, CallDialplan):
            callee = rt.dialplans[transition.name]
            rt.event("call", callee.name)  # at the call step, before the frame moves past it
            frame.step = transition.then
            for name, value in callee.variables.items():
                rt.variables.setdefault(name, value)  # a sub-dialplan's variables are defaults
            rt.frames.append(Frame(callee, callee.start))
            rt.refresh_time()
        else:
            self._pop(rt)

    @staticmethod
    def _pop(rt: Runtime) -> None:
        rt.event("return", rt.frame.dialplan.name)
        rt.frames.pop()
        rt.refresh_time()
