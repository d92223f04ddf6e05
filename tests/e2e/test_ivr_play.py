"""IVR steps end to end, what the caller hears: play (sounds, say number/digits/date/amount,
barge-in on and off), and the language step reaching the simulated Asterisk's channel.

Each test runs the real daemon against the simulator over TCP, then checks the sounds the
simulated caller heard, in order, and the call record the daemon stored.
"""

from __future__ import annotations

from pathlib import Path

from acd.records import CallOutcome
from asterisk_sim import Caller, Press
from tests.e2e.ivr_helpers import digits, ivr_center, one_call

SAYS = """\
dialplan: main
variables: {balance: -12.345, when: "2025-06-02T22:05:00"}
steps:
  hello:
    play:
      - custom/welcome
      - {say_number: 42}
      - {say_digits: caller.number}
      - {say_datetime: when, timezone: UTC}
      - {say_amount: balance}
      - custom/goodbye
  bye:
    hangup:
"""


async def test_the_ivr_answers_the_call_before_it_plays(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": SAYS}) as center:
        ended = await one_call(center, Caller(number="5551234", dnis="5000"))
    assert ended.call.answered_at is not None, "prompts played to a channel that was never answered"
    assert ended.heard[0] == "custom/welcome"


async def test_play_runs_a_sequence_of_sounds_and_says(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": SAYS}) as center:
        ended = await one_call(center, Caller(number="+33 6-07", dnis="5000"))
    assert ended.heard == [
        "custom/welcome",
        "digits/40",
        "digits/2",  # 42
        *digits("33607"),  # the caller's number, digits only
        "digits/day-0",
        "digits/mon-5",
        "digits/2",
        "digits/10",
        "digits/5",
        "digits/p-m",  # Monday 2 June, 10:05 p.m.
        "digits/minus",
        "digits/12",
        "letters/dot",
        "digits/3",
        "digits/5",  # -12.35: rounded half up to two decimals
        "custom/goodbye",
    ]
    assert ended.steps == ["hello", "bye"]
    assert ended.record.outcome is CallOutcome.IVR_ONLY
    assert ended.record.ivr_end_step == "bye"
    assert ended.call.hung_up_by == "system"
    assert ended.record.hangup_by is None


BARGE_IN = """\
dialplan: main
steps:
  welcome:
    play: [custom/welcome, custom/news]
    barge_in: {barge_in}
  menu:
    menu:
      prompt: [custom/menu]
      options: {{"2": sales}}
      timeout: 2
      no_input: {{max: 1}}
      on_failure: nothing
  sales:
    play: custom/sales
    next: bye
  nothing:
    play: custom/no-key
  bye:
    hangup:
"""


async def test_barge_in_stops_the_play_and_the_key_feeds_the_menu(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": BARGE_IN.format(barge_in="true")}) as center:
        ended = await one_call(center, Caller(presses=[Press("2", after=0.5)]))
    # The key stopped the welcome; the menu took it without playing its own prompt.
    assert ended.heard == ["custom/welcome", "custom/sales"]
    assert ended.path("key") == [("key", "menu", "2")]
    assert ended.steps == ["welcome", "menu", "sales", "bye"]
    assert ended.record.variables["menu.key"] == "2"


async def test_without_barge_in_a_key_during_the_play_is_lost(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": BARGE_IN.format(barge_in="false")}) as center:
        # Pressed one second after the answer, in the middle of the welcome.
        ended = await one_call(center, Caller(presses=[Press("2", at=1.0)]))
    assert ended.call.pressed_digits == "2"
    assert ended.heard == ["custom/welcome", "custom/news", "custom/menu", "custom/no-key"]
    assert ended.path("key", "timeout") == [("timeout", "menu", "1/1")]
    assert ended.steps == ["welcome", "menu", "nothing", "bye"]


TYPED_AHEAD = """\
dialplan: main
steps:
  welcome:
    play: [custom/welcome, custom/news]
    barge_in: true
  remember:
    set: {seen: true}
  menu:
    menu:
      prompt: [custom/menu]
      options: {"2": sales}
      timeout: 2
      no_input: {max: 1}
      on_failure: bye
  sales:
    play: custom/sales
  bye:
    hangup:
"""


async def test_a_key_typed_ahead_is_discarded_by_a_step_that_takes_no_key(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": TYPED_AHEAD}) as center:
        ended = await one_call(center, Caller(presses=[Press("2", after=0.5)]))
    assert ended.heard == ["custom/welcome", "custom/menu"]
    assert ended.path("key", "timeout") == [
        ("key", "remember", "2 (typed ahead, unused)"),
        ("timeout", "menu", "1/1"),
    ]
    assert ended.steps == ["welcome", "remember", "menu", "bye"]


LANGUAGE = """\
dialplan: main
language: en
variables: {lang: fr}
steps:
  welcome:
    play: [custom/welcome]
  choose:
    menu:
      prompt: [custom/press-2-for-french]
      options: {"1": english, "2": french}
      timeout: 2
  english:
    goto: total
  french:
    language: "${lang}"
  total:
    play: [custom/your-total, {say_number: 21}]
  bye:
    hangup:
"""


async def test_the_language_step_switches_the_channel_sound_language(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": LANGUAGE}) as center:
        ended = await one_call(center, Caller(presses=["2"]))
    assert ended.call.heard_files == [
        "en/custom/welcome",
        "en/custom/press-2-for-french",
        "fr/custom/your-total",
        "fr/digits/20",
        "fr/digits/1",
    ]
    assert ended.steps == ["welcome", "choose", "french", "total", "bye"]
    assert ended.record.variables["call.language"] == "fr"


async def test_a_dialplan_language_is_set_at_the_start_of_the_call(tmp_path: Path) -> None:
    dialplan = LANGUAGE.replace("language: en", "language: de")
    async with ivr_center(tmp_path, {"main": dialplan}) as center:
        ended = await one_call(center, Caller(presses=["1"]))
    assert ended.call.heard_files == [
        "de/custom/welcome",
        "de/custom/press-2-for-french",
        "de/custom/your-total",
        "de/digits/20",
        "de/digits/1",
    ]
    assert ended.record.variables["call.language"] == "de"
