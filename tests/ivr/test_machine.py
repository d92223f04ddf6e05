"""The interpreter: every step kind, the protocol with the runner, and call-level rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivr.interpreter.actions import (
    BookCallback,
    CallbackOutcome,
    CallbackResult,
    CallerHungUp,
    Dial,
    DialResult,
    DigitResult,
    Done,
    Enqueue,
    Finished,
    Hangup,
    HttpRequest,
    HttpResult,
    PathEvent,
    Play,
    PlayDone,
    QueueResult,
    Record,
    RecordResult,
    SayDateTime,
    SayDigits,
    SayNumber,
    SetLanguage,
    SetVariable,
    Sound,
    Start,
    WaitDigit,
)
from ivr.interpreter.machine import MAX_STEPS_WITHOUT_INPUT, Machine
from ivr.interpreter.runtime import InterpreterUsageError
from tests.ivr.helpers import NOW, Call, dialplans

MENU = """
steps:
  intro:
    play: custom/intro
    barge_in: true
  menu:
    menu:
      prompt: custom/menu
      options: {"1": one, "2": two}
      timeout: 4
      no_input: {prompts: [custom/ni-1, custom/ni-2], max: 3}
      no_match: {prompts: custom/nm, max: 2}
      on_failure: fail
  one:
    hangup:
  two:
    hangup:
  fail:
    hangup:
