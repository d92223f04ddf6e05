"""Running the steps that move the call or change variables.

Most of them never wait for the caller: they are plain functions returning a transition; `set`
and `language` may send a command to the channel, so they are scripts like the keypad steps.
"""

from __future__ import annotations

from configlang.expressions import ExpressionError, evaluate, evaluate_bool, to_text
from ivr.interpreter.actions import Done, SetLanguage, SetVariable
from ivr.interpreter.runtime import Runtime
from ivr.interpreter.transitions import CallDialplan, EndCall, GoTo, ReturnFromCall, Script, Transition
from ivr.model import (
    BranchStep,
    CallStep,
    GotoStep,
    HangupStep,
    HoursStep,
    LanguageStep,
    ReturnStep,
    SetStep,
    SplitStep,
)
from ivr.names import LANGUAGE_CODE

CHANNEL_PREFIX = "channel."


def run_set(rt: Runtime, step: SetStep) -> Script[Transition]:
    """Evaluate and assign in order (later assignments see earlier ones)."""
    for name, expression in step.assignments:
        value = evaluate(expression, rt.variables)
        rt.set(name, value)
        if name.startswith(CHANNEL_PREFIX):
            reply = yield SetVariable(name.removeprefix(CHANNEL_PREFIX), to_text(value))
            assert isinstance(reply, Done)
    return GoTo(step.next)


def run_branch(rt: Runtime, step: BranchStep) -> Transition:
    """The first true condition wins."""
    for case in step.cases:
        if evaluate_bool(case.condition, rt.variables):
            return GoTo(case.target)
    return GoTo(step.otherwise or step.next)


def run_hours(rt: Runtime, step: HoursStep) -> Transition:
    """Open or closed at the time of the current input."""
    is_open = step.schedule.is_open(rt.now)
    rt.event("hours", "open" if is_open else "closed")
    return GoTo(step.open if is_open else step.closed)


def run_language(rt: Runtime, step: LanguageStep) -> Script[Transition]:
    """Switch the channel's sound language."""
    language = step.language.render(rt.variables)
    if not LANGUAGE_CODE.fullmatch(language):
        raise ExpressionError(f'"{language}" is not a language code')
    reply = yield SetLanguage(language)
    assert isinstance(reply, Done)
    rt.set("call.language", language)
    return GoTo(step.next)


def run_split(rt: Runtime, step: SplitStep) -> Transition:
    """Pick a target with the injected draw in [0, 1): shares are laid end to end."""
    draw = rt.draw()
    point = min(max(draw, 0.0), 0.999999) * 100
    total = 0
    chosen = step.shares[-1][0]
    for target, percent in step.shares:
        total += percent
        if point < total:
            chosen = target
            break
    rt.set("split.choice", chosen)
    rt.event("split", chosen)
    return GoTo(chosen)


def run_goto(rt: Runtime, step: GotoStep) -> Transition:
    """Jump."""
    return GoTo(step.target)


def run_hangup(rt: Runtime, step: HangupStep) -> Transition:
    """End the call in the IVR."""
    return EndCall("ivr_only")


def run_call(rt: Runtime, step: CallStep) -> Transition:
    """Enter a sub-dialplan."""
    return CallDialplan(step.dialplan, step.next)


def run_return(rt: Runtime, step: ReturnStep) -> Transition:
    """Leave a sub-dialplan."""
    return ReturnFromCall()
