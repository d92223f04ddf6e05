"""IVR steps end to end, digit collection: min/max length, the terminator, first-digit and
inter-digit timeouts, regex / luhn / phone validation, read-back with confirmation, and a
sensitive value kept out of the stored record.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from asterisk_sim import Caller, Press
from tests.e2e.ivr_helpers import digits, ivr_center, one_call

COLLECT = """\
dialplan: main
steps:
  ask:
    collect:
      variable: account
      prompt: [custom/enter-account]
      min_length: {min_length}
      max_length: {max_length}
      timeout: {timeout}
      inter_digit_timeout: {inter_digit}
      attempts: 2
      {extra}
      invalid_prompt: [custom/invalid]
      no_input_prompt: [custom/nothing-typed]
      on_failure: failed
  got-it:
    play: [custom/you-typed, {{say_digits: account}}]
    next: bye
  failed:
    play: custom/sorry
  bye:
    hangup:
"""


def collect(
    *, min_length: int = 1, max_length: int = 20, timeout: float = 2, inter_digit: float = 2, extra: str = ""
) -> dict[str, str]:
    """A dialplan set with one collect step into ``account``, then a read-out of it."""
    text = COLLECT.format(
        min_length=min_length, max_length=max_length, timeout=timeout, inter_digit=inter_digit, extra=extra
    )
    return {"main": text}


async def test_collect_min_length_and_the_terminator(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, collect(min_length=4)) as center:
        ended = await one_call(center, Caller(presses=["12#", "1234#"]))
    assert ended.heard == [
        "custom/enter-account",
        "custom/invalid",
        "custom/you-typed",
        *digits("1234"),
    ]
    assert ended.path("input", "validation_failed", "timeout") == [
        ("input", "ask", "12"),
        ("validation_failed", "ask", "too short: 2 < 4"),
        ("input", "ask", "1234"),
    ]
    assert ended.record.variables["account"] == "1234"
    assert ended.steps == ["ask", "got-it", "bye"]


async def test_collect_stops_reading_at_max_length(tmp_path: Path) -> None:
    # The seventh key comes while the IVR reads the value back without listening: lost.
    async with ivr_center(tmp_path, collect(max_length=6, inter_digit=5)) as center:
        ended = await one_call(center, Caller(presses=["1234567"]))
    assert ended.path("input") == [("input", "ask", "123456")]
    assert ended.record.variables["account"] == "123456"
    assert ended.heard == ["custom/enter-account", "custom/you-typed", *digits("123456")]


async def test_collect_first_digit_timeout_then_on_failure(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, collect()) as center:
        ended = await one_call(center, Caller())
    assert ended.heard == [
        "custom/enter-account",
        "custom/nothing-typed",
        "custom/enter-account",
        "custom/sorry",
    ]
    assert ended.path("timeout", "input") == [("timeout", "ask", ""), ("timeout", "ask", "")]
    assert ended.steps == ["ask", "failed", "bye"]
    assert ended.record.variables["account"] == ""  # null after the last failed try


async def test_collect_inter_digit_timeout_ends_the_input(tmp_path: Path) -> None:
    # 1 and 2, then 4 s of silence: longer than inter_digit_timeout (1 s), shorter than the
    # first-digit timeout (8 s). The 9 then comes during the read-back, which does not listen.
    presses: list[Press | str] = ["12", Press("9", after=4.0)]
    async with ivr_center(tmp_path, collect(timeout=8, inter_digit=1)) as center:
        ended = await one_call(center, Caller(presses=presses))
    assert ended.call.pressed_digits == "129"
    assert ended.path("input") == [("input", "ask", "12")]
    assert ended.record.variables["account"] == "12"
    assert ended.heard == ["custom/enter-account", "custom/you-typed", *digits("12")]


async def test_collect_regex_validation(tmp_path: Path) -> None:
    extra = 'validate: {regex: "[0-9]{4}"}'
    async with ivr_center(tmp_path, collect(extra=extra)) as center:
        ended = await one_call(center, Caller(presses=["12345#", "4321#"]))
    kinds = ended.path("input", "validation_failed")
    assert [kind for kind, _, _ in kinds] == ["input", "validation_failed", "input"]
    assert kinds[0][2] == "12345"
    assert ended.record.variables["account"] == "4321"
    assert ended.heard[:2] == ["custom/enter-account", "custom/invalid"]


async def test_collect_luhn_validation(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, collect(extra="validate: luhn")) as center:
        ended = await one_call(center, Caller(presses=["79927398710#", "79927398713#"]))
    kinds = ended.path("input", "validation_failed")
    assert [kind for kind, _, _ in kinds] == ["input", "validation_failed", "input"]
    assert ended.record.variables["account"] == "79927398713"
    assert ended.steps == ["ask", "got-it", "bye"]


async def test_collect_phone_validation_exhausts_the_attempts(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, collect(extra="validate: phone")) as center:
        bad = await one_call(center, Caller(presses=["123#", "1234#"]))
        good = await one_call(center, Caller(presses=["33612345678#"]))
    assert [kind for kind, _, _ in bad.path("input", "validation_failed")] == [
        "input",
        "validation_failed",
        "input",
        "validation_failed",
    ]
    assert bad.steps == ["ask", "failed", "bye"]
    assert bad.heard[-1] == "custom/sorry"
    assert good.record.variables["account"] == "33612345678"
    assert good.steps == ["ask", "got-it", "bye"]


CONFIRM = """\
dialplan: main
steps:
  ask:
    collect:
      variable: account
      prompt: [custom/enter-account]
      timeout: 5
      read_back: true
      read_back_prompt: [custom/you-entered]
      confirm: true
      confirm_prompt: [custom/press-1-if-correct]
      attempts: 3
  bye:
    hangup:
"""


async def test_collect_read_back_and_confirm_then_retype(tmp_path: Path) -> None:
    # The read-back (2 s + four digits of 0.82 s) and the question (2 s) play in full; the
    # answer comes 9.5 s after they started, while the IVR waits 5 s for it.
    # The window is 5 simulated seconds wide; at a slower speed it is wide enough in real time
    # for a loaded machine's AGI round trips (they run in real time, not simulated time).
    presses: list[Press | str] = ["1234#", Press("2", after=9.5), "5678#", Press("1", after=9.5)]
    async with ivr_center(tmp_path, {"main": CONFIRM}, speed=0.05) as center:
        ended = await one_call(center, Caller(presses=presses))
    assert ended.heard == [
        "custom/enter-account",
        "custom/you-entered",
        *digits("1234"),
        "custom/press-1-if-correct",
        "custom/enter-account",
        "custom/you-entered",
        *digits("5678"),
        "custom/press-1-if-correct",
    ]
    assert ended.path("input", "key", "reenter") == [
        ("input", "ask", "1234"),
        ("key", "ask", "2"),
        ("reenter", "ask", ""),
        ("input", "ask", "5678"),
        ("key", "ask", "1"),
    ]
    assert ended.record.variables["account"] == "5678"


SENSITIVE = """\
dialplan: main
steps:
  card:
    collect:
      variable: card.number
      prompt: [custom/enter-card]
      max_length: 16
      validate: luhn
      read_back: true
      sensitive: true
  check:
    branch:
      - if: len(card.number) == 16 and card.number startswith "4111"
        goto: visa
  other:
    play: custom/other-card
    next: bye
  visa:
    play: custom/visa
  bye:
    hangup:
"""
CARD = "4111111111111111"


async def test_collect_sensitive_value_is_masked_in_the_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with ivr_center(tmp_path, {"main": SENSITIVE}) as center:
        ended = await one_call(center, Caller(presses=[CARD]))
    # The caller hears the number read back, and expressions see the real value...
    assert ended.heard == ["custom/enter-card", *digits(CARD), "custom/visa"]
    assert ended.steps == ["card", "check", "visa", "bye"]
    # ...but nothing stored or logged holds it.
    assert ended.path("input") == [("input", "card", "****11")]
    assert ended.record.variables["card.number"] == "****11"
    stored = repr(center.read_records())
    assert CARD not in stored
    assert "411111" not in stored
    assert CARD not in caplog.text