"""


def finished(call: Call) -> Finished:
    return call.last_as(Finished)


# ---------------------------------------------------------------- protocol


def test_a_run_starts_with_start_and_ends_with_hangup_then_finished() -> None:
    call = Call("steps: {bye: {play: custom/bye}, end: {hangup: }}\n")
    assert call.actions == [PathEvent("step", "bye", "", "d"), Play((Sound("custom/bye"),), "")]
    actions = call.send(PlayDone())
    assert actions[-2:] == [Hangup(), Finished("ivr_only", "end", dict(call.machine.variables))]
    assert call.machine.finished is not None
    assert call.machine.pending is None


def test_a_wrong_reply_is_refused_without_breaking_the_run() -> None:
    call = Call(MENU)
    with pytest.raises(InterpreterUsageError, match="expected PlayDone"):
        call.send(DigitResult("1"))
    call.send(PlayDone("1"))  # the run is still usable
    assert call.steps() == ["intro", "menu", "one"]


def test_the_first_input_must_be_start_and_now_must_be_aware() -> None:
    machine = Machine(dialplans("steps: {a: {hangup: }}\n"), "d")
    with pytest.raises(InterpreterUsageError, match="first input must be Start"):
        machine.feed(PlayDone(), now=NOW)
    with pytest.raises(InterpreterUsageError, match="aware"):
        machine.feed(Start(), now=datetime(2025, 1, 1))  # naive on purpose
    with pytest.raises(InterpreterUsageError, match='no dialplan named "x"'):
        Machine(dialplans("steps: {a: {hangup: }}\n"), "x")


def test_feeding_a_finished_run_is_an_error_except_a_late_hangup() -> None:
    call = Call("steps: {a: {hangup: }}\n")
    assert isinstance(call.last(), Finished)
    assert call.send(CallerHungUp()) == []
    with pytest.raises(InterpreterUsageError, match="finished"):
        call.send(PlayDone())


def test_the_caller_hanging_up_ends_the_run_at_once_with_the_step_recorded() -> None:
    call = Call(MENU)
    call.send(PlayDone())
    call.send(PlayDone())
    assert call.last() == WaitDigit(4)
    actions = call.send(CallerHungUp())
    assert actions == [PathEvent("hangup", "menu", "caller", "d"), finished(call)]
    assert (finished(call).outcome, finished(call).last_step) == ("hangup_by_caller", "menu")


def test_the_entry_dialplan_language_is_set_unless_the_channel_already_has_it() -> None:
    text = "language: fr\nsteps: {a: {hangup: }}\n"
    assert Call(text, start=Start(language="en")).actions[0] == SetLanguage("fr")
    call = Call(text, start=Start(language="fr"))
    assert not any(isinstance(action, SetLanguage) for action in call.actions)


# ---------------------------------------------------------------- play and menu


def test_barge_in_key_is_kept_for_the_menu_that_follows() -> None:
    call = Call(MENU)
    assert call.last() == Play((Sound("custom/intro"),), "0123456789*#")
    actions = call.send(PlayDone("2"))
    assert isinstance(actions[-1], Hangup | Finished)
    assert call.steps() == ["intro", "menu", "two"]
    assert call.events("key") == ["2"]
    assert call.machine.variables["menu.key"] == "2"


def test_without_barge_in_the_play_has_no_escape_digits() -> None:
    call = Call("steps: {a: {play: x, barge_in: false}, b: {hangup: }}\n")
    assert call.last() == Play((Sound("x"),), "")


def test_a_typed_ahead_key_does_not_survive_a_step_in_between() -> None:
    call = Call("""
        steps:
          a: {play: x, barge_in: true}
          b: {set: {y: 1}}
          m: {menu: {prompt: p, options: {"1": e}}}
          e: {hangup: }
    """)
    call.send(PlayDone("1"))
    assert call.last() == Play((Sound("p"),), "0123456789*#")


def test_menu_no_input_escalates_its_prompts_then_fails() -> None:
    call = Call(MENU)
    call.send(PlayDone())  # intro
    call.send(PlayDone())  # menu prompt
    assert call.last() == WaitDigit(4)
    call.send(DigitResult(None))
    assert call.last() == Play((Sound("custom/ni-1"), Sound("custom/menu")), "0123456789*#")
    call.send(PlayDone())
    call.send(DigitResult(None))
    assert call.last() == Play((Sound("custom/ni-2"), Sound("custom/menu")), "0123456789*#")
    call.send(PlayDone())
    call.send(DigitResult(None))
    assert call.steps() == ["intro", "menu", "fail"]
    assert call.events("timeout") == ["1/3", "2/3", "3/3"]


def test_menu_counts_invalid_keys_separately_and_the_last_prompt_repeats() -> None:
    call = Call(MENU)
    call.send(PlayDone())
    call.send(PlayDone("7"))
    assert call.last() == Play((Sound("custom/nm"), Sound("custom/menu")), "0123456789*#")
    call.send(PlayDone())
    call.send(DigitResult(None))  # a timeout does not reset the invalid-key counter
    call.send(PlayDone("9"))
    assert call.events("invalid_key") == ["7", "9"]
    assert call.steps()[-1] == "fail"


def test_menu_without_on_failure_falls_through_to_the_next_step() -> None:
    call = Call("""
        steps:
          m: {menu: {options: {"1": e}, no_input: {max: 1}}}
          after: {hangup: }
          e: {hangup: }
    """)
    assert call.last() == WaitDigit(5)  # no prompt: straight to waiting
    call.send(DigitResult(None))
    assert call.steps() == ["m", "after"]


def test_prompt_items_are_rendered_with_variables() -> None:
    call = Call(
        """
        variables: {balance: 1234.5, lang: en}
        timezone: Europe/Paris
        steps:
          p:
            play:
              - "custom/${lang}/hello"
              - say_number: 42
              - say_digits: caller.number
              - say_datetime: time.epoch
              - {say_datetime: '"2025-06-02T08:00:00"', timezone: America/New_York}
              - say_amount: balance
              - {say_amount: "-0.125", decimals: 2, point_sound: digits/point}
          e: {hangup: }
    """,
        start=Start(caller_number="+33 6-12"),
    )
    epoch = int(NOW.timestamp())
    local_eight = int(datetime(2025, 6, 2, 12, 0, tzinfo=UTC).timestamp())
    assert call.last() == Play(
        (
            Sound("custom/en/hello"),
            SayNumber(42),
            SayDigits("33612"),
            SayDateTime(epoch, "Europe/Paris"),
            SayDateTime(local_eight, "America/New_York"),
            SayNumber(1234),
            Sound("letters/dot"),
            SayDigits("50"),
            Sound("digits/minus"),
            SayNumber(0),
            Sound("digits/point"),
            SayDigits("13"),
        ),
        "",
    )


def test_an_interpolated_sound_name_cannot_leave_its_folder() -> None:
    call = Call(
        "steps: {p: {play: 'custom/${x}'}, e: {hangup: }}\n", start=Start(variables={"x": "../../etc/passwd"})
    )
    assert call.last() == Play((Sound("custom/etcpasswd"),), "")


# ---------------------------------------------------------------- collect

COLLECT = """
steps:
  ask:
    collect:
      variable: card
      prompt: custom/enter-card
      min_length: 4
      max_length: 16
      validate: luhn
      read_back: true
      read_back_prompt: custom/you-entered
      confirm: true
      confirm_prompt: custom/one-or-two
      invalid_prompt: custom/invalid
      attempts: 2
      sensitive: true
      on_failure: fail
    next: ok
  ok:
    queue: {name: billing, data: [card]}
  fail:
    hangup:
