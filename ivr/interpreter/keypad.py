"""Small scripts shared by the steps that talk to the caller: play, wait for a key, read digits."""

from __future__ import annotations

from ivr.interpreter.actions import DigitResult, Play, PlayDone, PlayItem, WaitDigit
from ivr.interpreter.render import render_prompt
from ivr.interpreter.runtime import Runtime
from ivr.interpreter.transitions import Script
from ivr.model import Prompt

ALL_KEYS = "0123456789*#"


def rendered(rt: Runtime, prompt: Prompt) -> tuple[PlayItem, ...]:
    """The concrete items of `prompt` with the call's variables."""
    return render_prompt(prompt, rt.variables, rt.frame.dialplan.zone)


def play(rt: Runtime, prompt: Prompt, *, escape: str = "") -> Script[str | None]:
    """Play `prompt`; returns the escape key pressed, if any."""
    return (yield from play_items(rt, rendered(rt, prompt), escape=escape))


def play_items(rt: Runtime, items: tuple[PlayItem, ...], *, escape: str = "") -> Script[str | None]:
    """Play concrete items (nothing at all when there are none)."""
    if not items:
        return None
    reply = yield Play(items, escape)
    assert isinstance(reply, PlayDone)
    return reply.digit


def wait_digit(rt: Runtime, timeout: float) -> Script[str | None]:
    """One key, or None after `timeout` seconds of silence."""
    reply = yield WaitDigit(timeout)
    assert isinstance(reply, DigitResult)
    return reply.digit


def first_key(rt: Runtime, prompt: Prompt, timeout: float) -> Script[str | None]:
    """The caller's first key: one typed ahead during a barge-in play, during the prompt, or
    within `timeout` after it."""
    digit = rt.take_pending_digit()
    if digit is None:
        digit = yield from play(rt, prompt, escape=ALL_KEYS)
    if digit is None:
        digit = yield from wait_digit(rt, timeout)
    return digit
