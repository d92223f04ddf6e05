"""IVR steps end to end, the keypad: menu (a valid key, no input with escalating prompts, no
match with its own counter, retries exhausted, the ``*``, ``#`` and ``0`` keys) and survey.

The simulated caller presses keys ``after`` simulated seconds once the channel listens for
DTMF; a test that needs a silence first presses late enough for the menu to time out.
"""

from __future__ import annotations

from pathlib import Path

from asterisk_sim import Caller, Press
from tests.e2e.ivr_helpers import ivr_center, one_call

MENU = """\
dialplan: main
steps:
  menu:
    menu:
      prompt: [custom/menu]
      options: {"1": sales, "2": support, "0": operator, "*": again, "#": bye}
      timeout: 4
      no_input: {prompts: [custom/no-input-1, custom/no-input-2], max: 3}
      no_match: {prompts: [custom/invalid-1, custom/invalid-2], max: 2}
      on_failure: failed
  sales:
    play: custom/sales
    next: bye
  support:
    play: custom/support
    next: bye
  operator:
    play: custom/operator
    next: bye
  again:
    play: custom/again
    next: menu
  failed:
    play: custom/sorry
  bye:
    hangup:
"""


async def test_menu_a_valid_key_goes_to_its_option(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": MENU}) as center:
        ended = await one_call(center, Caller(presses=["2"]))
    # The key interrupted the prompt.
    assert ended.heard == ["custom/menu", "custom/support"]
    assert ended.call.pressed_digits == "2"
    assert ended.path("key", "timeout", "invalid_key") == [("key", "menu", "2")]
    assert ended.steps == ["menu", "support", "bye"]
    assert ended.record.variables["menu.key"] == "2"


async def test_menu_no_input_escalates_then_goes_to_on_failure(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": MENU}) as center:
        ended = await one_call(center, Caller())
    assert ended.heard == [
        "custom/menu",
        "custom/no-input-1",
        "custom/menu",
        "custom/no-input-2",
        "custom/menu",
        "custom/sorry",
    ]
    assert ended.path("timeout", "invalid_key") == [
        ("timeout", "menu", "1/3"),
        ("timeout", "menu", "2/3"),
        ("timeout", "menu", "3/3"),
    ]
    assert ended.steps == ["menu", "failed", "bye"]
    assert "menu.key" not in ended.record.variables


async def test_menu_invalid_keys_have_their_own_counter_and_prompts(tmp_path: Path) -> None:
    # A silence (no input 1/3), then 9 (no match 1/2): two failures, but the counters are
    # separate, so the menu goes on; then 7 (no match 2/2) exhausts the no-match counter.
    # The prompt (2 s) and the timeout (4 s) pass, then no-input-1 and the prompt play (2 s
    # each) and the menu waits 4 s more: 11.5 s lands in that wait. The 7 interrupts invalid-1.
    async with ivr_center(tmp_path, {"main": MENU}, speed=0.05) as center:
        ended = await one_call(center, Caller(presses=[Press("9", after=11.5), "7"]))
    assert ended.heard == [
        "custom/menu",
        "custom/no-input-1",
        "custom/menu",
        "custom/invalid-1",
        "custom/sorry",
    ]
    assert ended.path("key", "timeout", "invalid_key") == [
        ("timeout", "menu", "1/3"),
        ("key", "menu", "9"),
        ("invalid_key", "menu", "9"),
        ("key", "menu", "7"),
        ("invalid_key", "menu", "7"),
    ]
    assert ended.steps == ["menu", "failed", "bye"]


async def test_menu_invalid_key_then_a_valid_one(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": MENU}) as center:
        ended = await one_call(center, Caller(presses=["5", "1"]))
    assert ended.heard == ["custom/menu", "custom/invalid-1", "custom/sales"]
    assert ended.path("invalid_key") == [("invalid_key", "menu", "5")]
    assert ended.steps == ["menu", "sales", "bye"]
    assert ended.record.variables["menu.key"] == "1"


async def test_menu_star_hash_and_zero_are_keys_like_any_other(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": MENU}) as center:
        star_then_zero = await one_call(center, Caller(presses=["*", "0"]))
        hash_key = await one_call(center, Caller(presses=["#"]))
    assert star_then_zero.heard == [
        "custom/menu",
        "custom/again",
        "custom/menu",
        "custom/operator",
    ]
    assert star_then_zero.path("key") == [("key", "menu", "*"), ("key", "menu", "0")]
    assert star_then_zero.steps == ["menu", "again", "menu", "operator", "bye"]
    assert hash_key.heard == ["custom/menu"]
    assert hash_key.steps == ["menu", "bye"]
    assert hash_key.record.variables["menu.key"] == "#"


SURVEY = """\
dialplan: main
steps:
  nps:
    survey:
      name: nps
      prompt: [custom/survey-question]
      timeout: 2
      inter_digit_timeout: 1
      attempts: 2
      invalid_prompt: [custom/survey-invalid]
      thanks: [custom/survey-thanks]
      on_failure: no-score
  bye:
    hangup:
  no-score:
    play: custom/no-score
    next: bye
"""


async def test_survey_ten_is_one_then_zero_and_stored_in_the_record(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": SURVEY}) as center:
        ended = await one_call(center, Caller(presses=["10"]))
    assert ended.heard == ["custom/survey-question", "custom/survey-thanks"]
    assert ended.record.survey_score == 10
    assert ended.record.variables["survey.nps"] == "10"
    assert ended.path("survey_score") == [("survey_score", "nps", "nps=10")]


async def test_survey_invalid_key_then_one_and_silence(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": SURVEY}) as center:
        ended = await one_call(center, Caller(presses=["*", "1"]))
    # The 1 interrupts the invalid prompt; the survey then waits inter_digit_timeout for a 0.
    assert ended.heard == ["custom/survey-question", "custom/survey-invalid", "custom/survey-thanks"]
    assert ended.path("key", "invalid_key", "survey_score") == [
        ("key", "nps", "*"),
        ("invalid_key", "nps", "*"),
        ("key", "nps", "1"),
        ("survey_score", "nps", "nps=1"),
    ]
    assert ended.record.survey_score == 1


async def test_survey_without_an_answer_stores_no_score(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": SURVEY}) as center:
        ended = await one_call(center, Caller())
    assert ended.heard == [
        "custom/survey-question",
        "custom/survey-invalid",
        "custom/survey-question",
        "custom/no-score",
    ]
    assert ended.record.survey_score is None
    assert "survey.nps" not in ended.record.variables
    assert ended.steps == ["nps", "no-score", "bye"]