"""


def type_digits(call: Call, digits: str) -> None:
    for digit in digits:
        call.send(DigitResult(digit))


def test_collect_reads_validates_reads_back_and_confirms() -> None:
    call = Call(COLLECT)
    assert call.last() == Play((Sound("custom/enter-card"),), "0123456789*#")
    call.send(PlayDone("7"))
    type_digits(call, "9927398713#")
    assert call.last() == Play(
        (Sound("custom/you-entered"), SayDigits("79927398713"), Sound("custom/one-or-two")), "12"
    )
    call.send(PlayDone())
    call.send(DigitResult("1"))
    enqueue = call.last()
    assert isinstance(enqueue, Enqueue)
    assert enqueue.data == {"card": "79927398713"}  # the screen pop gets the real value
    assert call.machine.variables["card"] == "79927398713"
    assert call.events("input") == ["****13"]  # the path never does


def test_collect_stops_at_max_length_and_on_a_pause() -> None:
    call = Call(COLLECT.replace("max_length: 16", "max_length: 4").replace("validate: luhn", "validate: {}"))
    call.send(PlayDone())
    type_digits(call, "1234")
    assert SayDigits("1234") in call.last_as(Play).items
    call = Call(COLLECT.replace("validate: luhn", "validate: {}"))
    call.send(PlayDone())
    type_digits(call, "12345")
    call.send(DigitResult(None))  # the caller stops typing: what was typed is the value
    assert SayDigits("12345") in call.last_as(Play).items


def test_collect_retries_with_the_invalid_prompt_then_fails_and_masks_everything() -> None:
    call = Call(COLLECT)
    call.send(PlayDone())
    type_digits(call, "79927398710#")  # Luhn fails
    assert call.last() == Play((Sound("custom/invalid"), Sound("custom/enter-card")), "0123456789*#")
    call.send(PlayDone())
    type_digits(call, "12#")  # too short
    result = finished(call)
    assert call.steps() == ["ask", "fail"]
    assert call.events("validation_failed") == ["luhn: checksum", "too short: 2 < 4"]
    assert call.events("input") == ["****10", "****"]
    assert result.variables["card"] is None


def test_collect_confirm_2_means_type_again_and_the_terminator_is_not_an_answer() -> None:
    call = Call(COLLECT.replace("max_length: 16", "max_length: 11"))
    call.send(PlayDone())
    type_digits(call, "79927398713")  # max_length reached
    call.send(PlayDone())
    call.send(DigitResult("#"))  # typed out of habit
    assert call.last() == WaitDigit(5)
    call.send(DigitResult("2"))
    assert call.events("reenter") == [""]
    assert call.last() == Play((Sound("custom/enter-card"),), "0123456789*#")


def test_sensitive_values_are_masked_in_finished_and_redacted_on_request() -> None:
    call = Call(COLLECT)
    call.send(PlayDone())
    type_digits(call, "79927398713#")
    call.send(PlayDone("1"))
    call.send(QueueResult("answered"))
    assert finished(call).variables["card"] == "****13"
    assert call.machine.redact("GET /x?card=79927398713") == "GET /x?card=****13"


@pytest.mark.parametrize(
    ("validate", "value", "ok"),
    [
        ("phone", "0612345678", True),
        ("phone", "12345", False),
        ("{phone: {min_length: 3, max_length: 4}}", "12345", False),
        ("{regex: '^0[67][0-9]{8}$'}", "0712345678", True),
        ("{regex: '^0[67][0-9]{8}$'}", "0812345678", False),
        ("{luhn: true, regex: '4[0-9]+'}", "4111111111111111", True),
        ("{luhn: true, regex: '4[0-9]+'}", "79927398713", False),
    ],
)
def test_collect_validation_rules(validate: str, value: str, ok: bool) -> None:
    call = Call(f"""
        steps:
          ask: {{collect: {{variable: v, validate: {validate}, attempts: 1, on_failure: bad}}, next: good}}
          good: {{hangup: }}
          bad: {{hangup: }}
    """)
    call.send(DigitResult(value[0]))
    type_digits(call, value[1:] + "#")
    assert call.steps()[-1] == ("good" if ok else "bad")


# ---------------------------------------------------------------- survey

SURVEY = """
steps:
  ask: {survey: {name: nps, prompt: q, invalid_prompt: bad, thanks: thx, attempts: 2}, next: done}
  done: {hangup: }
