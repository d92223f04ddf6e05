"""IVR steps end to end, moving the call: set and branch (caller ID, dialled number,
variables), hours (open, closed, holidays), goto, hangup, call/return of a sub-dialplan, and
split with the daemon's seeded random generator.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from acd.records import CallOutcome
from asterisk_sim import Caller
from tests.e2e.ivr_helpers import finished, ivr_center, one_call

SET_AND_BRANCH = """\
dialplan: main
numbers: ["5000", "5001"]
variables: {visits: 2}
steps:
  remember:
    set:
      visits: "visits + 1"
      vip: 'caller.number startswith "+33" or call.dnis == "5001"'
      who: 'lower(caller.name) + "-" + str(visits)'
  route:
    branch:
      - if: vip
        goto: vip-line
      - if: caller.name == "Bob" and visits == 3
        goto: regular
      - else: stranger
  vip-line:
    set: {channel.CUSTOMER_TIER: '"gold"'}
    next: vip-hello
  vip-hello:
    play: custom/vip
    next: bye
  regular:
    play: ["custom/hello-${who}"]
    next: bye
  stranger:
    play: custom/stranger
  bye:
    hangup:
"""


async def test_set_and_branch_on_caller_id_dialled_number_and_variables(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": SET_AND_BRANCH}) as center:
        call = center.sim.place_call(Caller(number="+33612345678", name="Zoe", dnis="5000"))
        channel = center.sim.channels[call.channel]
        french = await finished(center, call)
        by_number = await one_call(center, Caller(number="5551234", name="Eve", dnis="5001"))
        bob = await one_call(center, Caller(number="5551234", name="Bob", dnis="5000"))
        eve = await one_call(center, Caller(number="5551234", name="Eve", dnis="5000"))
    assert french.heard == ["custom/vip"]
    assert french.record.variables["vip"] == "true"
    # channel.* assignments reach the Asterisk channel (SET VARIABLE).
    assert channel.variables["CUSTOMER_TIER"] == "gold"
    assert by_number.heard == ["custom/vip"]
    assert by_number.steps == ["remember", "route", "vip-line", "vip-hello", "bye"]
    assert bob.heard == ["custom/hello-bob-3"]
    assert bob.record.variables["who"] == "bob-3"
    assert bob.record.variables["vip"] == "false"
    assert eve.heard == ["custom/stranger"]
    assert eve.record.variables["visits"] == "3"
    assert "CUSTOMER_TIER" not in eve.record.variables


def hours_dialplan(name: str, number: str, zone: str, weekly: str, exceptions: str = "{}") -> str:
    """A dialplan whose hours step says open or closed."""
    return f"""\
dialplan: {name}
numbers: ["{number}"]
steps:
  check:
    hours:
      timezone: {zone}
      weekly: {weekly}
      holidays: {exceptions}
      open: open
      closed: closed
  open:
    play: custom/open
    next: bye
  closed:
    play: custom/closed
  bye:
    hangup:
"""


def around_today(zone: str, *, yearly: bool = False) -> list[str]:
    """Holiday keys for today and tomorrow in ``zone`` (tomorrow: a call may cross midnight)."""
    today = datetime.now(ZoneInfo(zone)).date()
    days = (today, today + timedelta(days=1))
    return [f"{day:%m-%d}" if yearly else day.isoformat() for day in days]


def holidays(*entries: tuple[list[str], str]) -> str:
    """A ``holidays:`` mapping: each key of each entry gets that entry's hours."""
    return "{" + ", ".join(f'"{key}": {hours}' for keys, hours in entries for key in keys) + "}"


async def test_hours_open_closed_and_holidays(tmp_path: Path) -> None:
    always_open = '"00:00-24:00"'
    always = f"{{mon-sun: {always_open}}}"
    never = "{mon-sun: closed}"
    tokyo, lima = "Asia/Tokyo", "America/Lima"
    # A dated holiday wins over a yearly one, which wins over the week.
    closed_today = holidays((around_today(tokyo), "closed"), (around_today(tokyo, yearly=True), always_open))
    open_today = holidays((around_today(lima, yearly=True), always_open))
    dialplans = {
        "main": hours_dialplan("main", "6001", "Pacific/Kiritimati", always),
        "closed": hours_dialplan("closed", "6002", "UTC", never),
        "holiday": hours_dialplan("holiday", "6003", tokyo, always, closed_today),
        "special": hours_dialplan("special", "6004", lima, never, open_today),
    }
    async with ivr_center(tmp_path, dialplans) as center:
        ended = {dnis: await one_call(center, Caller(dnis=dnis)) for dnis in ("6001", "6002", "6003", "6004")}
    assert {dnis: call.heard for dnis, call in ended.items()} == {
        "6001": ["custom/open"],
        "6002": ["custom/closed"],
        "6003": ["custom/closed"],
        "6004": ["custom/open"],
    }
    assert {dnis: call.path("hours")[0][2] for dnis, call in ended.items()} == {
        "6001": "open",
        "6002": "closed",
        "6003": "closed",
        "6004": "open",
    }
    assert ended["6003"].record.dialplan == "holiday"
    assert ended["6002"].steps == ["check", "closed", "bye"]


