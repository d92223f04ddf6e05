"""Running the steps that listen to the keypad: play, menu, collect, survey."""

from __future__ import annotations

from ivr.interpreter.actions import SayDigits
from ivr.interpreter.keypad import ALL_KEYS, first_key, play, play_items, rendered, wait_digit
from ivr.interpreter.runtime import Runtime
from ivr.interpreter.transitions import GoTo, Script, Transition
from ivr.model import CollectStep, MenuStep, PlayStep, Prompt, SurveyStep
from ivr.validation import mask, validation_failure


def run_play(rt: Runtime, step: PlayStep) -> Script[Transition]:
    """Play; with barge-in, a key stops the playback and is kept for an immediately following
    menu, collect or survey."""
    digit = yield from play(rt, step.prompt, escape=ALL_KEYS if step.barge_in else "")
    # The key is recorded by the step that uses it (a collect masks it when sensitive).
    rt.pending_digit = digit
    return GoTo(step.next)


def run_menu(rt: Runtime, step: MenuStep) -> Script[Transition]:
    """Prompt, read one key, go to its option. No input and invalid keys have separate counters;
    each retry plays the counter's escalation prompt, then the menu prompt again."""
    no_input = no_match = 0
    retry_prompt: Prompt = ()
    failure = GoTo(step.on_failure or step.next)
    while True:
        digit = yield from first_key(rt, retry_prompt + step.prompt, step.timeout)
        if digit is None:
            no_input += 1
            rt.event("timeout", f"{no_input}/{step.no_input.max}")
            if no_input >= step.no_input.max:
                return failure
            retry_prompt = step.no_input.prompt_for(no_input)
            continue
        rt.event("key", digit)
        target = step.options.get(digit)
        if target is not None:
            rt.set("menu.key", digit)
            return GoTo(target)
        no_match += 1
        rt.event("invalid_key", digit)
        if no_match >= step.no_match.max:
            return failure
        retry_prompt = step.no_match.prompt_for(no_match)


def _read_digits(rt: Runtime, step: CollectStep, prompt: Prompt) -> Script[str]:
    digit = yield from first_key(rt, prompt, step.timeout)
    collected = ""
    while digit is not None and digit != step.terminator:
        collected += digit
        if len(collected) >= step.max_length:
            break
        digit = yield from wait_digit(rt, step.inter_digit_timeout)
    return collected


def run_collect(rt: Runtime, step: CollectStep) -> Script[Transition]:
    """Read digits until the terminator, max_length or a pause; validate; optionally read them
    back and ask for confirmation (1 = yes, anything else = type again). Every try counts."""
    if step.sensitive:
        rt.sensitive.add(step.variable)
    retry_prompt: Prompt = ()
    for _ in range(step.attempts):
        value = yield from _read_digits(rt, step, retry_prompt + step.prompt)
        if not value:
            rt.event("timeout")
            retry_prompt = step.no_input_prompt or step.invalid_prompt
            continue
        rt.event("input", mask(value) if step.sensitive else value)
        reason = _rejection(value, step)
        if reason is not None:
            rt.event("validation_failed", reason)
            retry_prompt = step.invalid_prompt
            continue
        if not (yield from _confirmed(rt, step, value)):
            rt.event("reenter")
            retry_prompt = ()
            continue
        rt.set(step.variable, value)
        return GoTo(step.next)
    rt.set(step.variable, None)
    return GoTo(step.on_failure or step.next)


def _rejection(value: str, step: CollectStep) -> str | None:
    if len(value) < step.min_length:
        return f"too short: {len(value)} < {step.min_length}"
    return validation_failure(value, step.validation)


def _confirmed(rt: Runtime, step: CollectStep, value: str) -> Script[bool]:
    read_back = (*rendered(rt, step.read_back_prompt), SayDigits(value)) if step.read_back else ()
    if step.confirm_prompt is None:
        yield from play_items(rt, read_back)
        return True
    # The read-back and the question form one interruptible playback: a caller who already
    # knows the answer may press it at once.
    digit = yield from play_items(rt, read_back + rendered(rt, step.confirm_prompt), escape="12")
    if digit is None:
        digit = yield from wait_digit(rt, step.timeout)
    if digit is not None and digit == step.terminator:
        # Reading stopped at max_length, and the caller then typed the terminator out of habit:
        # that key is not an answer to the question.
        digit = yield from wait_digit(rt, step.timeout)
    if digit is not None:
        rt.event("key", digit)
    return digit == "1"


def run_survey(rt: Runtime, step: SurveyStep) -> Script[Transition]:
    """A 0-10 score: one key 0-9, or 1 then 0 for ten (# or a pause ends either)."""
    retry_prompt: Prompt = ()
    for _ in range(step.attempts):
        digit = yield from first_key(rt, retry_prompt + step.prompt, step.timeout)
        if digit is None:
            rt.event("timeout")
            retry_prompt = step.invalid_prompt
            continue
        rt.event("key", digit)
        score = yield from _score(rt, step, digit)
        if score is None:
            rt.event("invalid_key", digit)
            retry_prompt = step.invalid_prompt
            continue
        rt.set(f"survey.{step.name}", score)
        rt.event("survey_score", f"{step.name}={score}")
        yield from play(rt, step.thanks)
        return GoTo(step.next)
    return GoTo(step.on_failure or step.next)


def _score(rt: Runtime, step: SurveyStep, digit: str) -> Script[int | None]:
    if digit not in "0123456789":
        return None
    if digit != "1":
        return int(digit)
    second = yield from wait_digit(rt, step.inter_digit_timeout)
    if second is None or second == "#":
        return 1
    rt.event("key", second)
    if second != "0":
        return None
    third = yield from wait_digit(rt, step.inter_digit_timeout)
    if third is None or third == "#":
        return 10
    rt.event("key", third)
    return None