"""


@pytest.mark.parametrize(
    ("keys", "score"),
    [("7", 7), ("0", 0), ("1#", 1), ("1", 1), ("10", 10), ("10#", 10)],
)
def test_survey_scores(keys: str, score: int) -> None:
    call = Call(SURVEY)
    call.send(PlayDone(keys[0]))
    for key in keys[1:]:
        call.send(DigitResult(key))
    while isinstance(call.last(), WaitDigit):
        call.send(DigitResult(None))
    assert call.last() == Play((Sound("thx"),), "")
    assert call.machine.variables["survey.nps"] == score
    assert call.events("survey_score") == [f"nps={score}"]


def test_survey_rejects_eleven_and_star_then_gives_up() -> None:
    call = Call(SURVEY)
    call.send(PlayDone("1"))
    call.send(DigitResult("1"))
    assert call.last() == Play((Sound("bad"), Sound("q")), "0123456789*#")
    call.send(PlayDone("*"))
    assert call.steps() == ["ask", "done"]
    assert "survey.nps" not in call.machine.variables


# ---------------------------------------------------------------- set, branch, hours, language, split


def test_set_evaluates_in_order_and_channel_variables_go_to_the_channel() -> None:
    call = Call("""
        steps:
          s:
            set: {a: "1 + 1", b: "a * 10", channel.CUSTOMER_TIER: '"gold"'}
          e: {hangup: }
    """)
    assert call.last() == SetVariable("CUSTOMER_TIER", "gold")
    call.send(Done())
    assert (call.machine.variables["a"], call.machine.variables["b"]) == (2, 20)


def test_branch_takes_the_first_true_case() -> None:
    text = """
        steps:
          b:
            branch:
              - {if: 'caller.number startswith "+33"', goto: fr}
              - {if: 'caller.number startswith "+3"', goto: eu}
              - else: other
          fr: {hangup: }
          eu: {hangup: }
          other: {hangup: }
    """
    assert Call(text, start=Start(caller_number="+33612")).steps()[-1] == "fr"
    assert Call(text, start=Start(caller_number="+32")).steps()[-1] == "eu"
    assert Call(text, start=Start(caller_number="1")).steps()[-1] == "other"


def test_time_variables_follow_the_dialplan_time_zone() -> None:
    call = Call(
        "timezone: Asia/Tokyo\nsteps: {a: {play: x}, b: {hangup: }}\n",
        now=datetime(2025, 6, 1, 23, 30, tzinfo=UTC),
    )
    variables = call.machine.variables
    assert (variables["time.hour"], variables["time.minute"]) == (8, 30)
    assert (variables["time.weekday"], variables["time.date"]) == ("mon", "2025-06-02")
    call.now = call.now + timedelta(hours=1)
    call.send(PlayDone())
    assert call.machine.variables["time.hour"] == 9  # derived afresh from each input's time


HOURS = """
timezone: Europe/Paris
steps:
  h:
    hours:
      weekly: {mon-fri: ["08:30-12:30", "13:30-18:00"], sat: "09:00-12:00"}
      holidays: {"12-25": closed, "2025-12-24": "08:30-12:00"}
      open: o
      closed: c
  o: {hangup: }
  c: {hangup: }
