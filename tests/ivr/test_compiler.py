"""Compiler semantics beyond the golden files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ivr.compiler import compile_paths, compile_sources, dialplan_files
from ivr.model import (
    CallbackStep,
    CollectStep,
    HoursStep,
    MenuStep,
    PlayStep,
    QueueStep,
    SayAmountItem,
    SoundItem,
)
from ivr.stepgraph import Edge, edges
from tests.ivr.helpers import compile_text, dialplans, lines


def test_next_defaults_to_the_step_written_after_and_the_last_step_to_the_end() -> None:
    plans = dialplans("""
        steps:
          a:
            play: x
          b:
            play: y
            next: d
          c:
            hangup:
          d:
            goto: c
    """)
    steps = plans["d"].steps
    assert [steps[name].next for name in "abcd"] == ["b", "d", "d", None]
    assert plans["d"].start == "a"


def test_the_dialplan_name_defaults_to_the_file_name_and_numbers_route_to_it() -> None:
    result = compile_sources({"dir/sales-line.yaml": "numbers: [0800123, '+331']\nsteps: {a: {hangup: }}\n"})
    assert list(result.dialplans) == ["sales-line"]
    assert result.numbers == {"0800123": "sales-line", "+331": "sales-line"}


def test_defaults_of_a_menu_and_a_collect() -> None:
    plans = dialplans("""
        steps:
          m:
            menu: {options: {"1": c}}
          c:
            collect: {variable: pin}
          end:
            hangup:
    """)
    menu = plans["d"].steps["m"]
    collect = plans["d"].steps["c"]
    assert isinstance(menu, MenuStep)
    assert (menu.timeout, menu.no_input.max, menu.no_match.max, menu.on_failure) == (5, 3, 3, None)
    assert isinstance(collect, CollectStep)
    assert (collect.min_length, collect.max_length, collect.terminator, collect.attempts) == (1, 20, "#", 3)
    assert collect.confirm_prompt is None
    assert not collect.sensitive


def test_prompt_items_compile_to_typed_items() -> None:
    plans = dialplans("""
        steps:
          p:
            play: [custom/a, {say_amount: "12.5"}]
            barge_in: true
          end:
            hangup:
    """)
    play = plans["d"].steps["p"]
    assert isinstance(play, PlayStep)
    assert play.barge_in
    first, amount = play.prompt
    assert isinstance(first, SoundItem)
    assert first.name.static_text() == "custom/a"
    assert isinstance(amount, SayAmountItem)
    assert (amount.decimals, amount.point_sound) == (2, "letters/dot")


def test_a_queue_short_form_and_long_form() -> None:
    plans = dialplans("""
        steps:
          a:
            queue: sales
            next: b
          b:
            queue: {name: vip, skills: {fr: 2}, priority: "1 + 2", data: [caller.number], on: {callback: c}}
          c:
            hangup:
    """)
    short, long = plans["d"].steps["a"], plans["d"].steps["b"]
    assert isinstance(short, QueueStep)
    assert (short.queue, short.priority, dict(short.skills)) == ("sales", 0, {})
    assert isinstance(long, QueueStep)
    assert long.skills == {"fr": 2}
    assert not isinstance(long.priority, int)
    assert long.priority.text == "1 + 2"
    assert long.on == {"callback": "c"}


def test_a_callback_step_short_form_and_long_form() -> None:
    result = compile_sources(
        {
            "d.yaml": textwrap.dedent("""
                steps:
                  a:
                    callback: support
                  b:
                    callback: {queue: sales, on: {duplicate: a, failed: c}}
                    next: c
                  c:
                    hangup:
            """)
        },
        known_queues={"sales", "support"},
    )
    assert lines(result) == []
    short, long = result.dialplans["d"].steps["a"], result.dialplans["d"].steps["b"]
    assert short == CallbackStep(id="a", mark=short.mark, next="b", queue="support", on={})
    assert isinstance(long, CallbackStep)
    assert (long.queue, dict(long.on), long.next) == ("sales", {"duplicate": "a", "failed": "c"}, "c")
    # Each outcome under on: is an edge; the others (here: booked) go to next.
    assert edges(long) == [Edge("a", "duplicate"), Edge("c", "failed"), Edge("c", "booked")]
    assert edges(short) == [Edge("b", "booked, duplicate, failed")]


def test_callback_step_errors_point_at_their_place() -> None:
    text = """\
steps:
  menu:
    menu: {options: {"1": short, "2": long, "3": missing, "4": wrong}}
  short:
    callback: suport
  long:
    callback:
      queue: support
      on: {booked: bye, answered: bye, failed: nowhere}
      skills: {fr: 2}
  missing:
    callback: {on: {booked: bye}}
  wrong:
    callback: [support]
  bye:
    hangup:
"""
    result = compile_sources({"d.yaml": text}, known_queues={"sales", "support"})
    assert lines(result) == [
        (
            'd.yaml:5:15: error: unknown queue "suport"; did you mean "support"? '
            "(known queues: sales, support) (at steps.short.callback)"
        ),
        (
            'd.yaml:9:25: error: unknown key "answered" in callback outcomes '
            "(allowed: booked, duplicate, failed) (at steps.long.callback.on.answered)"
        ),
        'd.yaml:9:48: error: unknown step "nowhere" (at steps.long.callback.on.failed)',
        'd.yaml:10:7: error: unknown key "skills" in callback (allowed: on, queue) (at steps.long.callback.skills)',
        'd.yaml:12:15: error: callback: missing required key "queue" (at steps.missing.callback)',
        "d.yaml:14:15: error: callback: expected a queue name or a mapping, got a list (at steps.wrong.callback)",
    ]
    assert result.dialplans == {}


def test_callback_outcome_targets_count_as_reached_and_next_only_for_unrouted_outcomes() -> None:
    text = """\
steps:
  ask:
    callback: {queue: support, on: {booked: done, duplicate: done, failed: sorry}}
  unreached:
    play: custom/never
  sorry:
    play: custom/sorry
    next: done
  done:
    hangup:
"""
    # `sorry` is reached only through on.failed; every outcome being routed, the step written
    # after `ask` is not reached through it.
    assert lines(compile_sources({"d.yaml": text})) == [
        'd.yaml:4:3: warning: step "unreached" is never reached (at steps.unreached)'
    ]


def test_hours_default_to_the_dialplan_time_zone_and_unlisted_days_are_closed() -> None:
    plans = dialplans("""
        timezone: America/New_York
        steps:
          h:
            hours: {weekly: {mon: "09:00-17:00"}, open: o, closed: o}
          o:
            hangup:
    """)
    hours = plans["d"].steps["h"]
    assert isinstance(hours, HoursStep)
    assert hours.schedule.timezone == "America/New_York"
    assert hours.schedule.weekly[0] == ((540, 1020),)
    assert hours.schedule.weekly[1:] == ((),) * 6


def test_a_sub_dialplan_must_exist_in_the_set_and_names_must_be_unique() -> None:
    result = compile_sources(
        {
            "a.yaml": "steps: {x: {call: b}, y: {hangup: }}\n",
            "b.yaml": "steps: {x: {return: }}\n",
            "c.yaml": "dialplan: b\nsteps: {x: {hangup: }}\n",
        }
    )
    assert lines(result) == ['c.yaml:1:11: error: dialplan "b" is also defined in b.yaml (at dialplan)']
    assert sorted(result.dialplans) == ["a", "b"]


def test_a_called_number_routed_to_two_dialplans_is_an_error() -> None:
    result = compile_sources(
        {
            "a.yaml": "numbers: ['100']\nsteps: {x: {hangup: }}\n",
            "b.yaml": "numbers: ['100']\nsteps: {x: {hangup: }}\n",
        }
    )
    assert lines(result) == ['b.yaml:1:1: error: number "100" is routed to both a and b (at numbers)']


def test_a_file_whose_call_target_is_missing_is_not_usable() -> None:
    result = compile_text("steps: {x: {call: nope}, y: {hangup: }}\n")
    assert result.dialplans == {}
    assert lines(result) == ['d.yaml:1:19: error: unknown dialplan "nope" (dialplans: d) (at steps.x.call)']


def test_variables_read_but_never_set_are_warnings_with_a_suggestion() -> None:
    result = compile_text("""
        variables: {customer.vip: false}
        steps:
          b:
            branch:
              - if: custmer.vip or caller.number == "1" or time.hour > 3 or survey.nps > 5
                goto: e
          s:
            survey: {name: nps, prompt: q}
          e:
            hangup:
    """)
    assert lines(result) == [
        (
            'd.yaml:6:13: warning: variable "custmer.vip" is never set by any dialplan, so it reads as null; '
            'did you mean "customer.vip"? (at steps.b.branch[0].if)'
        )
    ]
    assert "d" in result.dialplans  # warnings do not stop a dialplan from being used


def test_queues_are_checked_only_when_known_queues_are_given() -> None:
    text = "steps: {q: {queue: nowhere, next: e}, e: {hangup: }}\n"
    assert lines(compile_sources({"d.yaml": text})) == []
    assert lines(compile_sources({"d.yaml": text}, known_queues=[])) == [
        'd.yaml:1:20: error: unknown queue "nowhere" (known queues: none) (at steps.q.queue)'
    ]


def test_sounds_are_checked_per_language_when_a_sounds_directory_is_given(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    (sounds / "en" / "custom").mkdir(parents=True)
    (sounds / "fr" / "custom").mkdir(parents=True)
    (sounds / "en" / "custom" / "welcome.wav").write_bytes(b"")
    (sounds / "fr" / "custom" / "welcome.gsm").write_bytes(b"")
    (sounds / "custom").mkdir()
    (sounds / "custom" / "jingle.ulaw").write_bytes(b"")
    (sounds / "en" / "custom" / "only-english.g722").write_bytes(b"")
    text = """
        language: en
        variables: {x: jingle}
        steps:
          a:
            play: [custom/welcome, custom/jingle, custom/only-english, "custom/${x}", /abs/path]
          f:
            language: fr
          b:
            play: custom/missing
          e:
            hangup:
    """
    result = compile_sources({"d.yaml": textwrap.dedent(text)}, sounds_dir=sounds)
    assert lines(result) == [
        (
            f'd.yaml:6:43: error: sound "custom/only-english" not found for language fr '
            f"(looked in {sounds}/fr/ "
            f"or {sounds}/ for .wav, .gsm, .ulaw, .alaw, .sln, .g722) (at steps.a.play[2])"
        ),
        (
            f'd.yaml:10:11: error: sound "custom/missing" not found for language en (looked in {sounds}/en/ '
            f"or {sounds}/ for .wav, .gsm, .ulaw, .alaw, .sln, .g722) (at steps.b.play)"
        ),
    ]


def test_dialplan_files_skip_test_files(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yml", "a.test.yaml", "notes.txt"):
        (tmp_path / name).write_text("steps: {x: {hangup: }}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("steps: {x: {hangup: }}\n")
    assert [path.name for path in dialplan_files([tmp_path])] == ["a.yaml", "b.yml", "c.yaml"]
    assert sorted(compile_paths([tmp_path]).dialplans) == ["a", "b", "c"]


def test_an_empty_file_after_a_broken_one_is_still_reported() -> None:
    result = compile_sources({"a.yaml": "steps: [\n", "b.yaml": ""})
    assert [line.split(": error: ")[0] for line in lines(result)] == ["a.yaml:2:1", "b.yaml:1:1"]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        (
            "{collect: {variable: x, confirm: true}}",
            (
                "collect: confirm: true needs a confirm_prompt "
                '("press 1 if this is correct, 2 to enter it again")'
            ),
        ),
        (
            "{transfer: {to: PJSIP/1, number: '1'}}",
            "transfer: give either to (a dial string) or number (with trunk)",
        ),
        (
            "{transfer: {number: '1', trunk: PJSIP/x}}",
            "trunk: expected a dial string containing ${transfer.number}",
        ),
        (
            "{set: {time.hour: 3}}",
            '"time.hour": time.* variables are set from the clock and cannot be assigned',
        ),
        (
            "{record: {folder: ../etc}}",
            'folder: expected a folder name (letters, digits, - and _), got "../etc"',
        ),
        (
            "{lookup: {url: 'http://x', set: {a: 'b c'}}}",
            'a: expected a reply field such as customer.name, got "b c"',
        ),
        ("{language: english}", 'language: expected a language code such as en, fr or pt_BR, got "english"'),
        (
            "{play: {say_number: 1, say_digits: 2}}",
            (
                "play: a prompt item needs exactly one of sound, say_number, say_digits, say_datetime, "
                "say_amount "
                "(got say_number, say_digits)"
            ),
        ),
        ("{play: {say_datetime: 0, timezone: Nowhere/Land}}", 'timezone: unknown time zone "Nowhere/Land"'),
        ("{branch: [{else: e}, {if: 'true', goto: e}]}", "branch: else must be the last case"),
        ("{queue: {name: q, skills: {fr: 9}}}", "fr: expected a minimum skill level between 1 and 5, got 9"),
        ("{queue: {name: q, on: {answered: e}}}", 'unknown key "answered" in queue outcomes'),
        (
            "{survey: {name: 'n-p-s', prompt: q}}",
            'name: expected a survey name (letters, digits, _), got "n-p-s"',
        ),
    ],
)
def test_step_specific_checks(snippet: str, message: str) -> None:
    result = compile_text(f"steps:\n  s: {snippet}\n  e:\n    hangup:\n")
    assert any(message in line for line in lines(result)), lines(result)