GOTO_AND_HANGUP = """\
dialplan: main
steps:
  first:
    play: custom/first
  jump:
    goto: third
  second:
    play: custom/never
  third:
    play: custom/third
  done:
    hangup:
  after-hangup:
    play: custom/never
"""


async def test_goto_skips_steps_and_hangup_ends_the_call(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": GOTO_AND_HANGUP}) as center:
        ended = await one_call(center, Caller())
    assert ended.heard == ["custom/first", "custom/third"]
    assert ended.steps == ["first", "jump", "third", "done"]
    assert ended.record.ivr_end_step == "done"
    assert ended.record.outcome is CallOutcome.IVR_ONLY
    # The daemon hung up on purpose: Asterisk's dialplan did not send the caller to the
    # fallback (which would play pls-hold-while-try).
    assert ended.call.hung_up_by == "system"


async def test_running_past_the_last_step_hangs_up(tmp_path: Path) -> None:
    dialplan = "dialplan: main\nsteps:\n  only:\n    play: custom/only\n"
    async with ivr_center(tmp_path, {"main": dialplan}) as center:
        ended = await one_call(center, Caller())
    assert ended.heard == ["custom/only"]
    assert ended.path("end") == [("end", "", "past the last step")]
    assert ended.record.outcome is CallOutcome.IVR_ONLY
    assert ended.call.hung_up_by == "system"


CALLER = """\
dialplan: main
steps:
  start:
    set: {intro: '"intro-main"'}
  ask:
    call: feedback
    next: after
  never:
    play: custom/never
  after:
    play: ["custom/after", {say_number: survey.sub}]
  bye:
    hangup:
"""
FEEDBACK = """\
dialplan: feedback
variables: {intro: intro-default, outro: outro-default}
steps:
  hello:
    play: ["custom/${intro}", "custom/${outro}"]
  rate:
    survey: {name: sub, prompt: [custom/rate], timeout: 2}
  done:
    return:
  never:
    play: custom/never
"""


async def test_call_runs_a_sub_dialplan_and_return_comes_back(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": CALLER, "feedback": FEEDBACK}) as center:
        ended = await one_call(center, Caller(presses=["8"]))
    # The caller's variable wins over the sub-dialplan's default; the other default applies.
    assert ended.heard == [
        "custom/intro-main",
        "custom/outro-default",
        "custom/rate",
        "custom/after",
        "digits/8",
    ]
    assert ended.steps == ["start", "ask", "feedback:hello", "feedback:rate", "feedback:done", "after", "bye"]
    assert ended.path("call", "return") == [
        ("call", "ask", "feedback"),
        ("return", "feedback:done", "feedback"),
    ]
    assert ended.record.survey_score == 8
    assert ended.record.variables["outro"] == "outro-default"
    assert ended.record.ivr_end_step == "bye"


SPLIT = """\
dialplan: {name}
numbers: ["{number}"]
steps:
  ab:
    split: {shares}
  a:
    play: custom/greeting-a
    next: bye
  b:
    play: custom/greeting-b
  bye:
    hangup:
"""


async def test_split_all_or_nothing_always_takes_the_same_branch(tmp_path: Path) -> None:
    dialplans = {"main": SPLIT.format(name="main", number="5000", shares="{a: 0, b: 100}")}
    async with ivr_center(tmp_path, dialplans) as center:
        ended = [await one_call(center, Caller()) for _ in range(3)]
    assert [call.heard for call in ended] == [["custom/greeting-b"]] * 3
    assert [call.record.variables["split.choice"] for call in ended] == ["b"] * 3
    assert ended[0].path("split") == [("split", "ab", "b")]


async def test_split_fifty_fifty_follows_the_seeded_draws(tmp_path: Path) -> None:
    seed, calls = 3, 8
    draws = random.Random(seed)
    expected = ["a" if draws.random() < 0.5 else "b" for _ in range(calls)]
    assert set(expected) == {"a", "b"}, "pick a seed whose draws reach both branches"
    dialplans = {"main": SPLIT.format(name="main", number="5000", shares="{a: 50, b: 50}")}
    async with ivr_center(tmp_path, dialplans, seed=seed) as center:
        ended = [await one_call(center, Caller()) for _ in range(calls)]
    assert [call.record.variables["split.choice"] for call in ended] == expected
    assert [call.heard for call in ended] == [[f"custom/greeting-{choice}"] for choice in expected]