"""


@pytest.mark.parametrize(
    ("iso", "state"),
    [
        ("2025-06-02T08:29:00+02:00", "c"),
        ("2025-06-02T08:30:00+02:00", "o"),
        ("2025-06-02T12:30:00+02:00", "c"),  # the end of an interval is closed
        ("2025-06-02T06:45:00+00:00", "o"),  # the same instant in another zone
        ("2025-06-07T11:59:00+02:00", "o"),
        ("2025-06-08T10:00:00+02:00", "c"),  # Sunday is not listed
        ("2026-12-25T10:00:00+01:00", "c"),  # every year
        ("2025-12-24T11:00:00+01:00", "o"),
        ("2025-12-24T14:00:00+01:00", "c"),
        ("2025-03-31T08:45:00+02:00", "o"),  # the Monday after the change to summer time
    ],
)
def test_hours(iso: str, state: str) -> None:
    call = Call(HOURS, now=datetime.fromisoformat(iso))
    assert call.steps()[-1] == state
    assert call.events("hours") == ["open" if state == "o" else "closed"]


def test_language_step_sets_the_channel_language_and_the_variable() -> None:
    call = Call(
        "steps: {l: {language: '${request.lang}'}, e: {hangup: }}\n", start=Start(request={"lang": "fr"})
    )
    assert call.last() == SetLanguage("fr")
    call.send(Done())
    assert call.machine.variables["call.language"] == "fr"


def test_a_bad_language_value_is_a_runtime_error() -> None:
    call = Call(
        "steps: {l: {language: '${request.lang}'}, e: {hangup: }}\n", start=Start(request={"lang": "fr;rm"})
    )
    assert finished(call).outcome == "error"


@pytest.mark.parametrize(("draw", "target"), [(0.0, "a"), (0.2999, "a"), (0.3, "b"), (0.9999, "b")])
def test_split_uses_the_injected_draw(draw: float, target: str) -> None:
    call = Call("steps: {s: {split: {a: 30, b: 70}}, a: {hangup: }, b: {hangup: }}\n", draw=lambda: draw)
    assert call.steps() == ["s", target]
    assert call.machine.variables["split.choice"] == target


def test_split_without_a_draw_is_a_usage_error() -> None:
    with pytest.raises(InterpreterUsageError, match="random draw"):
        Call("steps: {s: {split: {a: 50, b: 50}}, a: {hangup: }, b: {hangup: }}\n")


# ---------------------------------------------------------------- lookup

LOOKUP = """
variables: {crm: "https://crm.example/api"}
steps:
  l:
    lookup:
      url: "${crm}/customers?phone=${caller.number}&x=${request.x}"
      timeout: 2
      set: {customer.name: customer.name, customer.vip: flags.vip, first.order: orders.0.id, missing: a.b.c}
      on_failure: failed
    next: ok
  ok: {hangup: }
  failed: {hangup: }
"""


def test_lookup_encodes_values_but_not_the_base_url_and_maps_the_reply() -> None:
    call = Call(LOOKUP, start=Start(caller_number="+33 6&x=1", request={"x": "a/b"}))
    assert call.last() == HttpRequest(
        "GET", "https://crm.example/api/customers?phone=%2B33%206%26x%3D1&x=a%2Fb", None, 2
    )
    call.send(HttpResult(200, {"customer": {"name": "Ann"}, "flags": {"vip": True}, "orders": [{"id": 7}]}))
    variables = call.machine.variables
    assert (variables["customer.name"], variables["customer.vip"], variables["first.order"]) == (
        "Ann",
        True,
        7,
    )
    assert variables["missing"] is None
    assert variables["lookup.status"] == 200
    assert call.steps()[-1] == "ok"


@pytest.mark.parametrize(
    "reply",
    [HttpResult(None, None, "timeout"), HttpResult(503, {"error": 1}), HttpResult(200, None, "bad JSON")],
)
def test_lookup_failures_take_on_failure(reply: HttpResult) -> None:
    call = Call(LOOKUP)
    call.send(reply)
    assert call.steps()[-1] == "failed"
    assert len(call.events("lookup_failed")) == 1


def test_lookup_post_body_keeps_the_type_of_a_lone_interpolation() -> None:
    call = Call("""
        variables: {vip: true}
        steps:
          l:
            lookup:
              method: POST
              url: "https://x/y"
              body: {phone: "${caller.number}", vip: "${vip}", note: "vip=${vip}", n: 3, list: ["${vip}"]}
          e: {hangup: }
    """)
    assert call.last_as(HttpRequest).json_body == {
        "phone": "+33612345678",
        "vip": True,
        "note": "vip=true",
        "n": 3,
        "list": [True],
    }


# ---------------------------------------------------------------- queue, transfer, record

QUEUE = """
variables: {customer.vip: true}
steps:
  q:
    queue:
      name: support
      skills: {fr: 2}
      priority: "len(caller.number) * 10"
      data: [customer.vip, caller.number]
      on: {exit_key: menu, callback: cb}
    next: vm
  menu: {hangup: }
  vm: {hangup: }
  cb: {play: bye}
  end: {hangup: }
"""


def test_queue_emits_enqueue_and_answered_ends_without_hangup() -> None:
    call = Call(QUEUE, start=Start(caller_number="12345"))
    assert call.last() == Enqueue("support", {"fr": 2}, 50, {"customer.vip": True, "caller.number": "12345"})
    actions = call.send(QueueResult("answered"))
    assert not any(isinstance(action, Hangup) for action in actions)
    assert (finished(call).outcome, finished(call).last_step) == ("answered", "q")


@pytest.mark.parametrize(
    ("result", "step"),
    [
        (QueueResult("exit_key"), "menu"),
        (QueueResult("no_agents"), "vm"),  # not in on: → next
        (QueueResult("overflow", next_step="menu"), "menu"),  # the ACD's choice wins
        (QueueResult("overflow", next_step="nowhere"), "vm"),  # an unknown one is ignored (and recorded)
        (QueueResult("weird"), "vm"),
    ],
)
def test_queue_outcomes_route_the_call(result: QueueResult, step: str) -> None:
    call = Call(QUEUE)
    call.send(result)
    assert call.steps() == ["q", step]
    assert call.machine.variables["queue.outcome"] == result.outcome


def test_priority_is_clamped_and_a_callback_makes_the_outcome_queued() -> None:
    call = Call(QUEUE, start=Start(caller_number="+331234567890"))
    assert call.last_as(Enqueue).priority == 100
    call.send(QueueResult("callback"))
    call.send(PlayDone())
    assert finished(call).outcome == "queued"


CALLBACK = """
steps:
  menu:
    menu: {prompt: custom/menu, options: {"2": ask}}
  ask:
    callback: {queue: support, on: {booked: thanks, failed: sorry}}
    next: already
  thanks: {play: custom/thanks, next: end}
  already: {play: custom/already, next: end}
  sorry: {play: custom/sorry, next: end}
  end: {hangup: }
"""


@pytest.mark.parametrize(
    ("outcome", "then", "final"),
    [
        ("booked", "thanks", "queued"),
        ("duplicate", "already", "queued"),  # not under on: → next; the earlier request stands
        ("failed", "sorry", "ivr_only"),
    ],
)
def test_callback_step_asks_the_runner_then_routes_its_outcome(
    outcome: CallbackOutcome, then: str, final: str
) -> None:
    call = Call(CALLBACK)
    call.send(PlayDone("2"))
    assert call.last() == BookCallback("support")
    call.send(CallbackResult(outcome))
    assert call.steps() == ["menu", "ask", then]
    assert call.events("callback_outcome") == [outcome]
    assert call.machine.variables["callback.outcome"] == outcome
    call.send(PlayDone())
    assert finished(call).outcome == final


def test_callback_step_short_form_continues_at_next_and_a_hang_up_ends_the_run() -> None:
    text = "steps: {ask: {callback: sales}, bye: {play: custom/bye}, end: {hangup: }}\n"
    call = Call(text)
    assert call.last() == BookCallback("sales")
    with pytest.raises(InterpreterUsageError, match="expected CallbackResult"):
        call.send(QueueResult("callback"))
    call.send(CallbackResult("booked"))
    assert call.steps() == ["ask", "bye"]
    hung_up = Call(text)
    hung_up.send(CallerHungUp())
    assert (finished(hung_up).outcome, finished(hung_up).last_step) == ("hangup_by_caller", "ask")


def test_transfer_dial_string_values_cannot_add_options() -> None:
    call = Call(
        """
        steps:
          t: {transfer: {to: "PJSIP/${request.ext}@pbx", timeout: 20, on_failure: busy}, next: e}
          busy: {hangup: }
          e: {hangup: }
    """,
        start=Start(request={"ext": "100,30,tT&PJSIP/666"}),
    )
    assert call.last() == Dial("PJSIP/10030tTPJSIP666@pbx", 20)
    call.send(DialResult("BUSY"))
    assert call.steps()[-1] == "busy"
    assert call.events("transfer_failed") == ["BUSY"]


def test_transfer_number_through_a_trunk_and_answer_ends_as_transfer() -> None:
    call = Call("""
        variables: {mobile: "+33 6 12-34"}
        steps:
          t: {transfer: {number: "${mobile}", trunk: "PJSIP/${transfer.number}@carrier"}}
          e: {hangup: }
    """)
    assert call.last() == Dial("PJSIP/+3361234@carrier", 30)
    call.send(DialResult("ANSWER"))
    assert finished(call).outcome == "transfer"


def test_transfer_without_a_number_fails_without_dialling() -> None:
    call = Call("""
        steps:
          t: {transfer: {number: "${nothing}", trunk: "PJSIP/${transfer.number}@c", on_failure: f}}
          f: {hangup: }
    """)
    assert call.steps() == ["t", "f"]


def test_record_plays_its_prompt_then_records_with_tag_and_metadata() -> None:
    call = Call(
        """
        variables: {category: billing}
        steps:
          r:
            record: {prompt: beep-after, folder: suggestions, name: "${caller.number}/x", tag: "${category}",
                     format: gsm, max_seconds: 60, silence: 3, beep: false, on_failure: f}
            next: e
          e: {hangup: }
          f: {hangup: }
    """,
        start=Start(caller_number="+331", uniqueid="42.1"),
    )
    assert call.last() == Play((Sound("beep-after"),), "")
    call.send(PlayDone())
    record = call.last()
    assert isinstance(record, Record)
    assert (
        record.folder,
        record.name,
        record.fmt,
        record.max_seconds,
        record.beep,
        record.silence,
        record.tag,
    ) == ("suggestions", "_331_x", "gsm", 60, False, 3, "billing")
    assert record.metadata["uniqueid"] == "42.1"
    assert record.metadata["step"] == "r"
    call.send(RecordResult(False))
    assert call.steps()[-1] == "f"


# ---------------------------------------------------------------- call / return, errors, loops

MAIN = """
steps:
  a: {call: sub, next: b}
  b: {play: back}
  c: {hangup: }
"""
SUB = """
variables: {greeting: sub-default, only.default: x}
steps:
  s1: {play: "${greeting}"}
  s2: {return: }
"""


def test_call_pushes_a_frame_and_return_continues_at_next() -> None:
    call = Call(MAIN, entry="d", sub=SUB, start=Start(variables={"greeting": "from-caller"}))
    assert call.last() == Play((Sound("from-caller"),), "")  # a sub-dialplan's variables are defaults
    assert call.machine.variables["only.default"] == "x"
    call.send(PlayDone())
    assert call.last() == Play((Sound("back"),), "")
    assert [
        (e.kind, e.dialplan, e.step) for e in call.machine.path if e.kind in ("step", "call", "return")
    ] == [
        ("step", "d", "a"),
        ("call", "d", "a"),
        ("step", "sub", "s1"),
        ("step", "sub", "s2"),
        ("return", "sub", "s2"),
        ("step", "d", "b"),
    ]


def test_falling_off_a_sub_dialplan_returns_and_the_last_step_is_qualified() -> None:
    call = Call(MAIN, entry="d", sub="steps: {s1: {play: x}}\n")
    actions = call.send(CallerHungUp())
    assert isinstance(actions[-1], Finished)
    assert actions[-1].last_step == "sub:s1"
    call = Call(MAIN, entry="d", sub="steps: {s1: {play: x}}\n")
    call.send(PlayDone())
    assert call.events("end") == ["past the last step"]
    assert call.last() == Play((Sound("back"),), "")


def test_return_in_the_entry_dialplan_ends_the_ivr() -> None:
    call = Call("steps: {r: {return: }}\n")
    assert finished(call).outcome == "ivr_only"


def test_a_running_call_keeps_the_dialplans_it_started_with() -> None:
    old = dialplans(MAIN, sub=SUB)
    machine = Machine(old, "d")
    machine.feed(Start(), now=NOW)
    new = dialplans(MAIN.replace("back", "changed"), sub=SUB)
    assert new["d"] is not old["d"]
    actions = machine.feed(PlayDone(), now=NOW)
    assert actions[-1] == Play((Sound("back"),), "")


def test_an_expression_error_goes_to_on_error_or_ends_the_call() -> None:
    text = """
        steps:
          s: {set: {x: '"a" + 1'}}
          e: {hangup: }
          help: {play: sorry}
    """
    call = Call(text)
    assert finished(call).outcome == "error"
    assert call.events("error") == ["cannot apply + to text and number; use str() to join text and numbers"]
    assert isinstance(call.actions[-2], Hangup)
    call = Call("on_error: help\n" + text.replace("\n        ", "\n"))
    assert call.last() == Play((Sound("sorry"),), "")


def test_a_loop_without_input_is_stopped() -> None:
    call = Call("steps: {a: {goto: b}, b: {goto: a}, c: {hangup: }}\n")
    assert finished(call).outcome == "error"
    assert len(call.steps()) == MAX_STEPS_WITHOUT_INPUT
